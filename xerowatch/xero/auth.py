"""Xero access tokens per connection: crash-safe refresh rotation and custom connections.

Xero's rules (developer.xero.com/faq/oauth2): every refresh rotates the refresh
token; a refresh whose answer was lost may be retried with the same refresh token for 30
minutes; `invalid_grant` means an admin must authorise again. The rotation itself (the
cross-process refresh claim, the crash-safe bracket, retries of a lost answer) is the OAuth
package's `TokenRotation`; this module adds Xero's grants, errors and alerts. It reaches the
store only through the `XeroAuthStore` protocol.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Protocol

import httpx

from xerowatch.clock import Clock
from xerowatch.config import ConfigError, XeroSettings
from xerowatch.oauth.errors import GrantRefused, TokenEndpointUnavailable
from xerowatch.oauth.ports import StoredConnection, TokenStore
from xerowatch.oauth.rotation import REFRESH_MARGIN_SECONDS, TokenRotation, reveal
from xerowatch.xero.errors import XeroAuthError, XeroTransientError
from xerowatch.xero.token_endpoint import (
    TokenGrantRejected,
    TokenResponse,
    missing_scopes,
    request_token,
    token_url,
    xero_endpoint,
    xero_error,
)

__all__ = [
    "REFRESH_MARGIN_SECONDS",
    "TokenGrantRejected",
    "TokenResponse",
    "XeroAuthStore",
    "XeroTokenManager",
    "missing_scopes",
    "request_token",
    "token_url",
]

log = logging.getLogger(__name__)

RECONNECT_FIX = "run `xerowatch connect`"
_SSO_SCOPES = frozenset({"offline_access", "openid", "profile", "email"})


class XeroAuthStore(TokenStore, Protocol):
    """The token store, plus what the manager tells admins about a connection."""

    async def tenant_names(self, connection_id: str) -> list[str]:
        """The names (or ids) of the organisations reached through a connection."""
        ...

    async def raise_alert(self, type_: str, message: str, *, fix: str, record: str) -> None:
        """Record (or bump) an alert about a connection."""
        ...

    async def alert_needs_reconnect(self, connection_id: str, message: str, *, fix: str) -> None:
        """Raise the connection's "needs reconnecting" alert."""
        ...

    async def resolve_needs_reconnect(self, connection_id: str) -> None:
        """Resolve the connection's "needs reconnecting" alert (it works again)."""
        ...


class XeroTokenManager:
    """Hands out valid access tokens per connection; implements the transport's TokenSource."""

    def __init__(
        self, *, store: XeroAuthStore, settings: XeroSettings, http: httpx.AsyncClient, clock: Clock
    ) -> None:
        self._store = store
        self._settings = settings
        self._clock = clock
        self._rotation = TokenRotation(
            tokens=store,
            endpoint=xero_endpoint(settings),
            http=http,
            clock=clock,
            retries=settings.max_retries,
            not_stored=_not_stored,
            lost=_lost,
        )

    def __repr__(self) -> str:
        return f"XeroTokenManager(connections_cached={len(self._rotation.cache)})"

    async def access_token(self, connection_id: str, *, force_refresh: bool = False) -> str:
        """Return a usable access token, renewing it first when it is (nearly) expired.

        `force_refresh` says "Xero rejected the token I was given": it renews unless another
        caller already replaced that token while this one waited.
        """
        stored = await self._rotation.access(connection_id, forced=force_refresh, renew=self._renew)
        return reveal(stored, lambda: _no_access_token(stored))

    async def connect_client_credentials(self) -> str:
        """Get a custom-connection token (client_credentials) and store it; return the id."""
        try:
            answer, sent_at = await self._rotation.grant(self._client_credentials_form())
        except (TokenEndpointUnavailable, GrantRefused) as exc:
            raise xero_error(exc) from None
        issued = answer.issued(sent_at)
        now = self._clock.now()
        existing = [
            c for c in await self._store.connections("xero") if c.auth_mode == "custom_connection"
        ]
        if existing:
            stored = await self._store.replace(existing[0].connection_id, issued, now=now)
        else:
            new_id = await self._store.create(
                provider="xero", auth_mode="custom_connection", tokens=issued, now=now
            )
            stored = await self._rotation.load(new_id)
        self._rotation.cache[stored.connection_id] = stored
        await self._store.resolve_needs_reconnect(stored.connection_id)
        return stored.connection_id

    async def store_authorization(
        self, tokens: TokenResponse, *, issued_at: datetime | None = None
    ) -> str:
        """Store the tokens of a fresh code exchange as a new connection; return its id."""
        if tokens.refresh_token is None:
            raise XeroAuthError(
                "Xero issued no refresh token (granted scopes: "
                f"{tokens.scope or 'none listed'}), so xerowatch could act for only 30 minutes: "
                "add offline_access to [xero] scopes and to the app's scopes at "
                "developer.xero.com, then run `xerowatch connect` again"
            )
        if "offline_access" not in tokens.scope.split():
            log.warning(
                "the granted scopes do not list offline_access although a refresh token came; "
                "refreshing may fail"
            )
        sent_at = issued_at or self._clock.now()
        connection_id = await self._store.create(
            provider="xero",
            auth_mode="authorization_code",
            tokens=tokens.issued(sent_at),
            now=self._clock.now(),
        )
        await self._rotation.load(connection_id)
        return connection_id

    async def _renew(self, current: StoredConnection, forced: bool) -> StoredConnection:
        try:
            if current.auth_mode == "custom_connection":
                return await self._renew_client_credentials(current)
            return await self._refresh(current)
        except XeroTransientError as exc:
            if forced or current.seconds_left(self._clock.now()) <= 0:
                raise
            # The old access token still works; use it and renew on a later call.
            log.warning(
                "connection %s: renewing the access token failed (%s); the current one is "
                "valid for %.0f s more",
                current.connection_id,
                exc,
                current.seconds_left(self._clock.now()),
            )
            return current

    async def _refresh(self, current: StoredConnection) -> StoredConnection:
        if current.refresh_token is None:
            raise await self._needs_reconnect(current, "no refresh token is stored")
        try:
            return await self._rotation.refresh(current, current.refresh_token)
        except TokenEndpointUnavailable as exc:
            raise xero_error(exc) from None
        except GrantRefused as exc:
            if exc.error == "invalid_grant":
                raise await self._needs_reconnect(
                    current,
                    "Xero refused the refresh token (invalid_grant: expired, revoked, or "
                    "rotated more than 30 minutes ago)",
                ) from None
            rejected = xero_error(exc)
            await self._store.raise_alert(
                "xero_token_rejected",
                f"Xero refused to refresh connection {current.connection_id}: {rejected.message}",
                fix="check [xero] client_id (and client_secret, if the app has one)",
                record=current.connection_id,
            )
            raise rejected from None

    async def _renew_client_credentials(self, current: StoredConnection) -> StoredConnection:
        try:
            answer, sent_at = await self._rotation.grant(
                self._client_credentials_form(),
                before_retry=lambda: self._rotation.keep_claim(current),
            )
        except TokenEndpointUnavailable as exc:
            raise xero_error(exc) from None
        except GrantRefused as exc:
            raise await self._needs_reconnect(
                current,
                f"Xero refused the custom connection's credentials ({exc.error}); check "
                "[xero] client_id and client_secret",
            ) from None
        return await self._rotation.commit(current, answer, sent_at, used_refresh_token=None)

    def _client_credentials_form(self) -> dict[str, str]:
        if self._settings.client_secret is None or not self._settings.client_id:
            raise ConfigError(
                "config error: xero.client_id and xero.client_secret are required for "
                "auth_mode = custom_connection — set them in [xero] or "
                "XEROWATCH_XERO__CLIENT_ID / XEROWATCH_XERO__CLIENT_SECRET"
            )
        form = {"grant_type": "client_credentials"}
        # Custom connections get no refresh token and no SSO; asking for them is refused.
        scopes = [s for s in self._settings.scopes.split() if s not in _SSO_SCOPES]
        if scopes:
            form["scope"] = " ".join(scopes)
        return form

    async def _needs_reconnect(self, current: StoredConnection, reason: str) -> XeroAuthError:
        """Mark the connection, raise the alert, and return the error for the caller to raise."""
        connection_id = current.connection_id
        await self._store.mark_needs_reconnect(connection_id, reason, now=self._clock.now())
        self._rotation.cache.pop(connection_id, None)
        names = ", ".join(await self._store.tenant_names(connection_id))
        await self._store.alert_needs_reconnect(
            connection_id,
            f"Xero connection {connection_id} ({names or 'no tenants yet'}) needs reconnecting: "
            f"{reason}",
            fix=RECONNECT_FIX,
        )
        log.error("connection %s needs reconnecting: %s", connection_id, reason)
        return XeroAuthError(
            f"Xero connection {connection_id} needs reconnecting: {reason}; {RECONNECT_FIX}",
            needs_reconnect=True,
        )


def _not_stored(connection_id: str) -> XeroAuthError:
    return XeroAuthError(
        f"Xero connection {connection_id} is not in the store: {RECONNECT_FIX}",
        needs_reconnect=True,
    )


def _lost(current: StoredConnection) -> XeroAuthError:
    return XeroAuthError(
        f"Xero connection {current.connection_id} needs reconnecting"
        f" ({current.status_reason or 'authorisation lost'}): {RECONNECT_FIX}",
        needs_reconnect=True,
    )


def _no_access_token(stored: StoredConnection) -> XeroAuthError:
    return XeroAuthError(
        f"Xero connection {stored.connection_id} holds no access token: {RECONNECT_FIX}",
        needs_reconnect=True,
    )
