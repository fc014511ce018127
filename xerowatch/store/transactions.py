"""Transactions pulled from Xero, their match to a learner, and their write-back state."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import aiosqlite

from xerowatch.records import SourceTransaction, TransactionKind
from xerowatch.store.chunked import in_chunks
from xerowatch.store.db import Store, utc_now_iso


@dataclass(frozen=True)
class TransactionRow:
    """A Xero transaction as stored (the mapped write-back record plus bookkeeping)."""

    tenant_id: str
    contact_id: str | None
    matched: bool
    tx: SourceTransaction


def tx_hash(tx: SourceTransaction) -> str:
    """Return the hash of everything written back for a transaction (its link included)."""
    return hashlib.sha256(tx.model_dump_json().encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class PendingWrite:
    """A matched transaction whose current content has not been written back yet."""

    tenant_id: str
    kind: TransactionKind
    xero_id: str
    content_hash: str
    tx: SourceTransaction
    sent_fingerprint: str | None = None
    """What the source was last sent for this transaction (its `write_fingerprint`), if known."""


async def upsert_transactions(conn: aiosqlite.Connection, rows: Iterable[TransactionRow]) -> int:
    """Inside a transaction: store transactions; return how many are new or changed."""
    changed = 0
    for row in rows:
        tx = row.tx
        cursor = await conn.execute(
            "SELECT content_hash, matched, online_invoice_url FROM transactions "
            "WHERE tenant_id = ? AND kind = ? AND xero_id = ?",
            (row.tenant_id, tx.kind, tx.xero_id),
        )
        before = await cursor.fetchone()
        if before is not None and before[2] and not tx.online_invoice_url:
            tx = tx.model_copy(update={"online_invoice_url": before[2]})
        content_hash = tx_hash(tx)
        if before is not None and before[0] == content_hash and bool(before[1]) == row.matched:
            continue
        changed += 1
        await conn.execute(
            """
            INSERT INTO transactions (tenant_id, kind, xero_id, contact_id, ref_internal,
                source_id, number, xero_type, status, date, total, amount_due, amount_paid,
                currency, updated_utc, data_json, content_hash, matched, online_invoice_url)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (tenant_id, kind, xero_id) DO UPDATE SET
                contact_id = excluded.contact_id, ref_internal = excluded.ref_internal,
                source_id = excluded.source_id, number = excluded.number,
                xero_type = excluded.xero_type, status = excluded.status, date = excluded.date,
                total = excluded.total, amount_due = excluded.amount_due,
                amount_paid = excluded.amount_paid, currency = excluded.currency,
                updated_utc = excluded.updated_utc, data_json = excluded.data_json,
                content_hash = excluded.content_hash, matched = excluded.matched,
                online_invoice_url = COALESCE(excluded.online_invoice_url,
                                              transactions.online_invoice_url)
            """,
            (
                row.tenant_id,
                tx.kind,
                tx.xero_id,
                row.contact_id,
                tx.ref_internal or None,
                tx.learner_source_id or None,
                tx.number,
                tx.xero_type,
                tx.status,
                tx.date.isoformat() if tx.date else None,
                str(tx.total) if tx.total is not None else None,
                str(tx.amount_due) if tx.amount_due is not None else None,
                str(tx.amount_paid) if tx.amount_paid is not None else None,
                tx.currency,
                tx.updated_utc.isoformat() if tx.updated_utc else utc_now_iso(),
                tx.model_dump_json(),
                content_hash,
                int(row.matched),
                tx.online_invoice_url,
            ),
        )
    return changed


async def matched_before(
    conn: aiosqlite.Connection, tenant_id: str, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], tuple[str, str | None]]:
    """Inside a transaction: (kind, xero_id) stored as matched → (RefInternal, number)."""
    found: dict[tuple[str, str], tuple[str, str | None]] = {}
    for kind, xero_id in keys:
        cursor = await conn.execute(
            "SELECT ref_internal, number FROM transactions WHERE tenant_id = ? AND kind = ? "
            "AND xero_id = ? AND matched = 1",
            (tenant_id, kind, xero_id),
        )
        row = await cursor.fetchone()
        if row is not None:
            found[(kind, xero_id)] = (row[0] or "", row[1])
    return found


@dataclass(frozen=True)
class LearnerRef:
    """The learner a Xero contact now belongs to."""

    ref_internal: str
    source_id: str


async def match_contacts(
    conn: aiosqlite.Connection, tenant_id: str, owners: dict[str, LearnerRef]
) -> int:
    """Inside a transaction: unmatched transactions of these ContactIDs now belong to a learner.

    A transaction pulled before its contact was linked (an answer lost in flight, an adopted
    or merged contact) is not re-read from Xero unless it changes; this makes it due for
    write-back now. Returns how many were matched.
    """
    matched = 0
    chunks = in_chunks(
        conn,
        "SELECT kind, xero_id, contact_id, data_json FROM transactions "
        "WHERE matched = 0 AND tenant_id = ? AND contact_id IN ({marks})",
        list(owners),
        before=(tenant_id,),
    )
    async for rows in chunks:
        for kind, xero_id, contact_id, data in rows:
            owner = owners[contact_id]
            tx = SourceTransaction.model_validate_json(data).model_copy(
                update={"learner_source_id": owner.source_id, "ref_internal": owner.ref_internal}
            )
            await conn.execute(
                "UPDATE transactions SET matched = 1, ref_internal = ?, source_id = ?, "
                "data_json = ?, content_hash = ? WHERE tenant_id = ? AND kind = ? AND xero_id = ?",
                (
                    owner.ref_internal,
                    owner.source_id,
                    tx.model_dump_json(),
                    tx_hash(tx),
                    tenant_id,
                    kind,
                    xero_id,
                ),
            )
            matched += 1
    return matched


async def stranded(conn: aiosqlite.Connection) -> dict[str, dict[str, LearnerRef]]:
    """Inside a transaction: tenant → {ContactID: learner} of unmatched transactions whose
    contact is linked (which must never happen; see `sync.housekeeping.check_stranded`)."""
    cursor = await conn.execute(
        "SELECT DISTINCT t.tenant_id, t.contact_id, l.ref_internal, l.source_id "
        "FROM transactions AS t JOIN contact_links AS l "
        "ON l.tenant_id = t.tenant_id AND l.contact_id = t.contact_id WHERE t.matched = 0"
    )
    found: dict[str, dict[str, LearnerRef]] = {}
    for tenant_id, contact_id, ref, source_id in await cursor.fetchall():
        found.setdefault(tenant_id, {})[contact_id] = LearnerRef(ref, source_id)
    return found


async def pending_writes(
    store: Store, *, limit: int = 500, tenant_id: str | None = None, due_at: str | None = None
) -> list[PendingWrite]:
    """Matched transactions whose content differs from what was written back.

    With `due_at`, those waiting for a later retry, or dead for this same content, are left out.
    """
    sql = (
        "SELECT t.tenant_id, t.kind, t.xero_id, t.content_hash, t.data_json, "
        "CASE WHEN j.state = 'done' THEN json_extract(j.payload_json, '$.sent') END AS sent "
        # The partial index lists exactly the pending rows in age order: the query reads one
        # chunk of it instead of sorting the whole backlog for every chunk.
        "FROM transactions AS t INDEXED BY transactions_pending_by_age "
        "LEFT JOIN jobs AS j ON j.tenant_id = t.tenant_id AND j.kind = 'writeback' "
        "AND j.key = t.kind || ':' || t.xero_id "
        "WHERE t.matched = 1 AND (t.written_hash IS NULL OR t.written_hash != t.content_hash)"
    )
    params: list[object] = []
    if due_at is not None:
        sql += (
            " AND NOT COALESCE(j.state = 'dead' "
            "AND json_extract(j.payload_json, '$.hash') = t.content_hash, 0)"
            " AND NOT COALESCE(j.state = 'retry' AND j.next_attempt_at > ?, 0)"
        )
        params.append(due_at)
    if tenant_id is not None:
        sql += " AND t.tenant_id = ?"
        params.append(tenant_id)
    # Newest first: a backlog is mostly history, while this month's invoices and payments are
    # what learners and staff act on; the index is walked backwards, so there is still no sort.
    sql += " ORDER BY t.updated_utc DESC LIMIT ?"
    params.append(limit)
    out: list[PendingWrite] = []
    for row in await store.fetchall(sql, params):
        tx = SourceTransaction.model_validate_json(row["data_json"])
        out.append(PendingWrite(row[0], row[1], row[2], row[3], tx, row["sent"]))
    return out


async def mark_written(
    store: Store, tenant_id: str, kind: str, xero_id: str, content_hash: str
) -> None:
    """Record that this content of the transaction is now in the source."""
    await store.execute(
        "UPDATE transactions SET written_hash = ?, written_back_at = ? "
        "WHERE tenant_id = ? AND kind = ? AND xero_id = ?",
        (content_hash, utc_now_iso(), tenant_id, kind, xero_id),
    )


async def mark_written_many(
    conn: aiosqlite.Connection, items: Sequence[tuple[str, str, str, str]]
) -> None:
    """Inside a transaction: (tenant_id, kind, xero_id, content_hash) are now in the source."""
    now = utc_now_iso()
    await conn.executemany(
        "UPDATE transactions SET written_hash = ?, written_back_at = ? "
        "WHERE tenant_id = ? AND kind = ? AND xero_id = ?",
        [
            (content_hash, now, tenant_id, kind, xero_id)
            for tenant_id, kind, xero_id, content_hash in items
        ],
    )


async def needing_online_url(store: Store, tenant_id: str, limit: int) -> list[str]:
    """Return matched ACCREC invoice ids with no online-invoice link checked yet."""
    rows = await store.fetchall(
        "SELECT xero_id FROM transactions WHERE tenant_id = ? AND kind = 'invoice' "
        "AND matched = 1 AND xero_type = 'ACCREC' AND status IN ('AUTHORISED', 'PAID') "
        "AND online_url_checked_at IS NULL ORDER BY updated_utc DESC LIMIT ?",
        (tenant_id, limit),
    )
    return [row[0] for row in rows]


async def tenants_of_invoice(store: Store, xero_id: str) -> list[str]:
    """Return the tenants holding a synced invoice with this InvoiceID."""
    rows = await store.fetchall(
        "SELECT tenant_id FROM transactions WHERE kind = 'invoice' AND xero_id = ? "
        "ORDER BY tenant_id",
        (xero_id,),
    )
    return [row[0] for row in rows]


async def invoices_numbered(store: Store, number: str) -> list[tuple[str, str]]:
    """Return (tenant_id, InvoiceID) of synced invoices with this InvoiceNumber."""
    rows = await store.fetchall(
        "SELECT tenant_id, xero_id FROM transactions WHERE kind = 'invoice' "
        "AND number = ? COLLATE NOCASE ORDER BY tenant_id",
        (number.strip(),),
    )
    return [(str(row[0]), str(row[1])) for row in rows]


async def record_keys_numbered(store: Store, number: str) -> list[str]:
    """History record keys (`kind:xero_id`) of transactions with this number."""
    rows = await store.fetchall(
        "SELECT DISTINCT kind, xero_id FROM transactions WHERE number = ? COLLATE NOCASE",
        (number.strip(),),
    )
    return [f"{row[0]}:{row[1]}" for row in rows]


async def set_online_url(store: Store, tenant_id: str, xero_id: str, url: str | None) -> None:
    """Store an invoice's online link (None = none available) and schedule its write-back."""
    async with store.transaction() as conn:
        cursor = await conn.execute(
            "SELECT data_json, content_hash FROM transactions "
            "WHERE tenant_id = ? AND kind = 'invoice' AND xero_id = ?",
            (tenant_id, xero_id),
        )
        row = await cursor.fetchone()
        if row is None:
            return
        tx = SourceTransaction.model_validate_json(row[0])
        if url and tx.online_invoice_url != url:
            tx = tx.model_copy(update={"online_invoice_url": url})
        new_hash = tx_hash(tx)
        await conn.execute(
            "UPDATE transactions SET online_invoice_url = COALESCE(?, online_invoice_url), "
            "online_url_checked_at = ?, data_json = ?, content_hash = ? "
            "WHERE tenant_id = ? AND kind = 'invoice' AND xero_id = ?",
            (url, utc_now_iso(), tx.model_dump_json(), new_hash, tenant_id, xero_id),
        )


@dataclass(frozen=True)
class ReportRow:
    """One line of the synced-transactions report."""

    ref_internal: str
    kind: str
    number: str
    xero_id: str
    date: str | None
    status: str
    total: str | None
    amount_due: str | None
    written_back_at: str | None


async def report(store: Store, *, date_from: str, date_to: str) -> list[ReportRow]:
    """Return matched transactions dated in [from, to), per learner, with write-back times."""
    rows = await store.fetchall(
        "SELECT ref_internal, kind, COALESCE(number, '') AS number, xero_id, date, status, total, "
        "amount_due, written_back_at FROM transactions "
        "WHERE matched = 1 AND date >= ? AND date < ? ORDER BY ref_internal, date, kind",
        (date_from, date_to),
    )
    return [ReportRow(**dict(row)) for row in rows]


async def counts(store: Store) -> dict[str, int]:
    """Return matched / unmatched / pending-write counts."""
    row = await store.fetchone(
        "SELECT SUM(matched), SUM(1 - matched), "
        "SUM(CASE WHEN matched = 1 AND (written_hash IS NULL OR written_hash != content_hash) "
        "THEN 1 ELSE 0 END) FROM transactions"
    )
    if row is None:
        return {"matched": 0, "unmatched": 0, "pending_write": 0}
    return {"matched": row[0] or 0, "unmatched": row[1] or 0, "pending_write": row[2] or 0}
