"""Mapping in both directions: learner → Xero contact, Xero transaction → source write-back."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from uuid import UUID

from xerowatch.records import SourceLineItem, SourcePayment, SourceTransaction, TransactionKind
from xerowatch.sync.validation import CleanAddress, ValidLearner
from xerowatch.xero.models import (
    Address,
    AddressType,
    Contact,
    CreditNote,
    Invoice,
    LineItem,
    Overpayment,
    Payment,
    Phone,
    PhoneType,
    Prepayment,
)

XeroTransaction = Invoice | CreditNote | Overpayment | Prepayment | Payment


def _address(clean: CleanAddress, kind: AddressType) -> Address:
    lines = list(clean.lines) + [None] * (4 - len(clean.lines))
    return Address(
        address_type=kind,
        address_line1=lines[0],
        address_line2=lines[1],
        address_line3=lines[2],
        address_line4=lines[3],
        city=clean.city,
        region=clean.region,
        postal_code=clean.postcode,
        country=clean.country,
    )


def _phones(valid: ValidLearner) -> list[Phone]:
    learner = valid.learner
    phones: list[Phone] = []
    for kind, number in (
        (PhoneType.MOBILE, learner.mobile),
        (PhoneType.DEFAULT, learner.phone_home),
        (PhoneType.DDI, learner.phone_work),
    ):
        text = " ".join((number or "").split())
        if text:
            phones.append(Phone(phone_type=kind, phone_number=text[:50]))
    return phones


def to_contact(valid: ValidLearner, contact_id: str | None = None) -> Contact:
    """Build the Xero contact for a validated learner (ContactID included when known)."""
    learner = valid.learner
    addresses = []
    if valid.postal is not None:
        addresses.append(_address(valid.postal, AddressType.POBOX))
    if valid.street is not None:
        addresses.append(_address(valid.street, AddressType.STREET))
    return Contact(
        contact_id=UUID(contact_id) if contact_id else None,
        contact_number=learner.ref_internal.strip(),
        name=valid.name,
        first_name=" ".join((learner.first_name or "").split()),
        last_name=" ".join((learner.last_name or "").split()),
        email_address=(learner.email or "").strip(),
        addresses=addresses or None,
        phones=_phones(valid) or None,
    )


def contact_hash(contact: Contact) -> str:
    """Hash what xerowatch writes to a contact (not its id), to skip unchanged learners."""
    body = contact.to_xero()
    body.pop("ContactID", None)
    body.pop("ContactStatus", None)
    text = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _lines(items: list[LineItem] | None) -> list[SourceLineItem]:
    return [
        SourceLineItem(
            item_code=item.item_code,
            description=item.description,
            quantity=item.quantity,
            unit_amount=item.unit_amount,
            account_code=item.account_code,
            tax_type=item.tax_type,
            tax_amount=item.tax_amount,
            line_amount=item.line_amount,
        )
        for item in items or []
    ]


def _payments(payments: list[Payment] | None) -> list[SourcePayment]:
    return [
        SourcePayment(type="payment", date=p.date, amount=p.amount or Decimal(0))
        for p in payments or []
        if p.status is None or p.status.value != "DELETED"
    ]


def transaction_id(tx: XeroTransaction) -> str:
    """Return the Xero id of any transaction kind."""
    ids = {
        Invoice: "invoice_id",
        CreditNote: "credit_note_id",
        Overpayment: "overpayment_id",
        Prepayment: "prepayment_id",
        Payment: "payment_id",
    }
    value = getattr(tx, ids[type(tx)])
    return str(value) if value else ""


def transaction_contact(tx: XeroTransaction) -> Contact | None:
    """Return the contact a transaction belongs to (a payment's is on its document)."""
    if isinstance(tx, Payment):
        for document in (tx.invoice, tx.credit_note, tx.prepayment, tx.overpayment):
            if document is not None and document.contact is not None:
                return document.contact
        return None
    return tx.contact


def transaction_kind(tx: XeroTransaction) -> TransactionKind:
    """Return the write-back kind of a transaction."""
    kinds: dict[type, TransactionKind] = {
        Invoice: "invoice",
        CreditNote: "credit_note",
        Overpayment: "overpayment",
        Prepayment: "prepayment",
        Payment: "payment",
    }
    return kinds[type(tx)]


def is_receivable(tx: XeroTransaction) -> bool:
    """True for the sales side (what learners owe or paid); bills and spend money are ignored."""
    if isinstance(tx, Invoice):
        return tx.type is not None and tx.type.value == "ACCREC"
    if isinstance(tx, CreditNote):
        return tx.type is not None and tx.type.value == "ACCRECCREDIT"
    if isinstance(tx, Overpayment):
        return tx.type is not None and tx.type.value in ("RECEIVE-OVERPAYMENT", "AROVERPAYMENT")
    if isinstance(tx, Prepayment):
        return tx.type is not None and tx.type.value in ("RECEIVE-PREPAYMENT", "ARPREPAYMENT")
    invoice = tx.invoice
    if invoice is not None and invoice.type is not None:
        return invoice.type.value == "ACCREC"
    credit = tx.credit_note
    if credit is not None and credit.type is not None:
        return credit.type.value == "ACCRECCREDIT"
    return tx.payment_type is None or tx.payment_type.startswith("AR")


def to_source_transaction(
    tx: XeroTransaction, *, learner_source_id: str, ref_internal: str
) -> SourceTransaction:
    """Map a Xero transaction onto the source's write-back record."""
    base = {
        "xero_id": transaction_id(tx),
        "kind": transaction_kind(tx),
        "learner_source_id": learner_source_id,
        "ref_internal": ref_internal,
        "date": tx.date,
        "updated_utc": tx.updated_date_utc,
    }
    if isinstance(tx, Invoice):
        return SourceTransaction(
            **base,
            number=tx.invoice_number,
            reference=tx.reference,
            xero_type=tx.type.value if tx.type else None,
            status=tx.status.value if tx.status else "UNKNOWN",
            due_date=tx.due_date,
            currency=tx.currency_code,
            line_items=_lines(tx.line_items),
            total=tx.total,
            amount_due=tx.amount_due,
            amount_paid=tx.amount_paid,
            amount_credited=tx.amount_credited,
            payments=_payments(tx.payments)
            + [
                SourcePayment(
                    type="credit_note", date=c.date, amount=c.applied_amount or c.total or 0
                )
                for c in tx.credit_notes or []
            ]
            + [
                SourcePayment(
                    type="prepayment", date=p.date, amount=p.applied_amount or p.total or 0
                )
                for p in tx.prepayments or []
            ]
            + [
                SourcePayment(
                    type="overpayment", date=o.date, amount=o.applied_amount or o.total or 0
                )
                for o in tx.overpayments or []
            ],
        )
    if isinstance(tx, Payment):
        document = tx.invoice or tx.credit_note
        number = tx.invoice_number or tx.credit_note_number
        if number is None and isinstance(document, Invoice):
            number = document.invoice_number
        elif number is None and isinstance(document, CreditNote):
            number = document.credit_note_number
        return SourceTransaction(
            **base,
            number=number,
            reference=tx.reference,
            xero_type=tx.payment_type,
            status=tx.status.value if tx.status else "AUTHORISED",
            total=tx.amount,
            amount_paid=tx.amount,
            payments=[SourcePayment(type="payment", date=tx.date, amount=tx.amount or 0)],
        )
    number = tx.credit_note_number if isinstance(tx, CreditNote) else None
    remaining = tx.remaining_credit
    allocations = [
        SourcePayment(type="allocation", date=a.date, amount=a.amount or Decimal(0))
        for a in tx.allocations or []
        if not a.is_deleted
    ]
    return SourceTransaction(
        **base,
        number=number,
        reference=tx.reference,
        xero_type=tx.type.value if tx.type else None,
        status=tx.status.value if tx.status else "UNKNOWN",
        due_date=tx.due_date if isinstance(tx, CreditNote) else None,
        currency=tx.currency_code,
        line_items=_lines(tx.line_items),
        total=tx.total,
        amount_due=remaining,
        amount_credited=(tx.total - remaining)
        if tx.total is not None and remaining is not None
        else None,
        payments=_payments(tx.payments) + allocations,
    )
