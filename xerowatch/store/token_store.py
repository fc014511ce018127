"""`StoreTokens`: the store's side of the OAuth package's `TokenStore` protocol.

Also answers what Xero's token manager asks beyond tokens: the names of a connection's
organisations, and raising or resolving its alerts.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import SecretStr

from xerowatch.store import tokens as rows
from xerowatch.store.alerts import raise_alert, resolve_alerts
from xerowatch.store.db import Store
from xerowatch.store.tenants import NEEDS_RECONNECT_ALERT, tenants_of_connection
from xerowatch.store.tokens import IssuedTokens, Provider, RefreshClaim, StoredConnection


class StoreTokens:
    """Token sets, refresh claims and connection alerts kept in the xerowatch store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def __repr__(self) -> str:
        return "StoreTokens()"

    async def load(self, connection_id: str) -> StoredConnection | None:
        """Return a connection and its tokens, or None when it is not stored."""
        return await rows.load_connection(self.store, connection_id)

    async def connections(self, provider: Provider) -> list[StoredConnection]:
        """Return the provider's connections, oldest first."""
        return await rows.list_connections(self.store, provider=provider)

    async def create(
        self, *, provider: Provider, auth_mode: str, tokens: IssuedTokens, now: datetime
    ) -> str:
        """Store a new connection with its first token set; return its id."""
        return await rows.create_connection(
            self.store, provider=provider, auth_mode=auth_mode, tokens=tokens, now=now
        )

    async def replace(
        self, connection_id: str, tokens: IssuedTokens, *, now: datetime
    ) -> StoredConnection:
        """Install the token set of a fresh grant (status back to connected)."""
        return await rows.replace_tokens(self.store, connection_id, tokens, now=now)

    async def claim(
        self,
        connection_id: str,
        *,
        holder: str,
        now: datetime,
        lease_s: float,
        mark_started: bool = False,
    ) -> RefreshClaim:
        """Take or renew the refresh claim unless another holder's lease runs (atomically)."""
        return await rows.claim_refresh(
            self.store,
            connection_id,
            holder=holder,
            now=now,
            lease_s=lease_s,
            mark_started=mark_started,
        )

    async def release(self, connection_id: str, *, holder: str) -> None:
        """Give up the refresh claim if `holder` still has it."""
        await rows.release_refresh(self.store, connection_id, holder=holder)

    async def commit(
        self,
        connection_id: str,
        tokens: IssuedTokens,
        *,
        used_refresh_token: SecretStr | None,
        now: datetime,
    ) -> StoredConnection:
        """Atomically store a refreshed token set (clearing the claim); only then use it."""
        return await rows.commit_rotation(
            self.store, connection_id, tokens, used_refresh_token=used_refresh_token, now=now
        )

    async def mark_needs_reconnect(self, connection_id: str, reason: str, *, now: datetime) -> None:
        """Flag the connection unusable until an admin authorises again."""
        await rows.mark_needs_reconnect(self.store, connection_id, reason, now=now)

    async def tenant_names(self, connection_id: str) -> list[str]:
        """The names (or ids) of the organisations reached through a connection."""
        found = await tenants_of_connection(self.store, connection_id)
        return [tenant.name or tenant.tenant_id for tenant in found]

    async def raise_alert(self, type_: str, message: str, *, fix: str, record: str) -> None:
        """Record (or bump) an alert about a connection."""
        await raise_alert(self.store, type_, message, fix=fix, record=record)

    async def alert_needs_reconnect(self, connection_id: str, message: str, *, fix: str) -> None:
        """Raise the connection's "needs reconnecting" alert."""
        await raise_alert(self.store, NEEDS_RECONNECT_ALERT, message, fix=fix, record=connection_id)

    async def resolve_needs_reconnect(self, connection_id: str) -> None:
        """Resolve the connection's "needs reconnecting" alert (it works again)."""
        await resolve_alerts(self.store, record=connection_id, types=(NEEDS_RECONNECT_ALERT,))
