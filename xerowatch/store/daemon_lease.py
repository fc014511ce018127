"""The `daemon_lease` table: who holds a store's daemon lease, taken, kept and given up."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import aiosqlite

from xerowatch.store.db import Store


@dataclass(frozen=True)
class LeaseInfo:
    """Who holds a lease, as stored."""

    holder: str
    pid: int
    host: str
    acquired_at: datetime
    heartbeat_at: datetime

    def describe(self, now: datetime) -> str:
        """Name the holder for a human: pid, host and heartbeat age."""
        age = max(0.0, (now - self.heartbeat_at).total_seconds())
        return f"pid {self.pid} on host {self.host} (last heartbeat {age:.0f} s ago)"


@dataclass(frozen=True)
class LeaseClaim:
    """One process's claim on a named lease: the row it writes when it takes the lease."""

    name: str
    holder: str
    pid: int
    host: str


_COLUMNS = "holder, pid, host, acquired_at, heartbeat_at"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def _parse(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _info(row: aiosqlite.Row) -> LeaseInfo:
    return LeaseInfo(
        holder=str(row["holder"]),
        pid=int(row["pid"]),
        host=str(row["host"]),
        acquired_at=_parse(str(row["acquired_at"])),
        heartbeat_at=_parse(str(row["heartbeat_at"])),
    )


async def get(store: Store, name: str) -> LeaseInfo | None:
    """Return the lease as stored, or None when nobody holds it."""
    row = await store.fetchone(f"SELECT {_COLUMNS} FROM daemon_lease WHERE name = ?", (name,))
    return _info(row) if row else None


async def take(
    store: Store, claim: LeaseClaim, now: datetime, *, vet: Callable[[LeaseInfo], None]
) -> LeaseInfo | None:
    """Write our claim as the lease's holder; return the row it replaced (None: it was free).

    When another holder has the row, `vet` is shown it first, inside the same transaction, and
    refuses the takeover by raising; nothing is written then.
    """
    async with store.transaction() as conn:
        cursor = await conn.execute(
            f"SELECT {_COLUMNS} FROM daemon_lease WHERE name = ?", (claim.name,)
        )
        row = await cursor.fetchone()
        previous = _info(row) if row else None
        if previous is not None and previous.holder != claim.holder:
            vet(previous)
        await conn.execute(
            """
            INSERT INTO daemon_lease (name, holder, pid, host, acquired_at, heartbeat_at)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (name) DO UPDATE SET
                holder = excluded.holder, pid = excluded.pid, host = excluded.host,
                acquired_at = excluded.acquired_at, heartbeat_at = excluded.heartbeat_at
            """,
            (claim.name, claim.holder, claim.pid, claim.host, _iso(now), _iso(now)),
        )
    return previous


async def heartbeat(store: Store, claim: LeaseClaim, now: datetime) -> bool:
    """Stamp our heartbeat; False when the lease is no longer ours (gone or taken over)."""
    async with store.transaction() as conn:
        cursor = await conn.execute(
            "UPDATE daemon_lease SET heartbeat_at = ? WHERE name = ? AND holder = ?",
            (_iso(now), claim.name, claim.holder),
        )
        return cursor.rowcount == 1


async def release(store: Store, claim: LeaseClaim) -> bool:
    """Give the lease up if we hold it; return whether a row was removed."""
    async with store.transaction() as conn:
        cursor = await conn.execute(
            "DELETE FROM daemon_lease WHERE name = ? AND holder = ?", (claim.name, claim.holder)
        )
        return cursor.rowcount == 1
