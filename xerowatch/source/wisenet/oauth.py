"""Wisenet OAuth 2.1: the OAuth package with Wisenet's URLs, scopes and errors.

Tokens live in the shared token store (`connections.provider = 'wisenet'`) and rotate through
the OAuth package's `TokenRotation`, as Xero's do: one refresher at a time across processes
(the daemon and a CLI command), the refresh marked before it is sent and its answer committed
in one transaction before the new access token is used. Requests carry `Authorization: Bearer`
plus `x-api-key` when a key is configured (Wisenet's Integrated App Platform keeps both).
Wisenet's token endpoint and scope names are not public, so both are configuration.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Final

import httpx

from xerowatch.clock import Clock
from xerowatch.config import WisenetSettings
from xerowatch.oauth.errors import GrantRefused, TokenEndpointUnavailable
from xerowatch.oauth.pkce import PkcePair, code_grant
from xerowatch.oauth.pkce import authorize_url as pkce_authorize_url
from xerowatch.oauth.ports import StoredConnection, TokenStore
from xerowatch.oauth.rotation import TokenRotation, reveal
from xerowatch.oauth.token_client import TokenEndpoint, TokenResponse, request_token
from xerowatch.source.port import SourceAuthError, SourceError

log = logging.getLogger(__name__)

PROVIDER: Final = "wisenet"
RECONNECT_FIX = "an admin must authorise xerowatch in Wisenet again (`xerowatch wisenet-connect`)"


class TokenGrantError(SourceError):
    """The token endpoint refused a grant or could not be reached."""

    def __init__(self, message: str, *, error: str, transient: bool) -> None:
        super().__init__(message, transient=transient)
        self.error = error


def wisenet_endpoint(settings: WisenetSettings) -> TokenEndpoint:
    """Wisenet's token endpoint and (public) client, as the OAuth package takes them."""
    return TokenEndpoint(
        provider="Wisenet",
        url=settings.oauth_token_url,
        client_id=settings.oauth_client_id,
        timeout_s=settings.timeout_seconds,
    )


def wisenet_error(exc: TokenEndpointUnavailable | GrantRefused, url: str) -> TokenGrantError:
    """Wisenet's error for a token client failure, naming the setting to check."""
    if isinstance(exc, GrantRefused):
        return TokenGrantError(
            f"Wisenet's token endpoint refused the grant: {exc.error}{exc.detail}",
            error=exc.error,
            transient=False,
        )
    if exc.kind == "unreadable":
        return TokenGrantError(exc.message, error="unreadable", transient=True)
    if exc.kind == "unavailable":
        return TokenGrantError(
            f"Wisenet's token endpoint is unavailable (HTTP {exc.status})",
            error=f"http_{exc.status}",
            transient=True,
        )
    return TokenGrantError(
        f"Wisenet's token endpoint {url} did not answer ({exc.cause}): check [wisenet] "
        "oauth_token_url",
        error="unreachable",
        transient=True,
    )


def authorize_url(
    settings: WisenetSettings, *, redirect_uri: str, state: str, pkce: PkcePair
) -> str:
    """The browser URL where an admin consents to xerowatch's scopes."""
    _require(settings.oauth_authorize_url, "oauth_authorize_url")
    _require(settings.oauth_client_id, "oauth_client_id")
    return pkce_authorize_url(
        settings.oauth_authorize_url,
        client_id=settings.oauth_client_id,
        redirect_uri=redirect_uri,
        scopes=settings.oauth_scopes,
        state=state,
        pkce=pkce,
    )


async def exchange_code(
    http: httpx.AsyncClient,
    settings: WisenetSettings,
    *,
    code: str,
    pkce: PkcePair,
    redirect_uri: str,
) -> TokenResponse:
    """Exchange an authorization code (with its PKCE verifier) for tokens."""
    _require(settings.oauth_token_url, "oauth_token_url")
    form = code_grant(code, redirect_uri=redirect_uri, pkce=pkce)
    try:
        return await request_token(http, wisenet_endpoint(settings), form)
    except (TokenEndpointUnavailable, GrantRefused) as exc:
        raise wisenet_error(exc, settings.oauth_token_url) from None


async def store_authorization(store: TokenStore, tokens: TokenResponse, *, now: datetime) -> str:
    """Keep the tokens of a fresh code exchange as the (single) Wisenet connection."""
    if tokens.refresh_token is None:
        raise SourceError(
            "Wisenet issued no refresh token, so xerowatch could act only until the access "
            "token expires: add the offline/refresh scope to [wisenet] oauth_scopes",
            transient=False,
        )
    issued = tokens.issued(now)
    existing = await store.connections(PROVIDER)
    if existing:
        await store.replace(existing[0].connection_id, issued, now=now)
        return existing[0].connection_id
    return await store.create(provider=PROVIDER, auth_mode="oauth", tokens=issued, now=now)


class OAuthAuth:
    """Bearer token (refreshed ahead of expiry) plus the API key when one is configured."""

    def __init__(
        self, *, store: TokenStore, settings: WisenetSettings, http: httpx.AsyncClient, clock: Clock
    ) -> None:
        self._store = store
        self._settings = settings
        self._clock = clock
        self._connection_id: str | None = None
        self._rotation = TokenRotation(
            tokens=store,
            endpoint=wisenet_endpoint(settings),
            http=http,
            clock=clock,
            retries=0,  # a lost answer is retried on the next request, with the same token
            not_stored=lambda _: _reconnect_needed("connection removed"),
            lost=lambda current: _reconnect_needed(current.status_reason),
        )

    def __repr__(self) -> str:
        return "OAuthAuth(tokens=***)"

    async def headers(self) -> dict[str, str]:
        """Authorization (and x-api-key) for the next request."""
        current = await self._access(forced=False)
        headers = {"Authorization": f"Bearer {reveal(current, _no_access_token)}"}
        if self._settings.api_key is not None:
            headers["x-api-key"] = self._settings.api_key.get_secret_value()
        return headers

    async def refresh_after_unauthorized(self) -> bool:
        """Wisenet refused the token: refresh once (unless another caller already did)."""
        await self._access(forced=True)
        return True

    def unauthorized_hint(self) -> str:
        """Point the admin at re-authorisation."""
        return f"Wisenet rejected the OAuth access token even after a refresh: {RECONNECT_FIX}"

    async def _access(self, *, forced: bool) -> StoredConnection:
        if self._connection_id is None:
            connections = await self._store.connections(PROVIDER)
            if not connections:
                raise SourceError(
                    f"no Wisenet OAuth connection is stored: {RECONNECT_FIX}", transient=False
                )
            self._connection_id = connections[0].connection_id
        return await self._rotation.access(self._connection_id, forced=forced, renew=self._renew)

    async def _renew(self, current: StoredConnection, forced: bool) -> StoredConnection:
        if current.refresh_token is None:
            raise await self._needs_reconnect(current, "no refresh token is stored")
        _require(self._settings.oauth_token_url, "oauth_token_url")
        try:
            return await self._rotation.refresh(current, current.refresh_token)
        except GrantRefused as exc:
            raise await self._needs_reconnect(
                current, str(wisenet_error(exc, self._settings.oauth_token_url))
            ) from None
        except TokenEndpointUnavailable as exc:
            error = wisenet_error(exc, self._settings.oauth_token_url)
            left = current.seconds_left(self._clock.now())
            if forced or left <= 0:
                raise error from None
            log.warning("Wisenet token refresh failed (%s); the old token has %.0f s", error, left)
            return current

    async def _needs_reconnect(self, current: StoredConnection, reason: str) -> SourceError:
        await self._store.mark_needs_reconnect(current.connection_id, reason, now=self._clock.now())
        self._rotation.cache.pop(current.connection_id, None)
        return SourceAuthError(f"Wisenet authorisation lost ({reason}): {RECONNECT_FIX}")


def _reconnect_needed(reason: str | None) -> SourceAuthError:
    return SourceAuthError(f"Wisenet connection needs reconnecting ({reason}): {RECONNECT_FIX}")


def _no_access_token() -> SourceError:
    return SourceError(
        f"the Wisenet connection holds no access token: {RECONNECT_FIX}", transient=False
    )


def _require(value: str, key: str) -> None:
    if not value.strip():
        raise SourceError(
            f"[wisenet] {key} is not set: copy it from Wisenet's developer documentation",
            transient=False,
        )
