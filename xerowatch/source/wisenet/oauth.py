"""Wisenet OAuth 2.1: authorization code + PKCE, token refresh, tokens kept in the store.

Tokens live in the shared token store (`connections.provider = 'wisenet'`) with the same
crash-safe bracket as Xero's: the refresh is marked before it is sent and its answer committed
in one transaction before the new access token is used. Requests carry `Authorization: Bearer`
plus `x-api-key` when a key is configured (Wisenet's Integrated App Platform keeps both).
Wisenet's token endpoint and scope names are not public, so both are configuration.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from urllib.parse import urlencode

import anyio
import httpx
from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from xerowatch.clock import Clock
from xerowatch.config import WisenetSettings
from xerowatch.source.port import SourceAuthError, SourceError
from xerowatch.store.db import Store
from xerowatch.store.tokens import (
    IssuedTokens,
    StoredConnection,
    commit_rotation,
    create_connection,
    list_connections,
    load_connection,
    mark_needs_reconnect,
    mark_refresh_started,
    replace_tokens,
)

log = logging.getLogger(__name__)

PROVIDER: Final = "wisenet"
REFRESH_MARGIN_SECONDS = 60.0
DEFAULT_LIFETIME_SECONDS = 3600
RECONNECT_FIX = "an admin must authorise xerowatch in Wisenet again (`xerowatch wisenet-connect`)"


@dataclass(frozen=True)
class PkcePair:
    """A PKCE code verifier and its S256 challenge."""

    verifier: str
    challenge: str

    def __repr__(self) -> str:
        return "PkcePair(verifier=***)"

    @classmethod
    def generate(cls) -> PkcePair:
        """A fresh 64-character verifier (RFC 7636 allows 43-128)."""
        verifier = secrets.token_urlsafe(48)
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
        return cls(verifier, challenge)


class WisenetTokens(BaseModel):
    """A token endpoint answer; values are SecretStr so they never print."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    access_token: SecretStr
    refresh_token: SecretStr | None = None
    expires_in: int | None = None
    expires_at: datetime | int | None = None
    scope: str = ""

    def issued(self, sent_at: datetime) -> IssuedTokens:
        """What the store keeps; `expires_at` wins, else expiry counts from the request."""
        if isinstance(self.expires_at, datetime):
            expiry = (
                self.expires_at if self.expires_at.tzinfo else self.expires_at.replace(tzinfo=UTC)
            )
        elif isinstance(self.expires_at, int):
            expiry = datetime.fromtimestamp(self.expires_at, UTC)
        else:
            expiry = sent_at + timedelta(seconds=self.expires_in or DEFAULT_LIFETIME_SECONDS)
        return IssuedTokens(
            access_token=self.access_token,
            access_expires_at=expiry,
            refresh_token=self.refresh_token,
            scopes=self.scope,
        )


class TokenGrantError(SourceError):
    """The token endpoint refused a grant or could not be reached."""

    def __init__(self, message: str, *, error: str, transient: bool) -> None:
        super().__init__(message, transient=transient)
        self.error = error


def authorize_url(
    settings: WisenetSettings, *, redirect_uri: str, state: str, pkce: PkcePair
) -> str:
    """The browser URL where an admin consents to xerowatch's scopes."""
    _require(settings.oauth_authorize_url, "oauth_authorize_url")
    _require(settings.oauth_client_id, "oauth_client_id")
    query = {
        "response_type": "code",
        "client_id": settings.oauth_client_id,
        "redirect_uri": redirect_uri,
        "scope": settings.oauth_scopes,
        "state": state,
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
    }
    separator = "&" if "?" in settings.oauth_authorize_url else "?"
    return settings.oauth_authorize_url + separator + urlencode(query)


async def request_tokens(
    http: httpx.AsyncClient, settings: WisenetSettings, form: dict[str, str]
) -> WisenetTokens:
    """POST one grant (form-encoded, public client) to the configured token endpoint."""
    _require(settings.oauth_token_url, "oauth_token_url")
    data = {**form, "client_id": settings.oauth_client_id}
    try:
        response = await http.post(
            settings.oauth_token_url,
            data=data,
            headers={"Accept": "application/json"},
            timeout=settings.timeout_seconds,
        )
    except httpx.TransportError as exc:
        raise TokenGrantError(
            f"Wisenet's token endpoint {settings.oauth_token_url} did not answer "
            f"({type(exc).__name__}): check [wisenet] oauth_token_url",
            error="unreachable",
            transient=True,
        ) from None
    if response.status_code == 200:
        try:
            return WisenetTokens.model_validate_json(response.content)
        except ValidationError:
            raise TokenGrantError(
                "Wisenet's token endpoint answered 200 with an unreadable body",
                error="unreadable",
                transient=True,
            ) from None
    if response.status_code == 429 or response.status_code >= 500:
        raise TokenGrantError(
            f"Wisenet's token endpoint is unavailable (HTTP {response.status_code})",
            error=f"http_{response.status_code}",
            transient=True,
        )
    error, description = _oauth_error(response)
    detail = f" ({description[:200]})" if description else ""
    raise TokenGrantError(
        f"Wisenet's token endpoint refused the grant: {error}{detail}",
        error=error,
        transient=False,
    )


async def exchange_code(
    http: httpx.AsyncClient,
    settings: WisenetSettings,
    *,
    code: str,
    verifier: str,
    redirect_uri: str,
) -> WisenetTokens:
    """Exchange an authorization code (with its PKCE verifier) for tokens."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "code_verifier": verifier,
        "redirect_uri": redirect_uri,
    }
    return await request_tokens(http, settings, form)


async def store_authorization(store: Store, tokens: WisenetTokens, *, now: datetime) -> str:
    """Keep the tokens of a fresh code exchange as the (single) Wisenet connection."""
    if tokens.refresh_token is None:
        raise SourceError(
            "Wisenet issued no refresh token, so xerowatch could act only until the access "
            "token expires: add the offline/refresh scope to [wisenet] oauth_scopes",
            transient=False,
        )
    issued = tokens.issued(now)
    existing = await list_connections(store, provider=PROVIDER)
    if existing:
        await replace_tokens(store, existing[0].connection_id, issued, now=now)
        return existing[0].connection_id
    return await create_connection(
        store, provider=PROVIDER, auth_mode="oauth", tokens=issued, now=now
    )


class OAuthAuth:
    """Bearer token (refreshed ahead of expiry) plus the API key when one is configured."""

    def __init__(
        self, *, store: Store, settings: WisenetSettings, http: httpx.AsyncClient, clock: Clock
    ) -> None:
        self._store = store
        self._settings = settings
        self._http = http
        self._clock = clock
        self._lock = anyio.Lock()
        self._current: StoredConnection | None = None

    def __repr__(self) -> str:
        return "OAuthAuth(tokens=***)"

    async def headers(self) -> dict[str, str]:
        """Authorization (and x-api-key) for the next request."""
        current = self._current or await self._load()
        if not self._fresh(current):
            current = await self._renew(seen=current, forced=False)
        headers = {"Authorization": f"Bearer {_reveal(current)}"}
        if self._settings.api_key is not None:
            headers["x-api-key"] = self._settings.api_key.get_secret_value()
        return headers

    async def refresh_after_unauthorized(self) -> bool:
        """Wisenet refused the token: refresh once (unless another caller already did)."""
        seen = self._current or await self._load()
        await self._renew(seen=seen, forced=True)
        return True

    def unauthorized_hint(self) -> str:
        """Point the admin at re-authorisation."""
        return f"Wisenet rejected the OAuth access token even after a refresh: {RECONNECT_FIX}"

    async def _renew(self, *, seen: StoredConnection, forced: bool) -> StoredConnection:
        async with self._lock:
            current = await self._load()
            replaced = current.access_token != seen.access_token
            if self._fresh(current) and (not forced or replaced):
                return current
            try:
                return await self._refresh(current)
            except TokenGrantError as exc:
                left = current.seconds_left(self._clock.now())
                if exc.transient and not forced and left > 0:
                    log.warning(
                        "Wisenet token refresh failed (%s); the old token has %.0f s", exc, left
                    )
                    return current
                raise

    async def _refresh(self, current: StoredConnection) -> StoredConnection:
        if current.refresh_token is None:
            raise await self._needs_reconnect(current, "no refresh token is stored")
        if current.refresh_pending:
            log.info("Wisenet: retrying a refresh whose answer was lost, with the same token")
        await mark_refresh_started(self._store, current.connection_id, self._clock.now())
        sent_at = self._clock.now()
        form = {
            "grant_type": "refresh_token",
            "refresh_token": current.refresh_token.get_secret_value(),
        }
        try:
            answer = await request_tokens(self._http, self._settings, form)
        except TokenGrantError as exc:
            if not exc.transient:
                raise await self._needs_reconnect(current, str(exc)) from None
            raise
        committed = await commit_rotation(
            self._store,
            current.connection_id,
            answer.issued(sent_at),
            used_refresh_token=current.refresh_token,
            now=self._clock.now(),
        )
        self._current = committed
        log.info("Wisenet access token refreshed")
        return committed

    async def _needs_reconnect(self, current: StoredConnection, reason: str) -> SourceError:
        await mark_needs_reconnect(
            self._store, current.connection_id, reason, now=self._clock.now()
        )
        self._current = None
        return SourceAuthError(f"Wisenet authorisation lost ({reason}): {RECONNECT_FIX}")

    async def _load(self) -> StoredConnection:
        connections = await list_connections(self._store, provider=PROVIDER)
        if not connections:
            raise SourceError(
                f"no Wisenet OAuth connection is stored: {RECONNECT_FIX}", transient=False
            )
        stored = await load_connection(self._store, connections[0].connection_id)
        if stored is None or stored.status == "needs_reconnect":
            reason = stored.status_reason if stored else "connection removed"
            raise SourceAuthError(
                f"Wisenet connection needs reconnecting ({reason}): {RECONNECT_FIX}"
            )
        self._current = stored
        return stored

    def _fresh(self, stored: StoredConnection) -> bool:
        return (
            not stored.refresh_pending
            and stored.seconds_left(self._clock.now()) > REFRESH_MARGIN_SECONDS
        )


def _reveal(stored: StoredConnection) -> str:
    if stored.access_token is None:
        raise SourceError(
            f"the Wisenet connection holds no access token: {RECONNECT_FIX}", transient=False
        )
    return stored.access_token.get_secret_value()


def _require(value: str, key: str) -> None:
    if not value.strip():
        raise SourceError(
            f"[wisenet] {key} is not set: copy it from Wisenet's developer documentation",
            transient=False,
        )


def _oauth_error(response: httpx.Response) -> tuple[str, str]:
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        description = body.get("error_description")
        return body["error"], description if isinstance(description, str) else ""
    return f"http_{response.status_code}", ""
