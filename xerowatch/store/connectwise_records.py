"""The ConnectWise stream's per-record state: each customer and invoice, per Xero organisation.

An invoice goes held → queued (its draft is in the document outbox) → in_xero (the outbox says
Xero has it) → posted (posted in ConnectWise). It is posted in ConnectWise only from in_xero, so
a record is never marked posted before Xero has it; a crash at any point leaves a state the next
run carries on from (the outbox reconciles the Xero side, posting again is safe).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import aiosqlite

from xerowatch.store.chunked import select_in
from xerowatch.store.connectwise_view import describe_counts, stream_views
from xerowatch.store.db import Store, utc_now_iso

RecordKind = Literal[
    "customer", "invoice", "member", "expense", "purchase", "adjustment", "transfer"
]
"""'customer' is any ConnectWise company (customer or vendor), 'member' a ConnectWise member:
both are Xero contacts. The others are records that become Xero documents."""
RECORD_KINDS: tuple[RecordKind, ...] = (
    "customer",
    "invoice",
    "member",
    "expense",
    "purchase",
    "adjustment",
    "transfer",
)
RecordState = Literal[
    "held", "pending", "sending", "done", "rejected", "queued", "in_xero", "posted"
]
ERROR_CHARS = 2000


@dataclass(frozen=True)
class CwRecord:
    """One ConnectWise record as the stream last left it."""

    tenant_id: str
    kind: RecordKind
    cw_id: int
    number: str
    """Invoice number, or the customer's contact key (its Xero ContactNumber)."""
    parent_id: int | None
    """An invoice's company id."""
    content_hash: str | None
    state: RecordState
    xero_id: str | None
    gl_entry_ids: str
    posted_at: str | None
    settled: int
    """Payments back: 0 posted, not yet seen by a payments read; 2 seen (later changes come
    with the If-Modified-Since read); 1 paid in full in Xero and every payment posted back
    (not read again)."""
    last_error: str | None
    updated_at: str
    doc_keys: str = ""
    """A document record's outbox rows, `{document kind}|{key}` a line (migration 0009)."""
    batch: str | None = None
    """A document record's ConnectWise batch identifier (shared by one Xero document's)."""


@dataclass(frozen=True)
class RecordUpdate:
    """Where one record goes now (None fields keep their stored value)."""

    cw_id: int
    number: str
    state: RecordState
    parent_id: int | None = None
    content_hash: str | None = None
    xero_id: str | None = None
    gl_entry_ids: str | None = None
    error: str | None = None
    doc_keys: str | None = None
    batch: str | None = None


def record_ref(kind: RecordKind, cw_id: int) -> str:
    """The record key alerts, history and the outbox use: `cw-invoice:42`, `cw-expense:7`."""
    return f"cw-{kind}:{cw_id}"


def _row(row: aiosqlite.Row) -> CwRecord:
    return CwRecord(**dict(row))


async def save(
    store: Store, tenant_id: str, kind: RecordKind, updates: Sequence[RecordUpdate]
) -> None:
    """Write records' new states in one transaction (last_error is replaced, even by None)."""
    if updates:
        async with store.transaction() as conn:
            await save_in(conn, tenant_id, kind, updates)


async def save_in(
    conn: aiosqlite.Connection, tenant_id: str, kind: RecordKind, updates: Sequence[RecordUpdate]
) -> None:
    """Inside a transaction: write records' new states."""
    now = utc_now_iso()
    await conn.executemany(
        """
        INSERT INTO cw_records (tenant_id, kind, cw_id, number, parent_id, content_hash, state,
                                xero_id, gl_entry_ids, last_error, updated_at, doc_keys, batch)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, COALESCE(?, ''), ?, ?, COALESCE(?, ''), ?)
        ON CONFLICT (tenant_id, kind, cw_id) DO UPDATE SET
            number = excluded.number,
            parent_id = COALESCE(excluded.parent_id, cw_records.parent_id),
            content_hash = COALESCE(excluded.content_hash, cw_records.content_hash),
            state = excluded.state,
            xero_id = COALESCE(excluded.xero_id, cw_records.xero_id),
            gl_entry_ids = CASE WHEN ? IS NULL THEN cw_records.gl_entry_ids
                                ELSE excluded.gl_entry_ids END,
            posted_at = CASE WHEN excluded.state = 'posted' THEN excluded.updated_at
                             ELSE cw_records.posted_at END,
            last_error = excluded.last_error,
            updated_at = excluded.updated_at,
            doc_keys = CASE WHEN ? IS NULL THEN cw_records.doc_keys ELSE excluded.doc_keys END,
            batch = COALESCE(excluded.batch, cw_records.batch)
        """,
        [
            (
                tenant_id,
                kind,
                u.cw_id,
                u.number,
                u.parent_id,
                u.content_hash,
                u.state,
                u.xero_id,
                u.gl_entry_ids,
                u.error[:ERROR_CHARS] if u.error else None,
                now,
                u.doc_keys,
                u.batch,
                u.gl_entry_ids,
                u.doc_keys,
            )
            for u in updates
        ],
    )


async def get(
    store: Store, tenant_id: str, kind: RecordKind, cw_ids: Sequence[int]
) -> dict[int, CwRecord]:
    """Return the stored records among these ids, by id."""
    rows = await select_in(
        store,
        "SELECT * FROM cw_records WHERE tenant_id = ? AND kind = ? AND cw_id IN ({marks})",
        list(dict.fromkeys(cw_ids)),
        before=(tenant_id, kind),
    )
    found = {int(row["cw_id"]): _row(row) for row in rows}
    return found


async def in_state(
    store: Store, tenant_id: str, kind: RecordKind, states: Sequence[RecordState]
) -> list[CwRecord]:
    """Return the records of a kind in any of these states, oldest first."""
    marks = ",".join("?" * len(states))
    rows = await store.fetchall(
        f"SELECT * FROM cw_records WHERE tenant_id = ? AND kind = ? AND state IN ({marks}) "
        "ORDER BY updated_at, cw_id",
        (tenant_id, kind, *states),
    )
    return [_row(row) for row in rows]


async def find(store: Store, ref_or_number: str) -> list[CwRecord]:
    """Records named by an operator: `cw-expense:42`, an invoice number or a contact key."""
    kind, _, cw_id = ref_or_number.removeprefix("cw-").partition(":")
    if kind in RECORD_KINDS and cw_id.isdigit():
        rows = await store.fetchall(
            "SELECT * FROM cw_records WHERE kind = ? AND cw_id = ?", (kind, int(cw_id))
        )
    else:
        rows = await store.fetchall(
            "SELECT * FROM cw_records WHERE number = ? ORDER BY kind DESC", (ref_or_number,)
        )
    return [_row(row) for row in rows]


async def unsettled_posted(store: Store, tenant_id: str) -> list[CwRecord]:
    """Posted invoices whose payments may still change (not settled yet)."""
    rows = await store.fetchall(
        "SELECT * FROM cw_records WHERE tenant_id = ? AND kind = 'invoice' AND state = 'posted' "
        "AND settled != 1 AND xero_id IS NOT NULL ORDER BY cw_id",
        (tenant_id,),
    )
    return [_row(row) for row in rows]


async def mark_settled(store: Store, tenant_id: str, cw_ids: Sequence[int]) -> None:
    """These invoices are paid in full and their payments posted: stop reading them."""
    async with store.transaction() as conn:
        await conn.executemany(
            "UPDATE cw_records SET settled = 1, updated_at = ? "
            "WHERE tenant_id = ? AND kind = 'invoice' AND cw_id = ?",
            [(utc_now_iso(), tenant_id, cw_id) for cw_id in cw_ids],
        )


async def counts(store: Store) -> dict[tuple[str, str], int]:
    """Records per (kind, state), for status and the tests."""
    rows = await store.fetchall("SELECT kind, state, COUNT(*) FROM cw_records GROUP BY kind, state")
    return {(row[0], row[1]): int(row[2]) for row in rows}


async def stream_lines(store: Store) -> list[str]:
    """The ConnectWise streams in words, a line each (every kind with records), for `status`."""
    return [
        f"ConnectWise {view.label}: {describe_counts(view.by_state)}"
        for view in await stream_views(store)
    ]
