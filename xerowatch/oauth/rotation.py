"""Crash-safe refresh-token rotation with one refresher per connection across processes.

Providers such as Xero and Wisenet rotate the refresh token on every use, so two processes
(the daemon and a CLI command share the store) must never send the same one. A refresh is
claimed in the store (`TokenStore.claim`) before it is decided on, marked started before it is
sent, retried with the very same refresh token when its answer is lost, and committed in one
transaction (which clears the claim) before the new access token is used. A process that finds
another's claim waits and re-reads the store, then serves the winner's token; a claim whose
lease ran out (its holder crashed) is taken over and the refresh retried. Token values never
reach logs, reprs or error messages.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime

import anyio
import httpx
from pydantic import SecretStr

from xerowatch.clock import Clock
from xerowatch.oauth.errors import TokenEndpointUnavailable
from xerowatch.oauth.ports import RefreshClaim, StoredConnection, TokenStore, TokenStoreError
from xerowatch.oauth.token_client import TokenEndpoint, TokenResponse, request_token
from xerowatch.store.tokens import claim_holder

log = logging.getLogger(__name__)

REFRESH_MARGIN_SECONDS = 60.0
"""Renew an access token when less than this is left (Xero's SDK uses the same buffer)."""
CLAIM_POLL_S = 0.25
"""How often a process that finds another refreshing re-reads the store."""
CLAIM_MARGIN_S = 30.0
"""Lease slack beyond one token request and one back-off sleep (store writes, scheduling)."""
MAX_BACKOFF_S = 30.0

KeepClaim = Callable[[], Awaitable[None]]
Renew = Callable[[StoredConnection, bool], Awaitable[StoredConnection]]


def backoff(retries: int) -> list[float]:
    """The sleeps before each retry of a grant whose answer was lost."""
    return [min(MAX_BACKOFF_S, 2.0**attempt) for attempt in range(retries)]


class ClaimLost(Exception):
    """Our refresh claim ran out and another process holds it now: stop and wait for it."""


class TokenRotation:
    """Serves one provider's access tokens, renewing them under the store's refresh claim.

    The provider supplies its errors: `not_stored` for a connection the store lacks, `lost` for
    one that needs an admin to authorise again.
    """

    def __init__(
        self,
        *,
        tokens: TokenStore,
        endpoint: TokenEndpoint,
        http: httpx.AsyncClient,
        clock: Clock,
        retries: int,
        not_stored: Callable[[str], Exception],
        lost: Callable[[StoredConnection], Exception],
    ) -> None:
        self.tokens = tokens
        self.endpoint = endpoint
        self._http = http
        self.clock = clock
        self._delays = backoff(retries)
        self._not_stored = not_stored
        self._lost = lost
        self.holder = claim_holder()
        # Renewed before every retry, so it need only outlast one request and one back-off.
        self.lease_s = endpoint.timeout_s + (MAX_BACKOFF_S if retries else 0.0) + CLAIM_MARGIN_S
        self.cache: dict[str, StoredConnection] = {}
        self._locks: dict[str, anyio.Lock] = {}

    def __repr__(self) -> str:
        return f"TokenRotation({self.endpoint.provider}, connections_cached={len(self.cache)})"

    def fresh(self, stored: StoredConnection) -> bool:
        """True when the stored access token may be served without renewing it."""
        return (
            stored.status == "connected"
            and not stored.refresh_pending
            and stored.seconds_left(self.clock.now()) > REFRESH_MARGIN_SECONDS
        )

    async def load(self, connection_id: str) -> StoredConnection:
        """Read the connection from the store (and cache it); raise `not_stored` if it is gone."""
        stored = await self.tokens.load(connection_id)
        if stored is None:
            self.cache.pop(connection_id, None)
            raise self._not_stored(connection_id)
        self.cache[connection_id] = stored
        return stored

    async def access(self, connection_id: str, *, forced: bool, renew: Renew) -> StoredConnection:
        """Return the connection with a usable access token, renewing it first when due.

        `forced` says "the provider rejected the token I was given": it renews unless another
        caller (in this process or another) already replaced that token while this one waited.
        """
        seen = self.cache.get(connection_id) or await self.load(connection_id)
        if not forced and self.fresh(seen):
            return seen
        async with self._locks.setdefault(connection_id, anyio.Lock()):
            return await self._serve_or_renew(seen, forced=forced, renew=renew)

    async def _serve_or_renew(
        self, seen: StoredConnection, *, forced: bool, renew: Renew
    ) -> StoredConnection:
        """Serve the stored token, or renew it under the store's refresh claim; while another
        process holds the claim, wait for its outcome (reading only, so it is never slowed)."""
        connection_id = seen.connection_id
        while True:
            current = await self.load(connection_id)
            if self._usable(current, seen, forced=forced):
                return current
            if current.refresh_claimed_by_other(self.holder, self.clock.now()):
                if not forced and current.seconds_left(self.clock.now()) > 0:
                    return current  # still valid: no need to wait for the other process
                log.debug(
                    "connection %s: another process is refreshing the token (claim until %s)",
                    connection_id,
                    current.refresh_lease_until,
                )
                await self.clock.sleep(CLAIM_POLL_S)
                continue
            claim = await self._claim(connection_id)
            if not claim.claimed:
                continue  # another process claimed it first: wait for it
            try:
                if self._usable(claim.connection, seen, forced=forced):
                    return claim.connection
                return await renew(claim.connection, forced)
            except ClaimLost:
                log.warning(
                    "connection %s: another process took over the token refresh", connection_id
                )
            finally:
                await self._release(connection_id)

    def _usable(self, current: StoredConnection, seen: StoredConnection, *, forced: bool) -> bool:
        """True when `current` may be served as is; raises `lost` when the connection is."""
        if current.status == "needs_reconnect":
            raise self._lost(current)
        replaced = current.access_token != seen.access_token
        return self.fresh(current) and (not forced or replaced)

    async def _claim(self, connection_id: str, *, mark_started: bool = False) -> RefreshClaim:
        try:
            claim = await self.tokens.claim(
                connection_id,
                holder=self.holder,
                now=self.clock.now(),
                lease_s=self.lease_s,
                mark_started=mark_started,
            )
        except TokenStoreError:
            self.cache.pop(connection_id, None)
            raise self._not_stored(connection_id) from None
        self.cache[connection_id] = claim.connection
        return claim

    async def keep_claim(self, sending: StoredConnection, *, mark_started: bool = False) -> None:
        """Before each send: extend our claim, or raise ClaimLost if another process has taken
        it over or the stored tokens changed under us (a reconnect)."""
        claim = await self._claim(sending.connection_id, mark_started=mark_started)
        current = claim.connection
        if (
            not claim.claimed
            or current.status != "connected"
            or current.refresh_token != sending.refresh_token
        ):
            raise ClaimLost

    async def _release(self, connection_id: str) -> None:
        # Shielded: a cancelled caller must still let others refresh; a failed release is
        # harmless because the lease runs out.
        with anyio.CancelScope(shield=True):
            try:
                await self.tokens.release(connection_id, holder=self.holder)
            except Exception:
                log.exception("connection %s: could not release the refresh claim", connection_id)

    async def refresh(
        self, current: StoredConnection, refresh_token: SecretStr
    ) -> StoredConnection:
        """Send the refresh grant under our claim (marked started first) and commit its answer.

        Raises the token client's errors (GrantRefused, TokenEndpointUnavailable) for the
        provider to translate, and ClaimLost when another process took the refresh over.
        """
        connection_id = current.connection_id
        if current.refresh_pending:
            log.info(
                "connection %s: a refresh started at %s has no committed answer; "
                "retrying it with the same refresh token",
                connection_id,
                current.refresh_started_at,
            )
        await self.keep_claim(current, mark_started=True)
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token.get_secret_value()}
        answer, sent_at = await self.grant(form, before_retry=lambda: self.keep_claim(current))
        if answer.refresh_token is None:
            log.warning("connection %s: the refresh answer held no refresh token", connection_id)
        return await self.commit(current, answer, sent_at, used_refresh_token=refresh_token)

    async def commit(
        self,
        current: StoredConnection,
        answer: TokenResponse,
        sent_at: datetime,
        *,
        used_refresh_token: SecretStr | None,
    ) -> StoredConnection:
        """Store a grant's answer in one transaction (clearing the claim) and cache it."""
        committed = await self.tokens.commit(
            current.connection_id,
            answer.issued(sent_at),
            used_refresh_token=used_refresh_token,
            now=self.clock.now(),
        )
        self.cache[current.connection_id] = committed
        log.info("connection %s: access token refreshed", current.connection_id)
        return committed

    async def grant(
        self, form: Mapping[str, str], *, before_retry: KeepClaim | None = None
    ) -> tuple[TokenResponse, datetime]:
        """Send a grant, retrying lost answers with the very same grant; return it and when."""
        attempt = 0
        while True:
            sent_at = self.clock.now()
            try:
                return await request_token(self._http, self.endpoint, form), sent_at
            except TokenEndpointUnavailable as exc:
                if attempt >= len(self._delays):
                    raise
                log.warning(
                    "token request failed (%s); retrying the same grant in %.0f s",
                    exc,
                    self._delays[attempt],
                )
                await self.clock.sleep(self._delays[attempt])
                attempt += 1
                if before_retry is not None:
                    await before_retry()


def reveal(stored: StoredConnection, missing: Callable[[], Exception]) -> str:
    """The access token's value, for the Authorization header only."""
    if stored.access_token is None:  # a stored row always has one; guard the type
        raise missing()
    return stored.access_token.get_secret_value()
