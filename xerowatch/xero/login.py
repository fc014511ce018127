"""Xero's browser login: the authorize URL for the configured app, and the code exchange.

PKCE, the redirect's parsing and the loopback listener are the OAuth package's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from xerowatch.config import XeroSettings
from xerowatch.oauth.errors import AuthorizationError
from xerowatch.oauth.pkce import PkcePair, authorize_url, code_grant, new_pkce_pair, new_state
from xerowatch.xero.errors import TokenGrantRejected
from xerowatch.xero.token_endpoint import TokenResponse, request_token


@dataclass(frozen=True)
class AuthorizationRequest:
    """One authorisation attempt: what the browser is sent to and what must come back."""

    url: str
    state: str
    redirect_uri: str
    pkce: PkcePair = field(repr=False)


def start_authorization(settings: XeroSettings) -> AuthorizationRequest:
    """Build a fresh authorize URL (code flow, S256 PKCE, the configured scopes)."""
    if not settings.client_id:
        raise ValueError("xero.client_id is empty")
    pkce = new_pkce_pair()
    state = new_state()
    url = authorize_url(
        settings.authorize_url,
        client_id=settings.client_id,
        redirect_uri=settings.redirect_uri,
        scopes=settings.scopes,
        state=state,
        pkce=pkce,
    )
    return AuthorizationRequest(url=url, state=state, redirect_uri=settings.redirect_uri, pkce=pkce)


async def exchange_code(
    http: httpx.AsyncClient, settings: XeroSettings, request: AuthorizationRequest, code: str
) -> TokenResponse:
    """Trade an authorisation code (short-lived: call at once) for tokens."""
    form = code_grant(code, redirect_uri=request.redirect_uri, pkce=request.pkce)
    try:
        return await request_token(http, settings, form)
    except TokenGrantRejected as exc:
        if exc.error == "invalid_grant":
            raise AuthorizationError(
                "Xero refused the authorisation code (expired, already used, or the redirect URI "
                "differs from the app's): run `xerowatch connect` again and finish within a "
                "few minutes",
                status=exc.status,
                correlation_id=exc.correlation_id,
            ) from None
        raise
