"""Payments back: Xero payments on synced invoices are posted to the ConnectWise invoice.

Reads the payments of posted, not yet settled invoices (`DocumentReader.settlements`, one call
per ~35 invoices) and posts each Xero payment once: it is recorded 'sending' before its POST,
and one left 'sending' (a crash or lost answer) is looked for on the ConnectWise invoice — same
amount and date, not already claimed — before it is posted again. Credit notes allocated in Xero
cannot be applied through ConnectWise's API: an alert says so, nothing is faked.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

from xerowatch.source.connectwise.accounting import ConnectWiseAccounting
from xerowatch.source.port import SourceAuthError, SourceError
from xerowatch.store import alerts, history
from xerowatch.store import connectwise_payments as payments
from xerowatch.store import connectwise_records as records
from xerowatch.store.connectwise_payments import CwPayment
from xerowatch.store.connectwise_records import CwRecord, record_ref
from xerowatch.sync.engine_deps import EngineDeps
from xerowatch.xero.document_reads import DocumentReader, InvoiceSettlement
from xerowatch.xero.models_transactions import Payment
from xerowatch.xero.transport import TenantRef

log = logging.getLogger(__name__)

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
        open_invoices = await records.unsettled_posted(self.ctx.store, tid)
        if not open_invoices:
            return summary
        by_xero = {UUID(r.xero_id): r for r in open_invoices if r.xero_id}
        found = await self.reader.settlements(list(by_xero), tenant=tenant)
        summary.read = len(found)
        known = await payments.for_invoices(self.ctx.store, tid, [r.cw_id for r in open_invoices])
        settled: list[int] = []
        for xero_id, settlement in found.items():
            row = by_xero[xero_id]
            done = await self._invoice(tid, row, settlement, known, summary)
            if done and settlement.amount_due == 0 and not settlement.credit_notes:
                settled.append(row.cw_id)
        await records.mark_settled(self.ctx.store, tid, settled)
        summary.settled = len(settled)
        return summary

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
