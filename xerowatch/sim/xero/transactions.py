"""Invoices, credit notes, overpayments, prepayments and payments, with their derived amounts."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from xerowatch.sim.xero.contacts import ContactBook
from xerowatch.sim.xero.state import ID_FIELDS, Record, Tenant, line_amounts, money, to_date
from xerowatch.sim.xero.views import render_transaction

SOURCE_KINDS = ("CreditNotes", "Overpayments", "Prepayments")
_SOURCE_DEFAULTS = {
    "CreditNotes": ("ACCRECCREDIT", "CN"),
    "Overpayments": ("RECEIVE-OVERPAYMENT", None),
    "Prepayments": ("RECEIVE-PREPAYMENT", None),
}
_DOCUMENT_FIELDS = frozenset(
    {
        "Type",
        "Date",
        "DueDate",
        "Status",
        "LineAmountTypes",
        "LineItems",
        "Reference",
        "CurrencyCode",
        "SentToContact",
        "Total",
        "InvoiceNumber",
        "CreditNoteNumber",
    }
)
_PAYMENT_FIELDS = frozenset({"Date", "Reference", "Status", "IsReconciled", "Account"})
_DATE_FIELDS = ("Date", "DueDate")
_OPEN = ("AUTHORISED",)


class Ledger:
    """One tenant's transactions, with indexes from each invoice to what pays or credits it."""

    def __init__(self, tenant: Tenant, contacts: ContactBook, new_id: Callable[[], str]) -> None:
        self.tenant = tenant
        self.contacts = contacts
        self.new_id = new_id
        self.payments_by_invoice: dict[str, list[str]] = {}
        self.allocations_by_invoice: dict[str, list[tuple[str, str]]] = {}

    # ---- derived amounts -------------------------------------------------------------------

    def totals(self, record: Record) -> tuple[Decimal, Decimal, Decimal]:
        """SubTotal, TotalTax and Total of a document from its line items."""
        mode = record.data.get("LineAmountTypes", "Exclusive")
        sub = tax = Decimal(0)
        for line in record.data.get("LineItems", []):
            amount, line_tax = line_amounts(line, mode)
            sub += amount - line_tax if mode == "Inclusive" else amount
            tax += line_tax
        return sub, tax, sub + tax

    def active_payments(self, invoice_id: str) -> list[Record]:
        """Non-deleted payments against an invoice."""
        payments = self.tenant.of("Payments")
        found = (payments[pid] for pid in self.payments_by_invoice.get(invoice_id, []))
        return [p for p in found if p.data.get("Status") != "DELETED"]

    def allocations_to(self, invoice_id: str) -> list[tuple[str, Record, dict[str, Any]]]:
        """(kind, source record, allocation) for every credit applied to an invoice."""
        result = []
        for kind, source_id in self.allocations_by_invoice.get(invoice_id, []):
            source = self.tenant.of(kind)[source_id]
            for allocation in source.data.get("Allocations", []):
                if allocation["InvoiceID"] == invoice_id:
                    result.append((kind, source, allocation))
        return result

    def invoice_amounts(self, record: Record) -> dict[str, Decimal]:
        """Total, AmountPaid, AmountCredited and AmountDue of an invoice."""
        total = self.totals(record)[2]
        paid = sum((money(p.data["Amount"]) for p in self.active_payments(record.id)), Decimal(0))
        credited = sum((a["Amount"] for _, _, a in self.allocations_to(record.id)), Decimal(0))
        # nothing is owed on a voided or deleted invoice
        closed = record.data.get("Status") in ("VOIDED", "DELETED")
        due = Decimal(0) if closed else total - paid - credited
        return {"Total": total, "Paid": paid, "Credited": credited, "Due": due}

    def remaining_credit(self, record: Record) -> Decimal:
        """Credit of a credit note/overpayment/prepayment not yet allocated."""
        allocated = sum((a["Amount"] for a in record.data.get("Allocations", [])), Decimal(0))
        return self.totals(record)[2] - allocated

    # ---- writes -----------------------------------------------------------------------------

    def _document(
        self,
        kind: str,
        contact_id: str,
        fields: dict[str, Any],
        now: datetime,
        defaults: dict[str, Any],
    ) -> Record:
        if contact_id not in self.contacts.records:
            raise ValueError(f"unknown contact {contact_id}")
        unknown = set(fields) - _DOCUMENT_FIELDS
        if unknown:
            raise ValueError(f"unsupported {kind} fields: {sorted(unknown)}")
        data: dict[str, Any] = {**defaults, **_normalise(fields)}
        if "LineItems" not in fields:
            total = fields.get("Total", 100)
            data["LineItems"] = [
                {
                    "Description": "Course fee",
                    "Quantity": 1,
                    "UnitAmount": total,
                    "AccountCode": "200",
                    "TaxType": "NONE",
                }
            ]
            data["LineAmountTypes"] = fields.get("LineAmountTypes", "NoTax")
        data.pop("Total", None)
        for line in data["LineItems"]:
            line.setdefault("LineItemID", self.new_id())
        record_id = self.new_id()
        data[ID_FIELDS[kind]] = record_id
        data["ContactID"] = contact_id
        record = Record(record_id, self.tenant.next_seq(), data, now)
        if self.totals(record)[2] <= 0:
            raise ValueError(f"{kind} total must be positive")
        self.tenant.of(kind)[record_id] = record
        return record

    def add_invoice(self, contact_id: str, fields: dict[str, Any], now: datetime) -> Record:
        """Create an invoice (ACCREC, AUTHORISED by default)."""
        defaults = {
            "Type": "ACCREC",
            "Status": "AUTHORISED",
            "Date": now.date(),
            "DueDate": now.date(),
            "LineAmountTypes": "Exclusive",
            "CurrencyCode": "AUD",
            "SentToContact": False,
            "Reference": "",
        }
        if "InvoiceNumber" not in fields:
            defaults["InvoiceNumber"] = self.tenant.next_number("INV")
        record = self._document("Invoices", contact_id, fields, now, defaults)
        self.contacts.touch(contact_id, {"IsCustomer": True})
        return record

    def add_source(
        self,
        kind: str,
        contact_id: str,
        fields: dict[str, Any],
        now: datetime,
        allocations: list[tuple[str, Any]],
    ) -> Record:
        """Create a credit note, overpayment or prepayment, then apply its allocations."""
        doc_type, prefix = _SOURCE_DEFAULTS[kind]
        defaults: dict[str, Any] = {
            "Type": doc_type,
            "Status": "AUTHORISED",
            "Date": now.date(),
            "LineAmountTypes": "NoTax",
            "CurrencyCode": "AUD",
            "Allocations": [],
            "Reference": "",
        }
        if prefix and "CreditNoteNumber" not in fields:
            defaults["CreditNoteNumber"] = self.tenant.next_number(prefix)
        record = self._document(kind, contact_id, fields, now, defaults)
        for invoice_id, amount in allocations:
            self.allocate(kind, record.id, invoice_id, amount, now)
        return record

    def allocate(
        self, kind: str, source_id: str, invoice_id: str, amount: Any, now: datetime
    ) -> dict[str, Any]:
        """Apply part of a credit to an AUTHORISED invoice of the same contact."""
        source = self.tenant.of(kind)[source_id]
        invoice = self.tenant.of("Invoices")[invoice_id]
        value = money(amount)
        if source.data["Status"] not in _OPEN or invoice.data["Status"] not in _OPEN:
            raise ValueError("both documents must be AUTHORISED to allocate")
        if value <= 0 or value > self.remaining_credit(source):
            raise ValueError(f"allocation {value} exceeds the remaining credit")
        if value > self.invoice_amounts(invoice)["Due"]:
            raise ValueError(f"allocation {value} exceeds the invoice's amount due")
        allocation = {
            "AllocationID": self.new_id(),
            "InvoiceID": invoice_id,
            "Amount": value,
            "Date": now.date(),
        }
        source.data.setdefault("Allocations", []).append(allocation)
        links = self.allocations_by_invoice.setdefault(invoice_id, [])
        if (kind, source_id) not in links:
            links.append((kind, source_id))
        self._settle_source(source, now)
        self._settle_invoice(invoice, now)
        return allocation

    def add_payment(
        self, invoice_id: str, amount: Any, fields: dict[str, Any], now: datetime
    ) -> Record:
        """Pay (part of) an AUTHORISED invoice."""
        invoice = self.tenant.of("Invoices").get(invoice_id)
        if invoice is None:
            raise ValueError(f"unknown invoice {invoice_id}")
        unknown = set(fields) - _PAYMENT_FIELDS
        if unknown:
            raise ValueError(f"unsupported payment fields: {sorted(unknown)}")
        value = money(amount)
        if invoice.data["Status"] not in _OPEN:
            raise ValueError("payments can only be applied to AUTHORISED invoices")
        if value <= 0 or value > self.invoice_amounts(invoice)["Due"]:
            raise ValueError(f"payment {value} must be positive and at most the amount due")
        payment_id = self.new_id()
        data = {
            "PaymentID": payment_id,
            "InvoiceID": invoice_id,
            "Amount": value,
            "Date": now.date(),
            "Status": "AUTHORISED",
            "Reference": "",
            "IsReconciled": False,
            "PaymentType": "ACCRECPAYMENT",
            "Account": {"AccountID": "5040915e-8ce7-4177-8d08-fde416232f18", "Code": "090"},
            **_normalise(fields),
        }
        record = Record(payment_id, self.tenant.next_seq(), data, now)
        self.tenant.of("Payments")[payment_id] = record
        self.payments_by_invoice.setdefault(invoice_id, []).append(payment_id)
        self._settle_invoice(invoice, now)
        return record

    def update(self, kind: str, record_id: str, fields: dict[str, Any], now: datetime) -> Record:
        """Change a transaction's fields (simulator back door); bumps UpdatedDateUTC."""
        record = self.tenant.of(kind)[record_id]
        allowed = _PAYMENT_FIELDS if kind == "Payments" else _DOCUMENT_FIELDS - {"Total"}
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"unsupported {kind} fields: {sorted(unknown)}")
        status = fields.get("Status")
        if status in ("VOIDED", "DELETED") and kind != "Payments" and self._has_links(kind, record):
            raise ValueError(f"remove payments and allocations before setting {status}")
        record.data.update(_normalise(fields))
        record.updated_at = now
        if kind == "Payments":
            self._settle_invoice(self.tenant.of("Invoices")[record.data["InvoiceID"]], now)
        return record

    def _has_links(self, kind: str, record: Record) -> bool:
        if kind == "Invoices":
            return bool(self.active_payments(record.id) or self.allocations_to(record.id))
        return bool(record.data.get("Allocations"))

    def _settle_invoice(self, invoice: Record, now: datetime) -> None:
        due = self.invoice_amounts(invoice)["Due"]
        if invoice.data["Status"] in ("AUTHORISED", "PAID"):
            invoice.data["Status"] = "PAID" if due == 0 else "AUTHORISED"
            invoice.data["FullyPaidOnDate"] = now.date() if due == 0 else None
        invoice.updated_at = now

    def _settle_source(self, source: Record, now: datetime) -> None:
        if source.data["Status"] in ("AUTHORISED", "PAID"):
            source.data["Status"] = "PAID" if self.remaining_credit(source) == 0 else "AUTHORISED"
        source.updated_at = now

    def move_contact(self, gone_id: str, keep_id: str, now: datetime) -> int:
        """Re-point every document of a merged-away contact; returns how many moved."""
        moved = 0
        for kind in ("Invoices", *SOURCE_KINDS):
            for record in self.tenant.all_of(kind):
                if record.data.get("ContactID") == gone_id:
                    record.data["ContactID"] = keep_id
                    record.updated_at = now
                    moved += 1
        return moved

    def render(self, kind: str, record: Record) -> dict[str, Any]:
        """Render a stored transaction as Xero JSON."""
        return render_transaction(self, kind, record)


def online_invoice_url(invoice_id: str) -> str:
    """A stable public link for an invoice, shaped like Xero's."""
    digest = hashlib.sha256(invoice_id.encode()).hexdigest()
    return f"https://in.xero.com/{digest[:22]}/Invoice/{digest[22:32]}"


def _normalise(fields: dict[str, Any]) -> dict[str, Any]:
    out = dict(fields)
    for key in _DATE_FIELDS:
        if key in out and out[key] is not None:
            out[key] = to_date(out[key])
    if "Amount" in out:
        out["Amount"] = money(out["Amount"])
    if "LineItems" in out:
        out["LineItems"] = [dict(line) for line in out["LineItems"]]
    return out
