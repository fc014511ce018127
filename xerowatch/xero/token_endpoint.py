"""Xero's token endpoint: one grant in, a typed answer or a typed failure out."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from xerowatch.config import XeroSettings
from xerowatch.logs import redact
from xerowatch.store.tokens import IssuedTokens
from xerowatch.xero.errors import XeroAuthError, XeroTransientError

_SECRET_FIELDS = ("refresh_token", "code", "code_verifier", "client_secret")
MAX_LIFETIME_S = 86_400
"""An access token is never taken to live longer than this, whatever expires_in says."""


def token_url(settings: XeroSettings) -> str:
    """Return the token endpoint, `{identity_url}/connect/token`."""
    return settings.identity_url.rstrip("/") + "/connect/token"


def missing_scopes(requested: str, granted: str) -> list[str]:
    """Return the requested scopes that a token's granted scopes lack, in request order."""
    have = set(granted.split())
    return [scope for scope in requested.split() if scope not in have]


class TokenResponse(BaseModel):
    """A token endpoint answer; token values are SecretStr so they never print."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    access_token: SecretStr
    expires_in: int = Field(gt=0)
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
        """Convert to what the store keeps; expiry counts from when the request was sent."""
        lifetime = min(self.expires_in, MAX_LIFETIME_S)  # a huge one would overflow the date
        return IssuedTokens(
            access_token=self.access_token,
            access_expires_at=sent_at + timedelta(seconds=lifetime),
            refresh_token=self.refresh_token,
            scopes=self.scope,
        )


class TokenGrantRejected(XeroAuthError):
    """The token endpoint refused a grant (`error` is the OAuth code, e.g. invalid_grant)."""

    def __init__(
        self,
        error: str,
        description: str = "",
        *,
        status: int | None = None,
        correlation_id: str | None = None,
    ) -> None:
        detail = f" ({description[:200]})" if description else ""
        super().__init__(
            f"Xero's token endpoint refused the grant: {error}{detail}",
            needs_reconnect=error == "invalid_grant",
            status=status,
            correlation_id=correlation_id,
        )
        self.error = error


async def request_token(
    http: httpx.AsyncClient, settings: XeroSettings, form: Mapping[str, str]
) -> TokenResponse:
    """POST one grant to the token endpoint.

    Raises XeroTransientError when the answer is lost or unusable (timeout, connection error,
    429, 5xx, unreadable 200 — the grant may have been used, so retry it unchanged) and
    TokenGrantRejected when Xero refuses it.
    """
    data = dict(form)
    auth: httpx.BasicAuth | None = None
    if settings.client_secret is not None:
        auth = httpx.BasicAuth(settings.client_id, settings.client_secret.get_secret_value())
    else:
        data["client_id"] = settings.client_id
    try:
        response = await http.post(
            token_url(settings),
            data=data,
            auth=auth or httpx.USE_CLIENT_DEFAULT,
            headers={"Accept": "application/json"},
            timeout=settings.timeout_seconds,
        )
    except httpx.TimeoutException:
        raise XeroTransientError(
            f"Xero's token endpoint {token_url(settings)} timed out (answer lost)",
            config_key="[xero] identity_url",
        ) from None
    except httpx.TransportError as exc:
        raise XeroTransientError(
            f"cannot reach Xero's token endpoint {token_url(settings)} ({type(exc).__name__})",
            config_key="[xero] identity_url",
        ) from None
    correlation = response.headers.get("Xero-Correlation-Id")
    if response.status_code == 200:
        try:
            return TokenResponse.model_validate_json(response.content)
        except ValidationError:
            raise XeroTransientError(
                "Xero's token endpoint answered 200 with an unreadable body",
                status=200,
                correlation_id=correlation,
            ) from None
    if response.status_code == 429 or response.status_code >= 500:
        raise XeroTransientError(
            "Xero's token endpoint is unavailable",
            status=response.status_code,
            correlation_id=correlation,
        )
    error, description = _oauth_error(response)
    secrets = [data.get(key, "") for key in _SECRET_FIELDS]
    if settings.client_secret is not None:
        secrets.append(settings.client_secret.get_secret_value())
    raise TokenGrantRejected(
        _scrub(error, secrets),
        _scrub(description, secrets),
        status=response.status_code,
        correlation_id=correlation,
    )


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
