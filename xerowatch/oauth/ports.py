"""What the OAuth package needs from the store: the `TokenStore` protocol and its records."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from pydantic import SecretStr

from xerowatch.store.tokens import (
    IssuedTokens,
    Provider,
    RefreshClaim,
    StoredConnection,
    TokenStoreError,
)

__all__ = [
    "IssuedTokens",
    "Provider",
    "RefreshClaim",
    "StoredConnection",
    "TokenStore",
    "TokenStoreError",
]


class TokenStore(Protocol):
    """Durable token sets per connection, with the cross-process refresh claim.

    `claim`, `release`, `commit` and `replace` raise TokenStoreError for an unknown connection.
    """

    async def load(self, connection_id: str) -> StoredConnection | None:
        """Return a connection and its tokens, or None when it is not stored."""
        ...

    async def connections(self, provider: Provider) -> list[StoredConnection]:
        """Return the provider's connections, oldest first."""
        ...

    async def create(
        self, *, provider: Provider, auth_mode: str, tokens: IssuedTokens, now: datetime
    ) -> str:
        """Store a new connection with its first token set; return its id."""
        ...

    async def replace(
        self, connection_id: str, tokens: IssuedTokens, *, now: datetime
    ) -> StoredConnection:
        """Install the token set of a fresh grant (status back to connected)."""
        ...

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
        ...

    async def release(self, connection_id: str, *, holder: str) -> None:
        """Give up the refresh claim if `holder` still has it."""
        ...

    async def commit(
        self,
        connection_id: str,
        tokens: IssuedTokens,
        *,
        used_refresh_token: SecretStr | None,
        now: datetime,
    ) -> StoredConnection:
        """Atomically store a refreshed token set (clearing the claim); only then use it."""
        ...

    async def mark_needs_reconnect(self, connection_id: str, reason: str, *, now: datetime) -> None:
        """Flag the connection unusable until an admin authorises again."""
        ...
