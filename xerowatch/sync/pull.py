"""Xero → store: five transaction streams, incremental by If-Modified-Since, matched to learners.

The watermark is the largest UpdatedDateUTC actually seen (never "now"), stored only after the
whole stream was read, so a crash re-reads rather than skips. Transactions of contacts xerowatch
did not create are counted, not synced.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import aiosqlite

from xerowatch.records import TransactionKind
from xerowatch.store import alerts, cursors, links
from xerowatch.store.links import ContactLink
from xerowatch.store.transactions import TransactionRow, matched_before, upsert_transactions
from xerowatch.sync.context import EngineContext
from xerowatch.sync.mapping import (
    XeroTransaction,
    is_receivable,
    to_source_transaction,
    transaction_contact,
    transaction_id,
)
from xerowatch.sync.watermark import Watermark
from xerowatch.xero.paging import (
    CREDIT_NOTES,
    INVOICES,
    OVERPAYMENTS,
    PAYMENTS,
    PREPAYMENTS,
    Endpoint,
    ListQuery,
)
from xerowatch.xero.quota import Lane
from xerowatch.xero.transport import TenantRef
from xerowatch.xero.where import Where, ge, lt

log = logging.getLogger(__name__)

SYNCED_STATUSES = frozenset({"AUTHORISED", "PAID", "VOIDED", "DELETED"})
LEFT_LEARNER_ALERT = "transaction_left_learner"


@dataclass(frozen=True)
class Stream:
    """One transaction list and how it is stored."""

    kind: TransactionKind
    endpoint: Endpoint[Any]
    statuses: tuple[str, ...] = ()

    @property
    def cursor_name(self) -> str:
        """The cursor key of this stream."""
        return f"xero.{self.kind}s"


STREAMS: tuple[Stream, ...] = (
    Stream("invoice", INVOICES, tuple(sorted(SYNCED_STATUSES))),
    Stream("credit_note", CREDIT_NOTES),
    Stream("overpayment", OVERPAYMENTS),
    Stream("prepayment", PREPAYMENTS),
    Stream("payment", PAYMENTS),
)
STREAM_BY_KIND = {stream.kind: stream for stream in STREAMS}


@dataclass
class StreamSummary:
    """What one stream read found."""

    read: int = 0
    matched: int = 0
    unmatched: int = 0
    ignored: int = 0
    changed: int = 0
    changed_matched: int = 0
    """New or changed transactions of a learner: these are written back."""
    pages: int = 0


@dataclass
class PullSummary:
    """What one pull of a tenant found, per stream."""

    streams: dict[str, StreamSummary] = field(default_factory=dict)

    def total(self, name: str) -> int:
        """Sum one counter over the streams."""
        return sum(int(getattr(s, name)) for s in self.streams.values())


def _status(tx: XeroTransaction) -> str:
    status = getattr(tx, "status", None)
    return str(status.value) if status is not None else "AUTHORISED"


class Matcher:
    """Finds the learner of a transaction through its contact (ContactID, then ContactNumber)."""

    def __init__(self, found: list[ContactLink]) -> None:
        self._by_contact = {link.contact_id: link for link in found if link.contact_id}
        self._by_ref = {link.ref_internal.casefold(): link for link in found}

    @classmethod
    async def for_page(
        cls, conn: aiosqlite.Connection, tenant_id: str, items: list[XeroTransaction]
    ) -> Matcher:
        """Inside the transaction that stores the page: the links of the page's contacts now."""
        ids: set[str] = set()
        numbers: set[str] = set()
        for tx in items:
            contact = transaction_contact(tx)
            if contact is None:
                continue
            if contact.contact_id:
                ids.add(str(contact.contact_id))
            if (contact.contact_number or "").strip():
                numbers.add((contact.contact_number or "").strip())
        return cls(await links.links_for_contacts(conn, tenant_id, sorted(ids), sorted(numbers)))

    def match(self, tx: XeroTransaction) -> tuple[str | None, ContactLink | None]:
        """Return the transaction's ContactID and the learner link, if it is one of ours."""
        contact = transaction_contact(tx)
        if contact is None:
            return None, None
        contact_id = str(contact.contact_id) if contact.contact_id else None
        if contact_id and contact_id in self._by_contact:
            return contact_id, self._by_contact[contact_id]
        number = (contact.contact_number or "").strip().casefold()
        return contact_id, self._by_ref.get(number) if number else None


async def store_page(
    ctx: EngineContext,
    tenant_id: str,
    stream: Stream,
    items: list[XeroTransaction],
    summary: StreamSummary,
) -> None:
    """Map and store one page of a stream, matched against the links as they are now.

    The links are read in the transaction that stores the page: a push that links a contact
    commits either before it (and the page is matched here) or after it (and its re-match of
    stored transactions finds the page), so no interleaving strands a transaction.
    """
    kept = [
        tx
        for tx in items
        if is_receivable(tx) and _status(tx) in SYNCED_STATUSES and transaction_id(tx)
    ]
    summary.read += len(items)
    summary.ignored += len(items) - len(kept)
    names: dict[str, str] = {}
    async with ctx.store.transaction() as conn:
        matcher = await Matcher.for_page(conn, tenant_id, kept)
        rows: list[TransactionRow] = []
        for tx in kept:
            contact_id, link = matcher.match(tx)
            if link is None:
                summary.unmatched += 1
            else:
                summary.matched += 1
            mapped = to_source_transaction(
                tx,
                learner_source_id=link.source_id if link else "",
                ref_internal=link.ref_internal if link else "",
            )
            rows.append(TransactionRow(tenant_id, contact_id, link is not None, mapped))
            if link is None:
                contact = transaction_contact(tx)
                names[mapped.xero_id] = (contact.name if contact else None) or contact_id or "?"
        unmatched = [(r.tx.kind, r.tx.xero_id) for r in rows if not r.matched]
        left = await matched_before(conn, tenant_id, unmatched) if unmatched else {}
        ours = await upsert_transactions(conn, [r for r in rows if r.matched])
        summary.changed_matched += ours
        summary.changed += ours + await upsert_transactions(
            conn, [r for r in rows if not r.matched]
        )
    for (kind, xero_id), (ref, number) in left.items():
        label = f"{kind.replace('_', ' ')} {number or xero_id}"
        await _alert_left(ctx, tenant_id, f"{kind}:{xero_id}", label, ref, names.get(xero_id, "?"))


async def _alert_left(
    ctx: EngineContext, tenant_id: str, record: str, label: str, ref: str, contact: str
) -> None:
    """A learner's transaction is now on a contact that is no learner's: say so, write nothing."""
    await alerts.raise_alert(
        ctx.store,
        LEFT_LEARNER_ALERT,
        f"{label} moved in Xero from learner {ref} to contact '{contact}', which is not a "
        f"learner; the source system still shows it on learner {ref}",
        fix="If that contact is the learner, merge it in Xero keeping the xerowatch contact "
        f"(Contact Code {ref}); otherwise remove it from the learner in the source system",
        record=record,
        tenant_id=tenant_id,
    )


async def pull_stream(
    ctx: EngineContext,
    tenant: TenantRef,
    stream: Stream,
    *,
    lane: Lane = Lane.INCREMENTAL,
) -> StreamSummary:
    """Read one stream incrementally from its watermark."""
    summary = StreamSummary()
    stored = await cursors.get_cursor(ctx.store, stream.cursor_name, tenant.tenant_id)
    mark = Watermark.parse(stored)
    started = ctx.clock.now()
    query = ListQuery(modified_since=mark.read_from(), statuses=stream.statuses)
    seen: list[datetime | None] = []
    async for page in ctx.xero.iter_pages(stream.endpoint, query, tenant=tenant, lane=lane):
        summary.pages += 1
        await store_page(ctx, tenant.tenant_id, stream, page.items, summary)
        seen.extend(tx.updated_date_utc for tx in page.items)
    moved = mark.after_read(seen, started_at=started).dump()
    if moved != stored:
        await cursors.set_cursor(ctx.store, stream.cursor_name, moved, tenant.tenant_id)
    return summary


async def pull_transactions(
    ctx: EngineContext,
    tenant: TenantRef,
    *,
    kinds: tuple[TransactionKind, ...] | None = None,
    lane: Lane = Lane.INCREMENTAL,
) -> PullSummary:
    """Pull every stream (or the given kinds) of a tenant."""
    summary = PullSummary()
    for stream in STREAMS:
        if kinds is not None and stream.kind not in kinds:
            continue
        summary.streams[stream.kind] = await pull_stream(ctx, tenant, stream, lane=lane)
    if summary.total("changed"):
        log.info(
            "pull %s: %d changed, %d matched, %d unmatched",
            tenant.tenant_id,
            summary.total("changed"),
            summary.total("matched"),
            summary.total("unmatched"),
        )
    return summary


def date_range(date_from: date, date_to: date) -> Where:
    """A `where` selecting documents dated in [from, to)."""
    return ge("Date", date_from) & lt("Date", date_to)
