"""Xero's identity server in miniature: grants, tokens, rotation with grace, PKCE, connections."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlencode

from xerowatch.clock import Clock
from xerowatch.sim.xero.config import XeroSimConfig

DEFAULT_SCOPE = "offline_access accounting.contacts accounting.transactions"


class OAuthError(Exception):
    """A token-endpoint failure, answered as `{"error": code}` with HTTP 400."""

    def __init__(self, code: str, description: str = "") -> None:
        super().__init__(f"{code}: {description}" if description else code)
        self.code = code
        self.description = description


@dataclass
class Connection:
    """One tenant connected to a grant (an entry of GET /connections)."""

    id: str
    tenant_id: str
    created_at: datetime


@dataclass
class Grant:
    """What one consent (or custom connection) authorises."""

    auth_event_id: str
    grant_type: Literal["authorization_code", "client_credentials"]
    scope: str
    connections: list[Connection] = field(default_factory=list)
    revoked: bool = False

    def tenant_ids(self) -> list[str]:
        """Tenants this grant may act for."""
        return [connection.tenant_id for connection in self.connections]


@dataclass
class _RefreshToken:
    grant: Grant
    last_used: datetime
    superseded_at: datetime | None = None


@dataclass
class _AccessToken:
    grant: Grant
    expires_at: datetime


@dataclass
class _AuthCode:
    client_id: str
    redirect_uri: str
    scope: str
    tenant_ids: list[str]
    challenge: str | None
    expires_at: datetime


@dataclass(frozen=True)
class TokenCheck:
    """The result of checking a bearer token: its grant, or the 401 detail."""

    grant: Grant | None
    detail: str = ""


def s256(verifier: str) -> str:
    """PKCE S256 code challenge of a verifier."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class IdentityServer:
    """Issues and checks tokens; all time comes from the injected clock."""

    def __init__(
        self, config: XeroSimConfig, clock: Clock, tenant_ids: Callable[[], list[str]]
    ) -> None:
        self.config = config
        self.clock = clock
        self._all_tenant_ids = tenant_ids
        self._codes: dict[str, _AuthCode] = {}
        self._refresh: dict[str, _RefreshToken] = {}
        self._access: dict[str, _AccessToken] = {}
        self.grants: list[Grant] = []
        self.consent_tenant_ids: list[str] | None = None
        """Tenants the next browser consent connects (default: every tenant)."""
        self.deny_consent: str | None = None
        """When set (e.g. "access_denied"), the authorize endpoint redirects with this error."""

    # ---- authorize --------------------------------------------------------------------------

    def authorize(self, params: Mapping[str, str]) -> str:
        """Auto-approve a consent; return the redirect URL carrying `code` (or `error`) and `state`.

        Raises OAuthError when there is no trustworthy redirect URI to send the error to.
        """
        if params.get("client_id") != self.config.client_id:
            raise OAuthError("invalid_client", "unknown client_id")
        redirect_uri = params.get("redirect_uri", "")
        if not redirect_uri.startswith(("https://", "http://localhost", "http://127.0.0.1")):
            raise OAuthError("invalid_request", "redirect_uri must be https or localhost")
        answer: dict[str, str] = {}
        if params.get("response_type") != "code":
            answer["error"] = "unsupported_response_type"
        elif not params.get("scope", "").strip():
            answer["error"] = "invalid_scope"
        elif params.get("code_challenge") and params.get("code_challenge_method") != "S256":
            answer["error"] = "invalid_request"
        elif self.deny_consent:
            answer["error"] = self.deny_consent
        else:
            code = secrets.token_urlsafe(24)
            self._codes[code] = _AuthCode(
                client_id=params["client_id"],
                redirect_uri=redirect_uri,
                scope=" ".join(params["scope"].split()),
                tenant_ids=list(self.consent_tenant_ids or self._all_tenant_ids()),
                challenge=params.get("code_challenge") or None,
                expires_at=self.clock.now() + timedelta(seconds=self.config.auth_code_ttl),
            )
            answer["code"] = code
            answer["scope"] = self._codes[code].scope
        if "state" in params:
            answer["state"] = params["state"]
        separator = "&" if "?" in redirect_uri else "?"
        return f"{redirect_uri}{separator}{urlencode(answer)}"

    # ---- token endpoint --------------------------------------------------------------------

    def _client(self, form: Mapping[str, str], basic: tuple[str, str] | None) -> bool:
        """Authenticate the client; True when it proved the secret, False for a public client."""
        client_id, secret = (
            basic if basic else (form.get("client_id", ""), form.get("client_secret"))
        )
        if client_id != self.config.client_id:
            raise OAuthError("invalid_client")
        if secret is None:
            return False
        if not secrets.compare_digest(secret, self.config.client_secret):
            raise OAuthError("invalid_client")
        return True

    def token(self, form: Mapping[str, str], basic: tuple[str, str] | None) -> dict[str, Any]:
        """Handle POST /connect/token for the three grant types Xero offers."""
        confidential = self._client(form, basic)
        grant_type = form.get("grant_type")
        if grant_type == "client_credentials":
            if not confidential:
                raise OAuthError("invalid_client", "client_credentials needs the client secret")
            return self._client_credentials(form.get("scope") or DEFAULT_SCOPE)
        if grant_type == "authorization_code":
            return self._exchange_code(form, confidential)
        if grant_type == "refresh_token":
            return self._refresh_grant(form.get("refresh_token", ""))
        raise OAuthError("unsupported_grant_type")

    def _client_credentials(self, scope: str) -> dict[str, Any]:
        tenants = self._all_tenant_ids()[:1]
        grant = self.new_grant("client_credentials", scope, tenants)
        return self._issue(grant, refresh=False)

    def _exchange_code(self, form: Mapping[str, str], confidential: bool) -> dict[str, Any]:
        code = self._codes.pop(form.get("code", ""), None)
        if code is None or code.expires_at <= self.clock.now():
            raise OAuthError("invalid_grant", "unknown, used or expired code")
        if code.redirect_uri != form.get("redirect_uri"):
            raise OAuthError("invalid_grant", "redirect_uri does not match the authorize request")
        if code.challenge is not None:
            verifier = form.get("code_verifier", "")
            if not 43 <= len(verifier) <= 128 or not secrets.compare_digest(
                s256(verifier), code.challenge
            ):
                raise OAuthError("invalid_grant", "code_verifier does not match code_challenge")
        elif not confidential:
            raise OAuthError("invalid_client", "a code without PKCE needs the client secret")
        grant = self.new_grant("authorization_code", code.scope, code.tenant_ids)
        return self._issue(grant, refresh="offline_access" in code.scope.split())

    def _refresh_grant(self, token: str) -> dict[str, Any]:
        now = self.clock.now()
        record = self._refresh.get(token)
        if record is None or record.grant.revoked:
            raise OAuthError("invalid_grant")
        if (
            record.superseded_at is not None
            and (now - record.superseded_at).total_seconds() > self.config.refresh_grace_seconds
        ):
            raise OAuthError("invalid_grant", "refresh token was rotated and its grace has ended")
        if (now - record.last_used).total_seconds() > self.config.refresh_token_ttl:
            raise OAuthError("invalid_grant", "refresh token expired")
        for other in self._refresh.values():
            if other.grant is record.grant and other.superseded_at is None:
                other.superseded_at = now
        return self._issue(record.grant, refresh=True)

    def _issue(self, grant: Grant, *, refresh: bool) -> dict[str, Any]:
        now = self.clock.now()
        access = secrets.token_urlsafe(32)
        self._access[access] = _AccessToken(
            grant, now + timedelta(seconds=self.config.access_token_ttl)
        )
        body: dict[str, Any] = {
            "access_token": access,
            "expires_in": self.config.access_token_ttl,
            "token_type": "Bearer",
            "scope": grant.scope,
        }
        if refresh:
            token = secrets.token_urlsafe(32)
            self._refresh[token] = _RefreshToken(grant, last_used=now)
            body["refresh_token"] = token
        if "openid" in grant.scope.split():
            body["id_token"] = _id_token(grant, now)
        return body

    def new_grant(self, grant_type: Any, scope: str, tenant_ids: Sequence[str]) -> Grant:
        """Record a grant connected to the given tenants."""
        grant = Grant(str(uuid.uuid4()), grant_type, scope)
        now = self.clock.now()
        grant.connections = [Connection(str(uuid.uuid4()), tid, now) for tid in tenant_ids]
        self.grants.append(grant)
        return grant

    def grant_tokens(self, tenant_ids: Sequence[str] | None, scope: str) -> dict[str, Any]:
        """Skip the browser: a fresh consent's token response (refresh token if offline_access)."""
        tenants = list(tenant_ids) if tenant_ids is not None else self._all_tenant_ids()
        grant = self.new_grant("authorization_code", scope, tenants)
        return self._issue(grant, refresh="offline_access" in scope.split())

    def revoke(self, form: Mapping[str, str], basic: tuple[str, str] | None) -> None:
        """Handle POST /connect/revocation: revoking a refresh token ends its grant."""
        self._client(form, basic)
        record = self._refresh.get(form.get("token", ""))
        if record is not None:
            record.grant.revoked = True

    # ---- resource side ----------------------------------------------------------------------

    def check(self, authorization: str | None) -> TokenCheck:
        """Check a bearer token: unknown or revoked, expired (TokenExpired), or its grant."""
        scheme, _, token = (authorization or "").partition(" ")
        record = self._access.get(token.strip()) if scheme.lower() == "bearer" else None
        if record is None or record.grant.revoked:
            return TokenCheck(None, "AuthenticationUnsuccessful")
        if record.expires_at <= self.clock.now():
            stamp = record.expires_at.strftime("%m/%d/%Y %H:%M:%S")
            return TokenCheck(None, f"TokenExpired: token expired at {stamp}")
        return TokenCheck(record.grant)

    def expire_all_access_tokens(self) -> None:
        """Make every issued access token expired (as if 30 minutes passed)."""
        for record in self._access.values():
            record.expires_at = min(record.expires_at, self.clock.now())


def _id_token(grant: Grant, now: datetime) -> str:
    def part(value: dict[str, Any]) -> str:
        raw = json.dumps(value, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    claims = {
        "iss": "xerowatch-sim",
        "sub": grant.auth_event_id,
        "iat": int(now.timestamp()),
        "global_session_id": grant.auth_event_id,
    }
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."
