"""Xero access tokens per connection: crash-safe refresh rotation and custom connections.

Xero's rules (developer.xero.com/faq/oauth2): every refresh rotates the refresh
token; a refresh whose answer was lost may be retried with the same refresh token for 30
minutes; `invalid_grant` means an admin must authorise again. So a refresh is marked in the
store before it is sent, its answer is committed in one transaction before the new access token
is used, only one refresh per connection runs at a time, and a lost answer is retried with the
same refresh token. Token values never reach logs, reprs or error messages.

"One at a time" holds across processes too (the daemon and a CLI command share the store): a
manager claims the refresh in the store (`claim_refresh`) before deciding to send it, renews the
claim before each retry, and clears it with the commit. A manager that finds another's claim
waits and re-reads the store; a claim whose lease ran out (its holder crashed) is taken over and
the refresh retried with the same refresh token.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime

import anyio
import httpx

from xerowatch.clock import Clock
from xerowatch.config import ConfigError, XeroSettings
from xerowatch.store.alerts import raise_alert, resolve_alerts
from xerowatch.store.db import Store
from xerowatch.store.tenants import NEEDS_RECONNECT_ALERT, tenants_of_connection
from xerowatch.store.tokens import (
    RefreshClaim,
    StoredConnection,
    TokenStoreError,
    claim_holder,
    claim_refresh,
    commit_rotation,
    create_connection,
    list_connections,
    load_connection,
    mark_needs_reconnect,
    release_refresh,
    replace_tokens,
)
from xerowatch.xero.errors import XeroAuthError, XeroTransientError
from xerowatch.xero.token_endpoint import (
    TokenGrantRejected,
    TokenResponse,
    missing_scopes,
    request_token,
    token_url,
)

__all__ = [
    "REFRESH_MARGIN_SECONDS",
    "TokenGrantRejected",
    "TokenResponse",
    "XeroTokenManager",
    "missing_scopes",
    "request_token",
    "token_url",
]

log = logging.getLogger(__name__)

REFRESH_MARGIN_SECONDS = 60.0
"""Renew an access token when less than this is left (Xero's SDK uses the same buffer)."""
CLAIM_POLL_S = 0.25
"""How often a manager that finds another process refreshing re-reads the store."""
CLAIM_MARGIN_S = 30.0
"""Lease slack beyond one token request and one back-off sleep (store writes, scheduling)."""
RECONNECT_FIX = "run `xerowatch connect`"
_SSO_SCOPES = frozenset({"offline_access", "openid", "profile", "email"})
_MAX_BACKOFF_S = 30.0


def _backoff(retries: int) -> list[float]:
    return [min(_MAX_BACKOFF_S, 2.0**attempt) for attempt in range(retries)]


class _ClaimLost(Exception):
    """Our refresh claim ran out and another process holds it now: stop and wait for it."""


class XeroTokenManager:
    """Hands out valid access tokens per connection; implements the transport's TokenSource."""

    def __init__(
        self, *, store: Store, settings: XeroSettings, http: httpx.AsyncClient, clock: Clock
    ) -> None:
        self._store = store
        self._settings = settings
        self._http = http
        self._clock = clock
        self._cache: dict[str, StoredConnection] = {}
        self._locks: dict[str, anyio.Lock] = {}
        self._holder = claim_holder()
        # Renewed before every retry, so it need only outlast one request and one back-off.
        self._lease_s = settings.timeout_seconds + _MAX_BACKOFF_S + CLAIM_MARGIN_S

    def __repr__(self) -> str:
        return f"XeroTokenManager(connections_cached={len(self._cache)})"

    async def access_token(self, connection_id: str, *, force_refresh: bool = False) -> str:
        """Return a usable access token, renewing it first when it is (nearly) expired.

        `force_refresh` says "Xero rejected the token I was given": it renews unless another
        caller already replaced that token while this one waited.
        """
        seen = self._cache.get(connection_id) or await self._load(connection_id)
        if not force_refresh and self._fresh(seen):
            return _reveal(seen)
        async with self._lock_for(connection_id):
            return _reveal(await self._serve_or_renew(seen, forced=force_refresh))

    async def connect_client_credentials(self) -> str:
        """Get a custom-connection token (client_credentials) and store it; return the id."""
        answer, sent_at = await self._grant(self._client_credentials_form())
        issued = answer.issued(sent_at)
        now = self._clock.now()
        existing = [
            c
            for c in await list_connections(self._store, provider="xero")
            if c.auth_mode == "custom_connection"
        ]
        if existing:
            stored = await replace_tokens(self._store, existing[0].connection_id, issued, now=now)
        else:
            new_id = await create_connection(
                self._store,
                provider="xero",
                auth_mode="custom_connection",
                tokens=issued,
                now=now,
            )
            stored = await self._load(new_id)
        self._cache[stored.connection_id] = stored
        await resolve_alerts(
            self._store, record=stored.connection_id, types=(NEEDS_RECONNECT_ALERT,)
        )
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
        connection_id = await create_connection(
            self._store,
            provider="xero",
            auth_mode="authorization_code",
            tokens=tokens.issued(sent_at),
            now=self._clock.now(),
        )
        self._cache[connection_id] = await self._load(connection_id)
        return connection_id

    async def _serve_or_renew(self, seen: StoredConnection, *, forced: bool) -> StoredConnection:
        """Serve the stored token, or renew it under the store's refresh claim; while another
        process holds the claim, wait for its outcome (reading only, so it is never slowed)."""
        connection_id = seen.connection_id
        while True:
            current = await self._load(connection_id)
            if self._usable(current, seen, forced=forced):
                return current
            if current.refresh_claimed_by_other(self._holder, self._clock.now()):
                if not forced and current.seconds_left(self._clock.now()) > 0:
                    return current  # still valid: no need to wait for the other process
                log.debug(
                    "connection %s: another process is refreshing the token (claim until %s)",
                    connection_id,
                    current.refresh_lease_until,
                )
                await self._clock.sleep(CLAIM_POLL_S)
                continue
            claim = await self._claim(connection_id)
            if not claim.claimed:
                continue  # another process claimed it first: wait for it
            try:
                if self._usable(claim.connection, seen, forced=forced):
                    return claim.connection
                return await self._renew(claim.connection, forced=forced)
            except _ClaimLost:
                log.warning(
                    "connection %s: another process took over the token refresh", connection_id
                )
            finally:
                await self._release(connection_id)

    def _usable(self, current: StoredConnection, seen: StoredConnection, *, forced: bool) -> bool:
        """True when `current` may be served as is; raises when the connection is lost."""
        if current.status == "needs_reconnect":
            raise XeroAuthError(
                f"Xero connection {current.connection_id} needs reconnecting"
                f" ({current.status_reason or 'authorisation lost'}): {RECONNECT_FIX}",
                needs_reconnect=True,
            )
        replaced = current.access_token != seen.access_token
        return self._fresh(current) and (not forced or replaced)

    async def _claim(self, connection_id: str, *, mark_started: bool = False) -> RefreshClaim:
        try:
            claim = await claim_refresh(
                self._store,
                connection_id,
                holder=self._holder,
                now=self._clock.now(),
                lease_s=self._lease_s,
                mark_started=mark_started,
            )
        except TokenStoreError:
            self._cache.pop(connection_id, None)
            raise XeroAuthError(
                f"Xero connection {connection_id} is not in the store: {RECONNECT_FIX}",
                needs_reconnect=True,
            ) from None
        self._cache[connection_id] = claim.connection
        return claim

    async def _keep_claim(self, sending: StoredConnection, *, mark_started: bool = False) -> None:
        """Before each send: extend our claim, or stop if another process has taken it over or
        the stored tokens changed under us (a reconnect)."""
        claim = await self._claim(sending.connection_id, mark_started=mark_started)
        current = claim.connection
        if (
            not claim.claimed
            or current.status != "connected"
            or current.refresh_token != sending.refresh_token
        ):
            raise _ClaimLost

    async def _release(self, connection_id: str) -> None:
        # Shielded: a cancelled caller must still let others refresh; a failed release is
        # harmless because the lease runs out.
        with anyio.CancelScope(shield=True):
            try:
                await release_refresh(self._store, connection_id, holder=self._holder)
            except Exception:
                log.exception("connection %s: could not release the refresh claim", connection_id)

    def _lock_for(self, connection_id: str) -> anyio.Lock:
        return self._locks.setdefault(connection_id, anyio.Lock())

    async def _load(self, connection_id: str) -> StoredConnection:
        stored = await load_connection(self._store, connection_id)
        if stored is None:
            self._cache.pop(connection_id, None)
            raise XeroAuthError(
                f"Xero connection {connection_id} is not in the store: {RECONNECT_FIX}",
                needs_reconnect=True,
            )
        self._cache[connection_id] = stored
        return stored

    def _fresh(self, stored: StoredConnection) -> bool:
        return (
            stored.status == "connected"
            and not stored.refresh_pending
            and stored.seconds_left(self._clock.now()) > REFRESH_MARGIN_SECONDS
        )

    async def _renew(self, current: StoredConnection, *, forced: bool) -> StoredConnection:
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
        connection_id = current.connection_id
        refresh_token = current.refresh_token
        if refresh_token is None:
            raise await self._needs_reconnect(current, "no refresh token is stored")
        if current.refresh_pending:
            log.info(
                "connection %s: a refresh started at %s has no committed answer; "
                "retrying it with the same refresh token (Xero allows 30 minutes)",
                connection_id,
                current.refresh_started_at,
            )
        await self._keep_claim(current, mark_started=True)
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token.get_secret_value()}
        try:
            answer, sent_at = await self._grant(
                form, before_retry=lambda: self._keep_claim(current)
            )
        except TokenGrantRejected as exc:
            if exc.error == "invalid_grant":
                raise await self._needs_reconnect(
                    current,
                    "Xero refused the refresh token (invalid_grant: expired, revoked, or "
                    "rotated more than 30 minutes ago)",
                ) from None
            await self._alert_rejected(current, exc)
            raise
        if answer.refresh_token is None:
            log.warning("connection %s: the refresh answer held no refresh token", connection_id)
        committed = await commit_rotation(
            self._store,
            connection_id,
            answer.issued(sent_at),
            used_refresh_token=refresh_token,
            now=self._clock.now(),
        )
        self._cache[connection_id] = committed
        log.info("connection %s: access token refreshed", connection_id)
        return committed

    async def _renew_client_credentials(self, current: StoredConnection) -> StoredConnection:
        try:
            answer, sent_at = await self._grant(
                self._client_credentials_form(), before_retry=lambda: self._keep_claim(current)
            )
        except TokenGrantRejected as exc:
            raise await self._needs_reconnect(
                current,
                f"Xero refused the custom connection's credentials ({exc.error}); check "
                "[xero] client_id and client_secret",
            ) from None
        committed = await commit_rotation(
            self._store,
            current.connection_id,
            answer.issued(sent_at),
            used_refresh_token=None,
            now=self._clock.now(),
        )
        self._cache[current.connection_id] = committed
        return committed

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

    async def _grant(
        self,
        form: Mapping[str, str],
        *,
        before_retry: Callable[[], Awaitable[None]] | None = None,
    ) -> tuple[TokenResponse, datetime]:
        """Send a grant, retrying lost answers with the very same grant; return it and when."""
        delays = _backoff(self._settings.max_retries)
        attempt = 0
        while True:
            sent_at = self._clock.now()
            try:
                return await request_token(self._http, self._settings, form), sent_at
            except XeroTransientError as exc:
                if attempt >= len(delays):
                    raise
                log.warning(
                    "token request failed (%s); retrying the same grant in %.0f s",
                    exc,
                    delays[attempt],
                )
                await self._clock.sleep(delays[attempt])
                attempt += 1
                if before_retry is not None:
                    await before_retry()

    async def _needs_reconnect(self, current: StoredConnection, reason: str) -> XeroAuthError:
        """Mark the connection, raise the alert, and return the error for the caller to raise."""
        connection_id = current.connection_id
        await mark_needs_reconnect(self._store, connection_id, reason, now=self._clock.now())
        self._cache.pop(connection_id, None)
        names = ", ".join(
            t.name or t.tenant_id for t in await tenants_of_connection(self._store, connection_id)
        )
        await raise_alert(
            self._store,
            NEEDS_RECONNECT_ALERT,
            f"Xero connection {connection_id} ({names or 'no tenants yet'}) needs reconnecting: "
            f"{reason}",
            fix=RECONNECT_FIX,
            record=connection_id,
        )
        log.error("connection %s needs reconnecting: %s", connection_id, reason)
        return XeroAuthError(
            f"Xero connection {connection_id} needs reconnecting: {reason}; {RECONNECT_FIX}",
            needs_reconnect=True,
        )

    async def _alert_rejected(self, current: StoredConnection, exc: TokenGrantRejected) -> None:
        await raise_alert(
            self._store,
            "xero_token_rejected",
            f"Xero refused to refresh connection {current.connection_id}: {exc.message}",
            fix="check [xero] client_id (and client_secret, if the app has one)",
            record=current.connection_id,
        )


def _reveal(stored: StoredConnection) -> str:
    if stored.access_token is None:  # a stored row always has one; guard the type
        raise XeroAuthError(
            f"Xero connection {stored.connection_id} holds no access token: {RECONNECT_FIX}",
            needs_reconnect=True,
        )
    return stored.access_token.get_secret_value()
