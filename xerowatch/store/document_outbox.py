"""The document outbox: a document's intent and its batch's idempotency scope are committed
before the request that creates it in Xero, so a crash leaves it 'sending' (in doubt) and the
next run looks it up in Xero by its key before sending it again — never twice.

One row per (tenant, kind, key); `kind` is the caller's document kind (e.g. 'invoice'), `key`
what makes it one document in Xero (e.g. a sales invoice's number, a bill's supplier and
number, a PO number, a journal's narration), casefolded.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import aiosqlite

from xerowatch.store.chunked import select_in
from xerowatch.store.db import Store, utc_now_iso

DocumentState = Literal["pending", "sending", "done", "rejected", "dead"]
ERROR_CHARS = 2000


@dataclass(frozen=True)
class DocumentIntent:
    """A document to create: its key, the caller's record it comes from, and its Xero JSON."""

    key: str
    record_ref: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class OutboxDocument:
    """One outbox row."""

    tenant_id: str
    kind: str
    key: str
    record_ref: str
    payload: dict[str, Any]
    payload_hash: str
    state: DocumentState
    scope: str | None
    attempts: int
    xero_id: str | None
    total: str | None
    last_error: str | None
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class Settlement:
    """How one document's attempt ended (`state` is where the row goes)."""

    key: str
    state: DocumentState
    xero_id: str | None = None
    total: str | None = None
    error: str | None = None
    spend_attempt: bool = True
    """False when the request never went out: the attempt is given back."""


def payload_hash(payload: dict[str, Any]) -> str:
    """Return the sha256 of a payload's canonical JSON."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _row(row: aiosqlite.Row) -> OutboxDocument:
    data = dict(row)
    data["payload"] = json.loads(data.pop("payload_json"))
    return OutboxDocument(**data)


async def enqueue(
    store: Store, tenant_id: str, kind: str, intents: Sequence[DocumentIntent]
) -> None:
    """Record documents to create. A row already done or in doubt is left alone; a pending,
    rejected or dead one takes the new payload and becomes pending with a fresh attempt budget
    (a corrected record is sent again)."""
    now = utc_now_iso()
    async with store.transaction() as conn:
        await conn.executemany(
            """
            INSERT INTO document_outbox (tenant_id, kind, key, record_ref, payload_json,
                                         payload_hash, state, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)
            ON CONFLICT (tenant_id, kind, key) DO UPDATE SET
                record_ref = excluded.record_ref, payload_json = excluded.payload_json,
                payload_hash = excluded.payload_hash, state = 'pending', attempts = 0,
                last_error = NULL, updated_at = excluded.updated_at
            WHERE document_outbox.state IN ('pending', 'rejected', 'dead')
              AND (document_outbox.payload_hash != excluded.payload_hash
                   OR document_outbox.state != 'pending')
            """,
            [
                (
                    tenant_id,
                    kind,
                    intent.key.casefold(),
                    intent.record_ref,
                    json.dumps(intent.payload, sort_keys=True),
                    payload_hash(intent.payload),
                    now,
                    now,
                )
                for intent in intents
            ],
        )


async def pending(store: Store, tenant_id: str, kind: str, limit: int) -> list[OutboxDocument]:
    """Return up to `limit` documents waiting to be sent, oldest first."""
    rows = await store.fetchall(
        "SELECT * FROM document_outbox WHERE tenant_id = ? AND kind = ? AND state = 'pending' "
        "ORDER BY created_at, key LIMIT ?",
        (tenant_id, kind, limit),
    )
    return [_row(row) for row in rows]


async def in_doubt(store: Store, tenant_id: str, kind: str) -> list[OutboxDocument]:
    """Return documents whose request may have reached Xero without an answer being recorded."""
    rows = await store.fetchall(
        "SELECT * FROM document_outbox WHERE tenant_id = ? AND kind = ? AND state = 'sending' "
        "ORDER BY created_at, key",
        (tenant_id, kind),
    )
    return [_row(row) for row in rows]


async def begin_batch(
    store: Store, tenant_id: str, kind: str, keys: Sequence[str], scope: str
) -> None:
    """Commit, before the request: these documents are being sent under idempotency `scope`."""
    now = utc_now_iso()
    async with store.transaction() as conn:
        await conn.executemany(
            "UPDATE document_outbox SET state = 'sending', scope = ?, attempts = attempts + 1, "
            "updated_at = ? WHERE tenant_id = ? AND kind = ? AND key = ?",
            [(scope, now, tenant_id, kind, key.casefold()) for key in keys],
        )


async def settle(
    store: Store, tenant_id: str, kind: str, settlements: Sequence[Settlement]
) -> None:
    """Record how each document's attempt ended, in one transaction."""
    now = utc_now_iso()
    async with store.transaction() as conn:
        await conn.executemany(
            "UPDATE document_outbox SET state = ?, xero_id = COALESCE(?, xero_id), "
            "total = COALESCE(?, total), last_error = ?, "
            "attempts = CASE WHEN ? THEN attempts ELSE MAX(attempts - 1, 0) END, updated_at = ? "
            "WHERE tenant_id = ? AND kind = ? AND key = ?",
            [
                (
                    s.state,
                    s.xero_id,
                    s.total,
                    s.error[:ERROR_CHARS] if s.error else None,
                    s.spend_attempt,
                    now,
                    tenant_id,
                    kind,
                    s.key.casefold(),
                )
                for s in settlements
            ],
        )


async def get_documents(
    store: Store, tenant_id: str, kind: str, keys: Sequence[str]
) -> dict[str, OutboxDocument]:
    """Return the rows for these keys (casefolded key → row)."""
    folded = list(dict.fromkeys(key.casefold() for key in keys))
    rows = await select_in(
        store,
        "SELECT * FROM document_outbox WHERE tenant_id = ? AND kind = ? AND key IN ({marks})",
        folded,
        before=(tenant_id, kind),
    )
    return {row["key"]: _row(row) for row in rows}


async def by_record(store: Store, record_ref: str) -> list[OutboxDocument]:
    """Return every document that came from one source record (for the dashboard's detail)."""
    rows = await store.fetchall(
        "SELECT * FROM document_outbox WHERE record_ref = ? ORDER BY kind, key", (record_ref,)
    )
    return [_row(row) for row in rows]


async def retry_now(store: Store, tenant_id: str, kind: str, key: str) -> bool:
    """Operator retry (`r`): a rejected or dead document becomes pending with a fresh budget."""
    async with store.transaction() as conn:
        cursor = await conn.execute(
            "UPDATE document_outbox SET state = 'pending', attempts = 0, updated_at = ? "
            "WHERE tenant_id = ? AND kind = ? AND key = ? AND state IN ('rejected', 'dead')",
            (utc_now_iso(), tenant_id, kind, key.casefold()),
        )
        return cursor.rowcount > 0


async def counts(store: Store) -> dict[tuple[str, str], int]:
    """Return document counts per (kind, state), for status and metrics."""
    rows = await store.fetchall(
        "SELECT kind, state, COUNT(*) FROM document_outbox GROUP BY kind, state"
    )
    return {(row[0], row[1]): int(row[2]) for row in rows}
