"""A provider's token endpoint: one grant in, a typed answer or a typed failure out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from xerowatch.logs import redact
from xerowatch.oauth.errors import GrantRefused, TokenEndpointUnavailable
from xerowatch.store.tokens import IssuedTokens

_SECRET_FIELDS = ("refresh_token", "code", "code_verifier", "client_secret")
MAX_LIFETIME_S = 86_400
"""An access token is never taken to live longer than this, whatever the answer says."""
DEFAULT_LIFETIME_S = 3600
"""The lifetime assumed when an answer names none (and the endpoint does not require one)."""


@dataclass(frozen=True)
class TokenEndpoint:
    """Where a provider's token endpoint is and how its client authenticates."""

    provider: str
    url: str
    client_id: str
    client_secret: SecretStr | None = field(default=None, repr=False)
    """Sent as HTTP Basic when set; a public client sends client_id in the form instead."""
    timeout_s: float = 30.0
    expiry_required: bool = False
    """True when an answer without expires_in is unusable (Xero always sends one)."""


def missing_scopes(requested: str, granted: str) -> list[str]:
    """Return the requested scopes that a token's granted scopes lack, in request order."""
    have = set(granted.split())
    return [scope for scope in requested.split() if scope not in have]


class TokenResponse(BaseModel):
    """A token endpoint answer; token values are SecretStr so they never print."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    access_token: SecretStr
    expires_in: int | None = Field(default=None, gt=0)
    expires_at: datetime | int | None = None
    refresh_token: SecretStr | None = None
    id_token: SecretStr | None = None
    scope: str = ""

    @field_validator("scope", mode="before")
    @classmethod
    def _scope_as_string(cls, value: Any) -> Any:
        # Some servers send a list; SDKs broke on the difference (xero-python#68).
        if isinstance(value, list | tuple):
            return " ".join(str(item) for item in value)
        return "" if value is None else value

    def issued(self, sent_at: datetime) -> IssuedTokens:
        """Convert to what the store keeps: `expires_at` wins, else the lifetime counts from
        when the request was sent; never beyond a day (a huge one would overflow the date)."""
        latest = sent_at + timedelta(seconds=MAX_LIFETIME_S)
        if self.expires_at is not None:
            expiry = min(_moment(self.expires_at, sent_at), latest)
        else:
            lifetime = min(self.expires_in or DEFAULT_LIFETIME_S, MAX_LIFETIME_S)
            expiry = sent_at + timedelta(seconds=lifetime)
        return IssuedTokens(
            access_token=self.access_token,
            access_expires_at=expiry,
            refresh_token=self.refresh_token,
            scopes=self.scope,
        )


def _moment(value: datetime | int, sent_at: datetime) -> datetime:
    """An `expires_at` as an aware time; one outside the platform's range is far future or
    (negative) already past."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return datetime.max.replace(tzinfo=UTC) if value > 0 else sent_at


async def request_token(
    http: httpx.AsyncClient, endpoint: TokenEndpoint, form: Mapping[str, str]
) -> TokenResponse:
    """POST one grant to the token endpoint.

    Raises TokenEndpointUnavailable when the answer is lost or unusable (timeout, connection
    error, 429, 5xx, unreadable 200 — the grant may have been used, so retry it unchanged) and
    GrantRefused when the provider refuses it.
    """
    data = dict(form)
    auth: httpx.BasicAuth | None = None
    if endpoint.client_secret is not None:
        auth = httpx.BasicAuth(endpoint.client_id, endpoint.client_secret.get_secret_value())
    else:
        data["client_id"] = endpoint.client_id
    name = f"{endpoint.provider}'s token endpoint"
    try:
        response = await http.post(
            endpoint.url,
            data=data,
            auth=auth or httpx.USE_CLIENT_DEFAULT,
            headers={"Accept": "application/json"},
            timeout=endpoint.timeout_s,
        )
    except httpx.TimeoutException as exc:
        raise TokenEndpointUnavailable(
            f"{name} {endpoint.url} timed out (answer lost)",
            kind="timeout",
            cause=type(exc).__name__,
        ) from None
    except httpx.TransportError as exc:
        raise TokenEndpointUnavailable(
            f"cannot reach {name} {endpoint.url} ({type(exc).__name__})",
            kind="unreachable",
            cause=type(exc).__name__,
        ) from None
    correlation = response.headers.get("Xero-Correlation-Id")
    if response.status_code == 200:
        return _parse(response, endpoint, correlation)
    if response.status_code == 429 or response.status_code >= 500:
        raise TokenEndpointUnavailable(
            f"{name} is unavailable",
            kind="unavailable",
            status=response.status_code,
            correlation_id=correlation,
        )
    error, description = _oauth_error(response)
    secrets = [data.get(key, "") for key in _SECRET_FIELDS]
    if endpoint.client_secret is not None:
        secrets.append(endpoint.client_secret.get_secret_value())
    raise GrantRefused(
        _scrub(error, secrets),
        _scrub(description, secrets),
        status=response.status_code,
        correlation_id=correlation,
    )


def _parse(
    response: httpx.Response, endpoint: TokenEndpoint, correlation: str | None
) -> TokenResponse:
    unreadable = TokenEndpointUnavailable(
        f"{endpoint.provider}'s token endpoint answered 200 with an unreadable body",
        kind="unreadable",
        status=200,
        correlation_id=correlation,
    )
    try:
        answer = TokenResponse.model_validate_json(response.content)
    except ValidationError:
        raise unreadable from None
    if endpoint.expiry_required and answer.expires_in is None:
        raise unreadable
    return answer


def _scrub(text: str, secrets: list[str]) -> str:
    """Remove what was sent in secret from a refusal's text (some servers quote the grant)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return redact(text)


def _oauth_error(response: httpx.Response) -> tuple[str, str]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        description = body.get("error_description")
        return body["error"], description if isinstance(description, str) else ""
    return f"http_{response.status_code}", ""
