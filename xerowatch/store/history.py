"""Integration history: every attempt, in both directions, kept for the retention period."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import aiosqlite

from xerowatch.store.db import Store, utc_now_iso

Direction = Literal["to_xero", "from_xero", "to_source", "from_source", "system"]
Outcome = Literal["ok", "error", "retry", "skipped", "info"]


@dataclass(frozen=True)
class HistoryEntry:
    """One attempt or event as recorded."""

    record: str
    action: str
    outcome: Outcome
    direction: Direction
    tenant_id: str = ""
    message: str = ""
    http_status: int | None = None
    correlation_id: str | None = None
    payload_digest: str | None = None
    at: str = ""
    id: int = 0


def digest(payload: Any) -> str:
    """Return a short stable digest of what was sent (never the payload itself)."""
    text = json.dumps(payload, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


async def add_entries(conn: aiosqlite.Connection, entries: Iterable[HistoryEntry]) -> None:
    """Inside a transaction: append history rows."""
    now = utc_now_iso()
    await conn.executemany(
        """
        INSERT INTO history (at, tenant_id, direction, record, action, outcome, http_status,
                             correlation_id, message, payload_digest)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [
            (
                e.at or now,
                e.tenant_id,
                e.direction,
                e.record,
                e.action,
                e.outcome,
                e.http_status,
                e.correlation_id,
                e.message[:2000],
                e.payload_digest,
            )
            for e in entries
        ],
    )


async def record(store: Store, entry: HistoryEntry) -> None:
    """Append one history row on its own."""
    async with store.transaction() as conn:
        await add_entries(conn, [entry])


async def for_record(store: Store, record_key: str, limit: int = 200) -> list[HistoryEntry]:
    """Return the history of one record (a RefInternal or a Xero id), newest first."""
    rows = await store.fetchall(
        "SELECT * FROM history WHERE record = ? ORDER BY id DESC LIMIT ?", (record_key, limit)
    )
    return [HistoryEntry(**dict(row)) for row in rows]


async def recent(store: Store, limit: int = 100) -> list[HistoryEntry]:
    """Return the newest history rows."""
    rows = await store.fetchall("SELECT * FROM history ORDER BY id DESC LIMIT ?", (limit,))
    return [HistoryEntry(**dict(row)) for row in rows]
