"""OAuth token sets in the store, for any provider (Xero, Wisenet): crash-safe rotation.

A refresh is bracketed by two durable writes: `mark_refresh_started` before the request goes
out, and `commit_rotation` (one transaction) before the new access token is used. A row whose
`refresh_started_at` is still set therefore means "a refresh was sent and its answer may have
been lost", and the stored refresh token is the one to retry with.

Processes sharing the store take turns through a refresh claim: `claim_refresh` (holder and
lease expiry, decided in one BEGIN IMMEDIATE transaction) before deciding to refresh,
`release_refresh` when done; `commit_rotation`, `replace_tokens` and `mark_needs_reconnect`
clear it with the tokens they write. A claim whose lease ran out belongs to nobody, and so does
one whose holder ran on this host and has exited.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import aiosqlite
from pydantic import SecretStr

from xerowatch.store.db import Store

Provider = Literal["xero", "wisenet"]
ConnectionStatus = Literal["connected", "needs_reconnect"]


class TokenStoreError(Exception):
    """A token operation named a connection the store does not hold."""


@dataclass(frozen=True)
class IssuedTokens:
    """What a token endpoint just issued, ready to be stored."""

    access_token: SecretStr
    access_expires_at: datetime
    refresh_token: SecretStr | None
    scopes: str


@dataclass(frozen=True)
class StoredConnection:
    """A connection and its current token set, as stored (secrets stay SecretStr)."""

    connection_id: str
    provider: Provider
    auth_mode: str
    status: ConnectionStatus
    status_reason: str | None
    access_token: SecretStr | None
    access_expires_at: datetime | None
    refresh_token: SecretStr | None
    previous_refresh_token: SecretStr | None
    rotated_at: datetime | None
    refresh_started_at: datetime | None
    scopes: str
    refresh_holder: str | None = None
    refresh_lease_until: datetime | None = None

    @property
    def refresh_pending(self) -> bool:
        """True when a refresh was sent and its outcome was never committed."""
        return self.refresh_started_at is not None

    def refresh_claimed_by_other(self, holder: str, now: datetime) -> bool:
        """True while a holder other than `holder` has a refresh claim whose lease runs (and,
        if it ran on this host, whose process is still alive)."""
        return (
            self.refresh_holder is not None
            and self.refresh_holder != holder
            and self.refresh_lease_until is not None
            and self.refresh_lease_until > now
            and not holder_exited(self.refresh_holder)
        )

    def seconds_left(self, now: datetime) -> float:
        """Seconds until the access token expires (negative once expired, -inf without one)."""
        if self.access_token is None or self.access_expires_at is None:
            return float("-inf")
        return (self.access_expires_at - now).total_seconds()


def claim_holder() -> str:
    """A refresh-claim holder name for this process: host, pid and a random part."""
    return f"{socket.gethostname()}/pid{os.getpid()}-{uuid.uuid4().hex[:12]}"


def holder_exited(holder: str) -> bool:
    """True when the holder ran on this host and its process is gone (a SIGKILL or a crash).

    Its claim need not be waited out then: a restarted daemon refreshes at once. Holders of
    another host, or named otherwise, are taken to be alive until their lease runs out.
    """
    host, sep, rest = holder.rpartition("/pid")
    pid_text = rest.split("-", 1)[0]
    if not sep or host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError):
        return False
    return False


@dataclass(frozen=True)
class RefreshClaim:
    """The outcome of `claim_refresh`, with the connection as read inside the claim."""

    connection: StoredConnection
    claimed: bool
    """True when the caller now holds the claim (taken, renewed, or taken over when stale)."""


_SELECT = """
    SELECT c.id, c.provider, c.auth_mode, c.status, c.status_reason,
           t.access_token, t.access_expires_at, t.refresh_token, t.previous_refresh_token,
           t.rotated_at, t.refresh_started_at, t.scopes, t.refresh_holder, t.refresh_lease_until
    FROM connections c LEFT JOIN oauth_tokens t ON t.connection_id = c.id
"""


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _secret(text: str | None) -> SecretStr | None:
    return SecretStr(text) if text else None


def _plain(secret: SecretStr | None) -> str | None:
    return secret.get_secret_value() if secret is not None else None


def _from_row(row: aiosqlite.Row) -> StoredConnection:
    return StoredConnection(
        connection_id=row["id"],
        provider=row["provider"],
        auth_mode=row["auth_mode"],
        status=row["status"],
        status_reason=row["status_reason"],
        access_token=_secret(row["access_token"]),
        access_expires_at=_when(row["access_expires_at"]),
        refresh_token=_secret(row["refresh_token"]),
        previous_refresh_token=_secret(row["previous_refresh_token"]),
        rotated_at=_when(row["rotated_at"]),
        refresh_started_at=_when(row["refresh_started_at"]),
        scopes=row["scopes"] or "",
        refresh_holder=row["refresh_holder"],
        refresh_lease_until=_when(row["refresh_lease_until"]),
    )


async def _read(conn: aiosqlite.Connection, connection_id: str) -> StoredConnection:
    cursor = await conn.execute(_SELECT + " WHERE c.id = ?", (connection_id,))
    row = await cursor.fetchone()
    if row is None:
        raise TokenStoreError(f"connection {connection_id} is not in the store")
    return _from_row(row)


async def create_connection(
    store: Store,
    *,
    provider: Provider,
    auth_mode: str,
    tokens: IssuedTokens,
    now: datetime,
    connection_id: str | None = None,
) -> str:
    """Store a new connection with its first token set in one transaction; return its id."""
    new_id = connection_id or str(uuid.uuid4())
    stamp = _iso(now)
    async with store.transaction() as conn:
        await conn.execute(
            "INSERT INTO connections (id, provider, auth_mode, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (new_id, provider, auth_mode, stamp, stamp),
        )
        await conn.execute(
            "INSERT INTO oauth_tokens (connection_id, access_token, access_expires_at, "
            "refresh_token, scopes, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                new_id,
                tokens.access_token.get_secret_value(),
                _iso(tokens.access_expires_at),
                _plain(tokens.refresh_token),
                tokens.scopes,
                stamp,
            ),
        )
    return new_id


async def load_connection(store: Store, connection_id: str) -> StoredConnection | None:
    """Return a connection and its tokens, or None if the store has no such connection."""
    row = await store.fetchone(_SELECT + " WHERE c.id = ?", (connection_id,))
    return _from_row(row) if row is not None else None


async def list_connections(
    store: Store, *, provider: Provider | None = None
) -> list[StoredConnection]:
    """Return every connection (of one provider, when given), oldest first."""
    if provider is None:
        rows = await store.fetchall(_SELECT + " ORDER BY c.created_at, c.id")
    else:
        rows = await store.fetchall(
            _SELECT + " WHERE c.provider = ? ORDER BY c.created_at, c.id", (provider,)
        )
    return [_from_row(row) for row in rows]


async def mark_refresh_started(store: Store, connection_id: str, now: datetime) -> None:
    """Durably note that a refresh request is about to be sent with the stored refresh token."""
    async with store.transaction() as conn:
        cursor = await conn.execute(
            "UPDATE oauth_tokens SET refresh_started_at = ?, updated_at = ? "
            "WHERE connection_id = ?",
            (_iso(now), _iso(now), connection_id),
        )
        if cursor.rowcount == 0:
            raise TokenStoreError(f"connection {connection_id} has no stored tokens")


async def claim_refresh(
    store: Store,
    connection_id: str,
    *,
    holder: str,
    now: datetime,
    lease_s: float,
    mark_started: bool = False,
) -> RefreshClaim:
    """Take or renew the connection's refresh claim unless another holder's lease is running.

    One BEGIN IMMEDIATE transaction, so of two processes claiming at once exactly one wins, and
    the connection returned is the one the winner must decide on (a pair another process
    committed before is already in it). `mark_started` also does `mark_refresh_started`, so a
    refresh is only ever marked (and then sent) under a live claim.
    """
    async with store.transaction() as conn:
        current = await _read(conn, connection_id)
        if current.refresh_claimed_by_other(holder, now):
            return RefreshClaim(current, claimed=False)
        lease_until = _iso(now + timedelta(seconds=lease_s))
        started = _iso(now) if mark_started else None
        cursor = await conn.execute(
            "UPDATE oauth_tokens SET refresh_holder = ?, refresh_lease_until = ?, "
            "refresh_started_at = COALESCE(?, refresh_started_at) WHERE connection_id = ?",
            (holder, lease_until, started, connection_id),
        )
        if cursor.rowcount == 0:
            raise TokenStoreError(f"connection {connection_id} has no stored tokens")
        return RefreshClaim(await _read(conn, connection_id), claimed=True)


async def release_refresh(store: Store, connection_id: str, *, holder: str) -> None:
    """Give up the refresh claim if `holder` still has it (a no-op otherwise)."""
    async with store.transaction() as conn:
        await conn.execute(
            "UPDATE oauth_tokens SET refresh_holder = NULL, refresh_lease_until = NULL "
            "WHERE connection_id = ? AND refresh_holder = ?",
            (connection_id, holder),
        )


async def commit_rotation(
    store: Store,
    connection_id: str,
    tokens: IssuedTokens,
    *,
    used_refresh_token: SecretStr | None,
    now: datetime,
) -> StoredConnection:
    """Atomically store a refreshed token set and return it; only then may it be used.

    The refresh token that was sent is kept as `previous_refresh_token` when the answer
    rotated it; a provider that does not rotate (no refresh token in the answer) keeps the
    stored one. Clears `refresh_started_at` and the refresh claim.
    """
    new_refresh = _plain(tokens.refresh_token)
    used = _plain(used_refresh_token)
    rotated = new_refresh is not None and used is not None and new_refresh != used
    stamp = _iso(now)
    async with store.transaction() as conn:
        cursor = await conn.execute(
            """
            UPDATE oauth_tokens SET
                access_token = ?,
                access_expires_at = ?,
                refresh_token = COALESCE(?, refresh_token),
                previous_refresh_token = CASE WHEN ? THEN ? ELSE previous_refresh_token END,
                rotated_at = CASE WHEN ? THEN ? ELSE rotated_at END,
                refresh_started_at = NULL,
                refresh_holder = NULL,
                refresh_lease_until = NULL,
                scopes = CASE WHEN ? <> '' THEN ? ELSE scopes END,
                updated_at = ?
            WHERE connection_id = ?
            """,
            (
                tokens.access_token.get_secret_value(),
                _iso(tokens.access_expires_at),
                new_refresh,
                rotated,
                used,
                rotated,
                stamp,
                tokens.scopes,
                tokens.scopes,
                stamp,
                connection_id,
            ),
        )
        if cursor.rowcount == 0:
            raise TokenStoreError(f"connection {connection_id} has no stored tokens")
        await conn.execute(
            "UPDATE connections SET updated_at = ? WHERE id = ?", (stamp, connection_id)
        )
        return await _read(conn, connection_id)


async def replace_tokens(
    store: Store, connection_id: str, tokens: IssuedTokens, *, now: datetime
) -> StoredConnection:
    """Install a token set from a fresh grant (re-authorisation): status back to connected."""
    stamp = _iso(now)
    async with store.transaction() as conn:
        cursor = await conn.execute(
            """
            UPDATE oauth_tokens SET access_token = ?, access_expires_at = ?, refresh_token = ?,
                previous_refresh_token = NULL, rotated_at = NULL, refresh_started_at = NULL,
                refresh_holder = NULL, refresh_lease_until = NULL, scopes = ?, updated_at = ?
            WHERE connection_id = ?
            """,
            (
                tokens.access_token.get_secret_value(),
                _iso(tokens.access_expires_at),
                _plain(tokens.refresh_token),
                tokens.scopes,
                stamp,
                connection_id,
            ),
        )
        if cursor.rowcount == 0:
            raise TokenStoreError(f"connection {connection_id} has no stored tokens")
        await conn.execute(
            "UPDATE connections SET status = 'connected', status_reason = NULL, updated_at = ? "
            "WHERE id = ?",
            (stamp, connection_id),
        )
        return await _read(conn, connection_id)


async def mark_needs_reconnect(
    store: Store, connection_id: str, reason: str, *, now: datetime
) -> None:
    """Flag a connection as unusable until an admin authorises again; clears a pending refresh."""
    stamp = _iso(now)
    async with store.transaction() as conn:
        cursor = await conn.execute(
            "UPDATE connections SET status = 'needs_reconnect', status_reason = ?, updated_at = ? "
            "WHERE id = ?",
            (reason, stamp, connection_id),
        )
        if cursor.rowcount == 0:
            raise TokenStoreError(f"connection {connection_id} is not in the store")
        await conn.execute(
            "UPDATE oauth_tokens SET refresh_started_at = NULL, refresh_holder = NULL, "
            "refresh_lease_until = NULL, updated_at = ? WHERE connection_id = ?",
            (stamp, connection_id),
        )


async def delete_connection(store: Store, connection_id: str) -> bool:
    """Remove a connection, its tokens and (by cascade) its tenants; True if it existed."""
    async with store.transaction() as conn:
        cursor = await conn.execute("DELETE FROM connections WHERE id = ?", (connection_id,))
        return cursor.rowcount > 0
