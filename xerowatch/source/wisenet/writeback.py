"""The one mapping of a Xero transaction onto Wisenet's `Invoice` (for `PUT /invoices/{id}`).

Wisenet documents the field names but not their values, so the choices live here (and in
docs/wisenet.md):
- Every kind becomes one Wisenet invoice record keyed by its Xero id (`InvoiceId`), because
  Wisenet's Invoice has no document-type field.
- The sign carries the kind: an invoice is a debit (amounts as Xero shows them); a credit note,
  overpayment, prepayment or payment received is a credit to the learner, so every money amount
  on it (totals, line unit/tax/line amounts, payment amounts) is negated. A refund (a payment of
  type ARCREDITPAYMENT, AROVERPAYMENTPAYMENT or ARPREPAYMENTPAYMENT: money paid back to the
  learner) is a debit, like an invoice. Quantities keep their sign; zero is never sent as -0.
- `Status` is Xero's status, upper case, checked against the statuses Xero allows for the kind.
  A deleted or voided document is upserted with that status rather than deleted in Wisenet, so
  its history stays visible and the write stays an idempotent upsert.
- `Payments[].Type` is PAYMENT, REFUND, CREDIT_NOTE, OVERPAYMENT or PREPAYMENT; an allocation
  of a credit note, overpayment or prepayment is typed by the kind it comes from, and the lone
  payment on a payment record by the payment's own Xero type (so a refund reads REFUND).
- Xero's currency and online-invoice link have no Wisenet field and are not sent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from xerowatch.records import SourceLineItem, SourcePayment, SourceTransaction, TransactionKind
from xerowatch.source.port import SourceError

SOURCE_APP_KEY = "xerowatch"

_DOCUMENT_STATUSES = frozenset({"DRAFT", "SUBMITTED", "AUTHORISED", "PAID", "VOIDED", "DELETED"})
STATUSES_BY_KIND: dict[TransactionKind, frozenset[str]] = {
    "invoice": _DOCUMENT_STATUSES,
    "credit_note": _DOCUMENT_STATUSES,
    "overpayment": frozenset({"AUTHORISED", "PAID", "VOIDED"}),
    "prepayment": frozenset({"AUTHORISED", "PAID", "VOIDED"}),
    "payment": frozenset({"AUTHORISED", "DELETED"}),
}
CREDIT_KINDS: frozenset[TransactionKind] = frozenset(
    {"credit_note", "overpayment", "prepayment", "payment"}
)

PAYMENT_TYPES: dict[str, str] = {
    "PAYMENT": "PAYMENT",
    "ACCRECPAYMENT": "PAYMENT",
    "REFUND": "REFUND",
    "ARCREDITPAYMENT": "REFUND",
    "AROVERPAYMENTPAYMENT": "REFUND",
    "ARPREPAYMENTPAYMENT": "REFUND",
    "CREDIT_NOTE": "CREDIT_NOTE",
    "CREDITNOTE": "CREDIT_NOTE",
    "OVERPAYMENT": "OVERPAYMENT",
    "PREPAYMENT": "PREPAYMENT",
}
"""Accepted `SourcePayment.type` spellings (Xero PaymentType or allocation kind) → Wisenet Type."""
REFUND_TYPES = frozenset({"ARCREDITPAYMENT", "AROVERPAYMENTPAYMENT", "ARPREPAYMENTPAYMENT"})
"""Xero PaymentTypes of money paid back to a customer."""
ALLOCATION_TYPES: dict[TransactionKind, str] = {
    "credit_note": "CREDIT_NOTE",
    "overpayment": "OVERPAYMENT",
    "prepayment": "PREPAYMENT",
}
"""What an `allocation` on a credit is, by the kind of credit being allocated."""


class WriteBackError(SourceError):
    """A transaction that cannot be written to Wisenet as it stands (permanent until it changes)."""

    def __init__(self, tx: SourceTransaction, problem: str) -> None:
        super().__init__(f"{tx.kind} {tx.number or tx.xero_id}: {problem}", transient=False)


def to_wisenet_invoice(tx: SourceTransaction) -> dict[str, Any]:
    """Build the `Invoice` JSON body for `PUT /invoices/{tx.xero_id}`."""
    status = tx.status.strip().upper()
    if status not in STATUSES_BY_KIND[tx.kind]:
        allowed = ", ".join(sorted(STATUSES_BY_KIND[tx.kind]))
        raise WriteBackError(tx, f"Xero status {tx.status!r} is not one of {allowed}")
    try:
        learner_id = int(tx.learner_source_id)
    except ValueError:
        raise WriteBackError(
            tx, f"learner id {tx.learner_source_id!r} is not a Wisenet LearnerId"
        ) from None
    money = _negate if tx.kind in CREDIT_KINDS and not _is_refund(tx) else _same
    body: dict[str, Any] = {
        "InvoiceId": tx.xero_id,
        "LearnerId": learner_id,
        "InvoiceNumber": tx.number,
        "InvoiceReference": tx.reference,
        "SourceAppKey": SOURCE_APP_KEY,
        "Status": status,
        "Date": _date(tx.date),
        "DueDate": _date(tx.due_date),
        "LineItems": [_line(line, money) for line in tx.line_items],
        "AmountTotal": money(tx.total),
        "AmountDue": money(tx.amount_due),
        "AmountPaid": money(tx.amount_paid),
        "AmountCredited": money(tx.amount_credited),
        "Payments": [_payment(tx, payment, money) for payment in tx.payments],
        "UpdateDateUtc": _utc(tx.updated_utc),
    }
    return _without_none(body)


Money = Callable[[Decimal | None], float | None]


def _same(value: Decimal | None) -> float | None:
    return None if value is None else float(value) + 0.0  # + 0.0 turns -0.0 into 0.0


def _negate(value: Decimal | None) -> float | None:
    return None if value is None else float(-value) + 0.0  # + 0.0 turns -0.0 into 0.0


def _line(line: SourceLineItem, money: Money) -> dict[str, Any]:
    return _without_none(
        {
            "ItemCode": line.item_code,
            "Description": line.description,
            "Quantity": None if line.quantity is None else float(line.quantity),
            "UnitAmount": money(line.unit_amount),
            "AccountCode": line.account_code,
            "TaxType": line.tax_type,
            "TaxAmount": money(line.tax_amount),
            "LineAmount": money(line.line_amount),
        }
    )


def _is_refund(tx: SourceTransaction) -> bool:
    return tx.kind == "payment" and _type_key(tx.xero_type or "") in REFUND_TYPES


def _type_key(text: str) -> str:
    return text.strip().upper().replace("-", "_").replace(" ", "_")


def _payment(tx: SourceTransaction, payment: SourcePayment, money: Money) -> dict[str, Any]:
    key = _type_key(payment.type)
    if key == "ALLOCATION" and tx.kind in ALLOCATION_TYPES:
        key = ALLOCATION_TYPES[tx.kind]
    elif key == "PAYMENT" and tx.kind == "payment" and tx.xero_type:
        key = _type_key(tx.xero_type)  # the payment record's own type: ACCRECPAYMENT, a refund…
    kind = PAYMENT_TYPES.get(key)
    if kind is None:
        raise WriteBackError(tx, f"payment type {payment.type!r} has no Wisenet mapping")
    body = {"Type": kind, "Date": _date(payment.date), "Amount": money(payment.amount)}
    return _without_none(body)


def _date(value: dt.date | None) -> str | None:
    """Wisenet dates are .NET DateTimes: midnight, no zone."""
    return None if value is None else f"{value.isoformat()}T00:00:00"


def _utc(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _without_none(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if value is not None}
