"""Payments back: Xero payments on synced invoices are posted to the ConnectWise invoice.

Which invoices are read, for the fewest calls (`DocumentReader.changed_settlements` and
`settlements_by_id`):

- Sales invoices changed in Xero since the stream's watermark (`If-Modified-Since`, 1,000 a
  page): a quiet run costs one call, a busy one ceil(changed/1,000). A payment, a deleted
  payment or an allocated credit note all move the invoice's UpdatedDateUTC.
- By ID (one call per ~35) only the posted invoices that read cannot cover: those no finished
  read has seen yet (`settled` UNREAD) that it did not return — an invoice paid in Xero before
  it was posted in ConnectWise has an UpdatedDateUTC older than the watermark.
- When every open invoice is new (the first run, or all earlier ones settled) the cheaper of the
  two is taken by count: ≤ 35 of them are read by ID at once; otherwise the changed-invoices
  read goes on only if its first page counts no more pages than the ID read would take.

Each Xero payment is posted once: it is recorded 'sending' before its POST, and one left
'sending' (a crash or lost answer) is looked for on the ConnectWise invoice — same amount and
date, not already claimed — before it is posted again. The watermark (cursor
`connectwise:payments`) moves only after every payment of the read is recorded, so a crash
re-reads. Credit notes allocated in Xero cannot be applied through ConnectWise's API: an alert
says so, nothing is faked.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID

from xerowatch.source.connectwise.accounting import ConnectWiseAccounting
from xerowatch.source.port import SourceAuthError, SourceError
from xerowatch.store import alerts, cursors, history
from xerowatch.store import connectwise_payments as payments
from xerowatch.store import connectwise_records as records
from xerowatch.store.connectwise_payments import CwPayment
from xerowatch.store.connectwise_records import CwRecord, record_ref
from xerowatch.sync.engine_deps import EngineDeps
from xerowatch.sync.watermark import SETTLE, Watermark
from xerowatch.xero.document_reads import (
    DocumentReader,
    InvoiceSettlement,
    SettlementRead,
    id_read_calls,
)
from xerowatch.xero.models_transactions import Payment
from xerowatch.xero.transport import TenantRef

log = logging.getLogger(__name__)

CURSOR = "connectwise:payments"
OVERLAP = timedelta(seconds=10)
"""How far before the watermark a read starts until it settles. Xero's If-Modified-Since is
accurate to the second, and a change can become visible to lists a little after the
UpdatedDateUTC it carries (a write of 50 documents commits seconds after it began): 10 s covers
both. Changes made while a read pages are caught without it (oldest change first, and a read
that came back short of Xero's count keeps the old watermark). The price: the read after a busy
one re-reads the last 10 s of changes once — one call, as an app can change at most 500
invoices in 10 s at Xero's limits (60 writes a minute of 50); once settled, a quiet read starts
at the watermark itself."""

CREDIT_ALERT = "cw_credit_not_applied"
PAYMENT_REFUSED_ALERT = "cw_payment_refused"


@dataclass
class PaymentsSummary:
    """What one pass of payments back did."""

    read: int = 0
    posted: int = 0
    found_after_doubt: int = 0
    refused: int = 0
    credits_alerted: int = 0
    settled: int = 0
    calls_changed: int = 0
    """GET /Invoices calls of the If-Modified-Since read (a probe given up on included)."""
    calls_by_id: int = 0
    """GET /Invoices?IDs=… calls, for newly posted invoices the changed read could not cover."""
    problems: list[str] = field(default_factory=list)


class PaymentsBack:
    """Posts Xero payments of synced invoices to ConnectWise."""

    def __init__(self, ctx: EngineDeps, accounting: ConnectWiseAccounting) -> None:
        self.ctx = ctx
        self.accounting = accounting
        self.reader = DocumentReader(ctx.xero.transport)

    async def run(self, tenant: TenantRef) -> PaymentsSummary:
        """Step: read payments of posted invoices from Xero and post the new ones."""
        summary = PaymentsSummary()
        tid = tenant.tenant_id
        stored = await cursors.get_cursor(self.ctx.store, CURSOR, tid)
        open_invoices = await records.unsettled_posted(self.ctx.store, tid)
        by_xero = {UUID(r.xero_id): r for r in open_invoices if r.xero_id}
        if not by_xero:
            return summary
        new = {xero_id for xero_id, row in by_xero.items() if row.settled == payments.UNREAD}
        found, mark = await self._read(tenant, Watermark.parse(stored), by_xero, new, summary)
        summary.read = len(found)
        known = await payments.for_invoices(self.ctx.store, tid, [r.cw_id for r in open_invoices])
        settled: list[int] = []
        for xero_id, settlement in found.items():
            row = by_xero.get(xero_id)
            if row is None:
                continue  # changed in Xero, but not an open invoice of this stream
            done = await self._invoice(tid, row, settlement, known, summary)
            if done and settlement.amount_due == 0 and not settlement.credit_notes:
                settled.append(row.cw_id)
        await records.mark_settled(self.ctx.store, tid, settled)
        summary.settled = len(settled)
        # only now, every payment of the read recorded: a crash before here reads it all again
        await payments.mark_watched(self.ctx.store, tid, [by_xero[i].cw_id for i in new])
        if mark.dump() != stored:
            await cursors.set_cursor(self.ctx.store, CURSOR, mark.dump(), tid)
        return summary

    async def _read(
        self,
        tenant: TenantRef,
        mark: Watermark,
        by_xero: dict[UUID, CwRecord],
        new: set[UUID],
        summary: PaymentsSummary,
    ) -> tuple[dict[UUID, InvoiceSettlement], Watermark]:
        """Read what may have changed; return it and the watermark that read justifies."""
        started = self.ctx.clock.now()
        id_calls = id_read_calls(len(new))
        every_one_new = len(new) == len(by_xero)
        changed: SettlementRead | None = None
        if not (every_one_new and id_calls <= 1):
            changed = await self.reader.changed_settlements(
                _read_from(mark),
                tenant=tenant,
                give_up_over=id_calls if every_one_new else None,
            )
            summary.calls_changed = changed.calls if changed is not None else 1
        found = dict(changed.found) if changed is not None else {}
        missing = [xero_id for xero_id in by_xero if xero_id in new and xero_id not in found]
        by_id = await self.reader.settlements_by_id(missing, tenant=tenant)
        summary.calls_by_id = by_id.calls
        found.update(by_id.found)
        if changed is not None:
            # an incomplete read keeps the old watermark, so the next one covers the window again
            if not changed.complete:
                return found, mark
            return found, _settle(mark.after_read([changed.mark], started_at=started), started)
        if by_id.mark is None:
            return found, mark
        newest = by_id.mark if mark.newest is None else max(mark.newest, by_id.mark)
        return found, Watermark(newest)

    async def _invoice(
        self,
        tid: str,
        row: CwRecord,
        settlement: InvoiceSettlement,
        known: dict[str, CwPayment],
        summary: PaymentsSummary,
    ) -> bool:
        """Post this invoice's new payments; True when every one of them is in ConnectWise."""
        ref = record_ref("invoice", row.cw_id)
        if settlement.credit_notes:
            credited = sum(
                (c.applied_amount or c.total or Decimal(0) for c in settlement.credit_notes),
                Decimal(0),
            )
            await alerts.raise_alert(
                self.ctx.store,
                CREDIT_ALERT,
                f"Invoice {row.number} has {len(settlement.credit_notes)} credit note(s) "
                f"({credited}) allocated in Xero; ConnectWise's API cannot apply credits, so "
                "they were not posted",
                fix="Apply the credit memo to the invoice in ConnectWise by hand",
                record=ref,
                tenant_id=tid,
            )
            summary.credits_alerted += 1
        complete = True
        claimed = {p.cw_payment_id for p in known.values() if p.cw_payment_id is not None}
        for payment in settlement.payments:
            if payment.payment_id is None or payment.amount is None or payment.date is None:
                continue
            stored = known.get(str(payment.payment_id))
            if stored is not None and stored.state == "done":
                continue
            if stored is not None and stored.state == "refused":
                complete = False
                continue
            if not await self._post(tid, row, payment, stored, claimed, summary):
                complete = False
        return complete

    async def _post(
        self,
        tid: str,
        row: CwRecord,
        payment: Payment,
        stored: CwPayment | None,
        claimed: set[int],
        summary: PaymentsSummary,
    ) -> bool:
        """Post one payment (after looking for it if a previous attempt is in doubt)."""
        assert payment.amount is not None and payment.date is not None
        amount = Decimal(payment.amount).quantize(Decimal("0.01"))
        paid_on = payment.date
        record = CwPayment(
            tid,
            str(payment.payment_id),
            row.cw_id,
            str(amount),
            paid_on.isoformat(),
            "sending",
            None,
            None,
            "",
        )
        if stored is not None:  # in doubt: did the lost POST apply it?
            for existing in await self.accounting.invoice_payments(row.cw_id):
                same_day = existing.payment_date and existing.payment_date.date() == paid_on
                if existing.amount == amount and same_day and existing.id not in claimed:
                    await self._done(record, existing.id, summary, found=True)
                    claimed.add(existing.id or 0)
                    return True
        await payments.put(self.ctx.store, record)
        try:
            answer = await self.accounting.add_payment(row.cw_id, amount, paid_on)
        except SourceError as exc:
            if exc.transient or isinstance(exc, SourceAuthError):
                raise  # stays 'sending': looked for, then posted, next run
            await payments.put(
                self.ctx.store,
                CwPayment(**{**record.__dict__, "state": "refused", "last_error": str(exc)}),
            )
            await alerts.raise_alert(
                self.ctx.store,
                PAYMENT_REFUSED_ALERT,
                f"ConnectWise refused the Xero payment of {amount} on invoice {row.number}: {exc}",
                fix="Record the payment in ConnectWise by hand (or fix the invoice there)",
                record=record_ref("invoice", row.cw_id),
                tenant_id=tid,
            )
            summary.refused += 1
            return False
        if answer.id is not None:
            claimed.add(answer.id)
        await self._done(record, answer.id, summary, found=False)
        return True

    async def _done(
        self, record: CwPayment, cw_payment_id: int | None, summary: PaymentsSummary, *, found: bool
    ) -> None:
        async with self.ctx.store.transaction() as conn:
            await history.add_entries(
                conn,
                [
                    history.HistoryEntry(
                        record_ref("invoice", record.cw_invoice_id),
                        "payment",
                        "ok",
                        "to_source",
                        record.tenant_id,
                        f"{record.amount} paid {record.paid_on} "
                        f"(Xero payment {record.xero_payment_id})",
                    )
                ],
            )
        await payments.put(
            self.ctx.store,
            CwPayment(**{**record.__dict__, "state": "done", "cw_payment_id": cw_payment_id}),
        )
        if found:
            summary.found_after_doubt += 1
        else:
            summary.posted += 1


def _settle(mark: Watermark, started: datetime) -> Watermark:
    """A watermark a read began `SETTLE` after is settled at once, even if that read moved it:
    every change of its second happened before the read and came back with it."""
    if mark.newest is None or mark.settled or started - mark.newest < SETTLE:
        return mark
    return Watermark(mark.newest, settled=True)


def _read_from(mark: Watermark) -> datetime | None:
    """Where the changed-invoices read starts: `OVERLAP` before the watermark until it settles."""
    if mark.newest is None:
        return None
    return mark.newest if mark.settled else mark.newest - OVERLAP
