"""Xero's token endpoint: the OAuth package's token client with Xero's URL and errors."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from xerowatch.config import XeroSettings
from xerowatch.oauth.errors import GrantRefused, TokenEndpointUnavailable
from xerowatch.oauth.token_client import (
    MAX_LIFETIME_S,
    TokenEndpoint,
    TokenResponse,
    missing_scopes,
)
from xerowatch.oauth.token_client import request_token as _request_token
from xerowatch.xero.errors import TokenGrantRejected, XeroError, XeroTransientError

__all__ = [
    "MAX_LIFETIME_S",
    "TokenGrantRejected",
    "TokenResponse",
    "missing_scopes",
    "request_token",
    "token_url",
    "xero_endpoint",
    "xero_error",
]


def token_url(settings: XeroSettings) -> str:
    """Return the token endpoint, `{identity_url}/connect/token`."""
    return settings.identity_url.rstrip("/") + "/connect/token"


def xero_endpoint(settings: XeroSettings) -> TokenEndpoint:
    """Xero's token endpoint and client, as the OAuth package takes them."""
    return TokenEndpoint(
        provider="Xero",
        url=token_url(settings),
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        timeout_s=settings.timeout_seconds,
        expiry_required=True,
    )


def xero_error(exc: TokenEndpointUnavailable | GrantRefused) -> XeroError:
    """Xero's error for a token client failure: transient (retry the grant) or a refusal."""
    if isinstance(exc, GrantRefused):
        return TokenGrantRejected(exc)
    lost = exc.kind in ("timeout", "unreachable")
    return XeroTransientError(
        exc.message,
        status=exc.status,
        correlation_id=exc.correlation_id,
        config_key="[xero] identity_url" if lost else None,
    )


async def request_token(
    http: httpx.AsyncClient, settings: XeroSettings, form: Mapping[str, str]
) -> TokenResponse:
    """POST one grant to Xero's token endpoint.

    Raises XeroTransientError when the answer is lost or unusable (timeout, connection error,
    429, 5xx, unreadable 200 — the grant may have been used, so retry it unchanged) and
    TokenGrantRejected when Xero refuses it.
    """
    try:
        return await _request_token(http, xero_endpoint(settings), form)
    except (TokenEndpointUnavailable, GrantRefused) as exc:
        raise xero_error(exc) from None
