"""The ConnectWise customer + invoice stream, as steps of the one orchestrator.

Per Xero organisation, in order (`ConnectWiseStream.cycle`; the daemon runs the same steps):
1. `read_invoices`: unposted invoices changed since the stream's cursor (less the configured
   overlap) are exported; each customer's contact is created or updated first
   (`connectwise_contacts`); each invoice is mapped — a held one gets an alert naming the fix,
   the rest go into the document outbox. The cursor moves only after the whole read.
2. `send_invoices`: the document outbox reconciles anything in doubt and sends the rest in
   batches of 50; the outbox's outcome moves each record to in_xero or rejected (alert).
3. `post_invoices`: only records Xero has (in_xero) are posted in ConnectWise, one batch each.
A crash anywhere leaves a state the next run carries on from without duplicating anything: the
outbox looks documents in doubt up in Xero, a contact in doubt is found by its number, and
posting a batch again is recognised by ConnectWise's duplicate answer.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from uuid import UUID

from xerowatch.config_connectwise import ConnectWiseSettings
from xerowatch.source.connectwise.accounting import ConnectWiseAccounting, batch_identifier
from xerowatch.source.connectwise.models import GLInvoice, UnpostedInvoice
from xerowatch.source.port import SourceAuthError, SourceError
from xerowatch.store import alerts, cursors, history
from xerowatch.store import connectwise_records as records
from xerowatch.store import document_outbox as outbox
from xerowatch.store.connectwise_records import CwRecord, RecordUpdate, record_ref
from xerowatch.sync.connectwise_contacts import Customer, CustomerContacts, read_customers
from xerowatch.sync.connectwise_cost_of_sale import (
    invoice_journal,
    journal_doc_key,
    journals_pending,
)
from xerowatch.sync.connectwise_doc_stream import DocSummary, unknown_record
from xerowatch.sync.connectwise_doc_streams import document_streams, run_document_streams
from xerowatch.sync.connectwise_mapping import Held, contact_key, map_invoice
from xerowatch.sync.connectwise_parties import PartyKey
from xerowatch.sync.connectwise_payments import PaymentsBack, PaymentsSummary
from xerowatch.sync.documents import DocumentSender
from xerowatch.sync.engine_deps import EngineDeps
from xerowatch.xero.document_reads import DocumentReader
from xerowatch.xero.documents import DocumentWriter
from xerowatch.xero.models_documents import ContactRef, DocumentKind, Draft
from xerowatch.xero.transport import TenantRef

log = logging.getLogger(__name__)

INVOICE_CURSOR = "connectwise:invoices"
INVOICE_HELD_ALERT = "cw_invoice_held"
INVOICE_REJECTED_ALERT = "cw_invoice_rejected"
POST_FAILED_ALERT = "cw_post_failed"
QUEUE_CHUNK = 5000
"""Invoices whose customers are written and drafts queued together: full contact batches across
list pages, with memory bounded for a large backlog."""
_WAITING = ("queued", "in_xero", "posted")
"""States in which a listed invoice is not exported again (the outbox or posting has it)."""


@dataclass
class StreamSummary:
    """What one pass of the stream did in one organisation."""

    read: int = 0
    held: int = 0
    queued: int = 0
    contacts_created: int = 0
    contacts_updated: int = 0
    created: int = 0
    rejected: int = 0
    posted: int = 0
    in_doubt: int = 0
    problems: list[str] = field(default_factory=list)
    """What stopped a step, with the fix (empty: every step did its job)."""
    payments: PaymentsSummary = field(default_factory=PaymentsSummary)
    """Payments back (a step of its own, on its own schedule in the daemon)."""
    documents: dict[str, DocSummary] = field(default_factory=dict)
    """The document streams (expenses, ...) by record kind (`sync/connectwise_doc_stream.py`)."""


def _stamp(invoice: UnpostedInvoice) -> str:
    updated = invoice.info.last_updated if invoice.info else None
    return updated.astimezone(dt.UTC).isoformat() if updated else ""


class ConnectWiseStream:
    """The customer + invoice stream of one runtime."""

    def __init__(
        self, ctx: EngineDeps, accounting: ConnectWiseAccounting, settings: ConnectWiseSettings
    ) -> None:
        self.ctx = ctx
        self.accounting = accounting
        self.settings = settings
        transport = ctx.xero.transport
        self.sender = DocumentSender(
            ctx.store,
            DocumentWriter(transport),
            DocumentReader(transport),
            batch_size=ctx.settings.batch_size,
        )
        self.contacts = CustomerContacts(ctx, settings)
        self.payments = PaymentsBack(ctx, accounting)
        self.documents = document_streams(ctx, accounting, settings, self.sender, self.contacts)

    async def cycle(self, tenant: TenantRef) -> StreamSummary:
        """Every step once, in order (what `sync --once` runs per organisation)."""
        summary = StreamSummary()
        await self.read_invoices(tenant, summary)
        await self.send_invoices(tenant, summary)
        await self.post_invoices(tenant, summary)
        await run_document_streams(self.documents, tenant, summary.documents)
        return summary

    # ---- 1. read, map, queue ----------------------------------------------------------------

    async def read_invoices(self, tenant: TenantRef, summary: StreamSummary) -> None:
        """Step: read changed unposted invoices, ensure their customers, queue their drafts."""
        store, tid = self.ctx.store, tenant.tenant_id
        stored_cursor = await cursors.get_cursor(store, INVOICE_CURSOR, tid)
        since = None
        if stored_cursor:
            overlap = dt.timedelta(seconds=self.settings.overlap_seconds)
            since = dt.datetime.fromisoformat(stored_cursor) - overlap
        newest = stored_cursor or ""
        listed: list[UnpostedInvoice] = []
        exported: list[GLInvoice] = []
        async for page in self.accounting.unposted_invoices(since):
            summary.read += len(page)
            newest = max([newest, *(_stamp(i) for i in page)])
            stored = await records.get(store, tid, "invoice", [i.id for i in page])
            fresh = [i for i in page if not self._settled(i, stored.get(i.id))]
            if fresh:
                batch = f"XW-EXPORT-{tid[:8]}"
                exported += (await self.accounting.export_invoices(fresh, batch=batch)).transactions
                listed += fresh
            if len(listed) >= QUEUE_CHUNK:  # customers and drafts of many pages at once
                await self._queue(tenant, listed, exported, summary)
                listed, exported = [], []
        if listed:
            await self._queue(tenant, listed, exported, summary)
        if newest and newest != stored_cursor:
            await cursors.set_cursor(store, INVOICE_CURSOR, newest, tid)

    @staticmethod
    def _settled(invoice: UnpostedInvoice, row: CwRecord | None) -> bool:
        """Whether a listed invoice needs no export: queued or later, or held/refused unchanged."""
        if row is None:
            return False
        if row.state in _WAITING:
            return True
        return (
            row.state in ("held", "rejected")
            and bool(row.content_hash)
            and row.content_hash == _stamp(invoice)
        )

    async def _queue(
        self,
        tenant: TenantRef,
        invoices: Sequence[UnpostedInvoice],
        transactions: Sequence[GLInvoice],
        summary: StreamSummary,
    ) -> None:
        """Ensure the customers of these exported invoices, map them, queue their drafts."""
        tid = tenant.tenant_id
        by_id = {i.id: i for i in invoices}
        company_ids = sorted(
            {int(gl.company.id) for gl in transactions if gl.company and gl.company.id}
        )
        customers = await read_customers(self.accounting, company_ids)
        outcome = await self.contacts.ensure(tenant, list(customers.values()))
        summary.contacts_created += outcome.created
        summary.contacts_updated += outcome.updated
        if outcome.stopped_by is not None:
            raise outcome.stopped_by  # the steps' policy alerts; nothing moves until it works
        updates: list[RecordUpdate] = []
        drafts: list[tuple[str, Draft]] = []
        for gl in transactions:
            cw_id = int(gl.id)
            listed = by_id.get(cw_id)
            stamp = _stamp(listed) if listed else ""
            company_id = int(gl.company.id) if gl.company and gl.company.id else None
            number = gl.document_number.strip() or str(cw_id)
            reason = self._customer_problem(company_id, customers, outcome.held)
            mapped = (
                Held(reason)
                if reason
                else map_invoice(
                    gl,
                    contact_key(customers[company_id or 0].company, self.settings) or "",
                    self.settings,
                )
            )
            journal = None if isinstance(mapped, Held) else invoice_journal(gl, self.settings)
            if isinstance(journal, str):
                mapped, journal = Held(journal), None
            if isinstance(mapped, Held):
                updates.append(
                    RecordUpdate(cw_id, number, "held", company_id, stamp, error=mapped.reason)
                )
                await self._held(tid, cw_id, mapped.reason)
                summary.held += 1
                continue
            contact_id = outcome.contact_ids[("customer", company_id or 0)]
            draft = mapped.draft.model_copy(
                update={"contact": ContactRef(contact_id=UUID(contact_id))}
            )
            drafts.append((record_ref("invoice", cw_id), draft))
            if journal is not None:  # cost of sale: one of the invoice's documents
                drafts.append((record_ref("invoice", cw_id), journal))
            updates.append(
                RecordUpdate(
                    cw_id,
                    number,
                    "queued",
                    company_id,
                    stamp,
                    gl_entry_ids=gl.gl_entry_ids,
                    doc_keys=journal_doc_key(journal) if journal else "",
                )
            )
            await alerts.resolve_alerts(
                self.ctx.store, record=record_ref("invoice", cw_id), tenant_id=tid
            )
        missing = set(by_id) - {int(gl.id) for gl in transactions}
        for cw_id in sorted(missing):
            reason = (
                f"invoice {by_id[cw_id].invoice_number} was listed unposted but ConnectWise's "
                "export left it out — check its date and GL mapping in ConnectWise"
            )
            updates.append(RecordUpdate(cw_id, by_id[cw_id].invoice_number, "held", error=reason))
            await self._held(tid, cw_id, reason)
            summary.held += 1
        # The drafts enter the outbox before the records say 'queued': a crash between the two
        # re-exports the invoice, whose outbox row (same key) is then left alone or refreshed.
        await self.sender.submit(tid, drafts)
        await records.save(self.ctx.store, tid, "invoice", updates)
        summary.queued += len(drafts)

    @staticmethod
    def _customer_problem(
        company_id: int | None, customers: dict[int, Customer], held: dict[PartyKey, str]
    ) -> str:
        if company_id is None:
            return "the exported invoice names no company — check it in ConnectWise"
        if ("customer", company_id) in held:
            reason = held[("customer", company_id)]
            return f"its customer {company_id} has no Xero contact: {reason}"
        if company_id not in customers:
            return f"its customer {company_id} is gone from ConnectWise — check the invoice"
        return ""

    async def _held(self, tid: str, cw_id: int, reason: str) -> None:
        problem, _, fix = reason.partition(" — ")
        ref = record_ref("invoice", cw_id)
        await alerts.raise_alert(
            self.ctx.store,
            INVOICE_HELD_ALERT,
            f"ConnectWise invoice held, not sent to Xero: {problem}",
            fix=(fix[:1].upper() + fix[1:]) if fix else "Fix it in ConnectWise, then `r` retries",
            record=ref,
            tenant_id=tid,
        )
        await history.record(
            self.ctx.store, history.HistoryEntry(ref, "map", "skipped", "from_source", tid, reason)
        )

    # ---- 2. send through the document outbox ------------------------------------------------

    async def send_invoices(self, tenant: TenantRef, summary: StreamSummary) -> None:
        """Step: send queued drafts (reconciling any in doubt), then record what Xero has."""
        flushed = await self.sender.flush(tenant, DocumentKind.INVOICE)
        stopped = flushed.stopped_by
        summary.in_doubt += flushed.in_doubt
        if self.settings.cost_of_sale:
            journals = await self.sender.flush(tenant, DocumentKind.MANUAL_JOURNAL)
            summary.in_doubt += journals.in_doubt
            stopped = stopped or journals.stopped_by
        await self._settle(tenant.tenant_id, summary)
        if stopped is not None:
            raise stopped

    async def _settle(self, tid: str, summary: StreamSummary) -> None:
        """Move queued records whose outbox row is done (in_xero) or refused (rejected)."""
        queued = await records.in_state(self.ctx.store, tid, "invoice", ["queued"])
        if not queued:
            return
        keys = {f"accrec:{row.number}".casefold(): row for row in queued}
        rows = await outbox.get_documents(
            self.ctx.store, tid, DocumentKind.INVOICE.value, list(keys)
        )
        journals = await journals_pending(self.ctx.store, tid, queued)
        updates: list[RecordUpdate] = []
        entries: list[history.HistoryEntry] = []
        for key, row in keys.items():
            doc = rows.get(key)
            ref = record_ref("invoice", row.cw_id)
            cost = journals.get(row.cw_id, "")  # None: its journal is not in Xero yet
            if doc is None or doc.state in ("pending", "sending") or cost is None:
                continue
            if doc.state == "done" and not cost:
                updates.append(RecordUpdate(row.cw_id, row.number, "in_xero", xero_id=doc.xero_id))
                entries.append(
                    history.HistoryEntry(ref, "invoice", "ok", "to_xero", tid, doc.xero_id or "")
                )
                summary.created += 1
                continue
            reason = (cost if doc.state == "done" else doc.last_error) or "refused by Xero"
            updates.append(RecordUpdate(row.cw_id, row.number, "rejected", error=reason))
            entries.append(history.HistoryEntry(ref, "invoice", "error", "to_xero", tid, reason))
            summary.rejected += 1
            await alerts.raise_alert(
                self.ctx.store,
                INVOICE_REJECTED_ALERT,
                f"Xero refused ConnectWise invoice {row.number}: {reason}",
                fix="Fix the invoice in ConnectWise (or the [connectwise] mapping), then `r` "
                "re-sends just this record",
                record=ref,
                tenant_id=tid,
            )
        async with self.ctx.store.transaction() as conn:
            await records.save_in(conn, tid, "invoice", updates)
            await history.add_entries(conn, entries)

    # ---- 3. post in ConnectWise what Xero has -----------------------------------------------

    async def post_invoices(self, tenant: TenantRef, summary: StreamSummary) -> None:
        """Step: post in ConnectWise each invoice Xero has, one batch per invoice."""
        tid = tenant.tenant_id
        for row in await records.in_state(self.ctx.store, tid, "invoice", ["in_xero"]):
            ref = record_ref("invoice", row.cw_id)
            batch = batch_identifier(row.number, row.cw_id)
            ids = [part.strip() for part in row.gl_entry_ids.split(",") if part.strip()]
            try:
                await self.accounting.post_invoice(batch, ids)
            except SourceError as exc:
                if exc.transient or isinstance(exc, SourceAuthError):
                    raise  # ConnectWise is down or refuses us: the step's policy alerts
                await records.save(
                    self.ctx.store,
                    tid,
                    "invoice",
                    [RecordUpdate(row.cw_id, row.number, "in_xero", error=str(exc))],
                )
                await alerts.raise_alert(
                    self.ctx.store,
                    POST_FAILED_ALERT,
                    f"Invoice {row.number} is in Xero but ConnectWise refused to post it: {exc}",
                    fix="Fix it in ConnectWise; the next run posts it again (Xero is not touched)",
                    record=ref,
                    tenant_id=tid,
                )
                summary.problems.append(f"post {row.number}: {exc}")
                continue
            async with self.ctx.store.transaction() as conn:
                await records.save_in(
                    conn, tid, "invoice", [RecordUpdate(row.cw_id, row.number, "posted")]
                )
                await history.add_entries(
                    conn, [history.HistoryEntry(ref, "post", "ok", "to_source", tid, batch)]
                )
            await alerts.resolve_alerts(
                self.ctx.store, record=ref, tenant_id=tid, types=(POST_FAILED_ALERT,)
            )
            summary.posted += 1

    async def retry(self, ref_or_number: str) -> str:
        """`r` for one record: a held or refused invoice (or customer) is read and sent again.

        (An invoice in Xero but not yet posted needs no `r`: every run posts it again.)
        """
        found = await records.find(self.ctx.store, ref_or_number)
        if not found:
            raise unknown_record(ref_or_number)
        streams = {stream.spec.kind: stream for stream in self.documents}
        done: list[str] = []
        for row in found:
            if row.kind in streams:
                done.append(await streams[row.kind].retry(row))
            elif row.kind == "invoice" and row.state in ("held", "rejected"):
                # Forget the stamp, and move the cursor back to before it: the next read
                # exports it again with the current mapping and configuration.
                await records.save(
                    self.ctx.store,
                    row.tenant_id,
                    "invoice",
                    [
                        RecordUpdate(
                            row.cw_id, row.number, "held", content_hash="", error=row.last_error
                        )
                    ],
                )
                await cursors.set_cursor(self.ctx.store, INVOICE_CURSOR, None, row.tenant_id)
                done.append(f"invoice {row.number} will be read again")
            elif row.kind in ("customer", "member") and row.state in ("held", "rejected"):
                await records.save(
                    self.ctx.store,
                    row.tenant_id,
                    row.kind,
                    [RecordUpdate(row.cw_id, row.number, "pending", content_hash="")],
                )
                done.append(f"{row.kind} {row.number} will be written again with its next record")
            else:
                done.append(f"{row.kind} {row.number} is {row.state}: nothing to retry")
        return "; ".join(done)
