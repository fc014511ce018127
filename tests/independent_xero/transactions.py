"""Money documents of one organisation: invoices, credit notes, overpayments, prepayments, payments.

Seeding follows what a user does in Xero and what Xero derives from it: a payment lowers the
invoice's AmountDue and makes it PAID when nothing is left; deleting the payment makes it
AUTHORISED again; an allocated credit note raises AmountCredited and is PAID once fully used.
Only DRAFT or SUBMITTED documents can be DELETED, and only unpaid AUTHORISED ones VOIDED. Every
change stamps UpdatedDateUTC with the shared clock.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from tests.independent_xero.contacts import ContactBook
from tests.independent_xero.where import Predicate
from tests.independent_xero.wire import Since, date_string
from xerowatch.clock import Clock


@dataclass(frozen=True)
class Kind:
    """One document collection: its JSON key, id field, type name, and the fields `where` knows."""

    collection: str
    id_field: str
    type_name: str
    fields: frozenset[str]


_DOCUMENT_FIELDS = frozenset(
    {"Type", "Contact", "Date", "Status", "Total", "SubTotal", "Reference", "UpdatedDateUTC"}
)
INVOICES = Kind(
    "Invoices",
    "InvoiceID",
    "Invoice",
    _DOCUMENT_FIELDS
    | {"InvoiceID", "InvoiceNumber", "DueDate", "AmountDue", "AmountPaid", "AmountCredited"},
)
CREDIT_NOTES = Kind(
    "CreditNotes",
    "CreditNoteID",
    "CreditNote",
    _DOCUMENT_FIELDS | {"CreditNoteID", "CreditNoteNumber", "RemainingCredit"},
)
OVERPAYMENTS = Kind(
    "Overpayments", "OverpaymentID", "Overpayment", _DOCUMENT_FIELDS | {"OverpaymentID"}
)
PREPAYMENTS = Kind("Prepayments", "PrepaymentID", "Prepayment", _DOCUMENT_FIELDS | {"PrepaymentID"})
PAYMENTS = Kind(
    "Payments",
    "PaymentID",
    "Payment",
    frozenset({"PaymentID", "Invoice", "Date", "Amount", "Status", "PaymentType", "Reference"})
    | {"UpdatedDateUTC"},
)
KINDS = {
    kind.collection: kind for kind in (INVOICES, CREDIT_NOTES, OVERPAYMENTS, PREPAYMENTS, PAYMENTS)
}
ZERO = Decimal("0.00")


class Ledger:
    """The organisation's money documents, kept as plain dicts of Python values."""

    def __init__(self, clock: Clock, contacts: ContactBook) -> None:
        self._clock = clock
        self._contacts = contacts
        self._docs: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in KINDS}
        self._numbers = {"Invoices": 0, "CreditNotes": 0}
        self.online_links: dict[str, str] = {}

    # -- seeding, as a user of Xero would -----------------------------------------------------

    def add_invoice(
        self,
        contact_id: str,
        total: Decimal | int | str,
        *,
        status: str = "AUTHORISED",
        type_: str = "ACCREC",
        on: date | None = None,
        reference: str = "",
    ) -> str:
        """Create an invoice with one line; return its InvoiceID."""
        amount = Decimal(str(total)).quantize(ZERO)
        day = on or self._clock.now().date()
        invoice = self._document(INVOICES, contact_id, amount, day, status, type_, reference)
        self._numbers["Invoices"] += 1
        invoice["InvoiceNumber"] = f"INV-{self._numbers['Invoices']:04d}"
        invoice.update({"DueDate": day, "AmountPaid": ZERO, "AmountCredited": ZERO})
        invoice.update({"AmountDue": amount, "SentToContact": False})
        return str(invoice["InvoiceID"])

    def add_payment(
        self, invoice_id: str, amount: Decimal | int | str, *, on: date | None = None
    ) -> str:
        """Pay (part of) an AUTHORISED invoice; return the PaymentID."""
        invoice = self._docs["Invoices"][invoice_id]
        paid = Decimal(str(amount)).quantize(ZERO)
        if invoice["Status"] != "AUTHORISED":
            raise ValueError(
                f"Payments can only be made against AUTHORISED invoices, not {invoice['Status']}"
            )
        if paid <= 0 or paid > invoice["AmountDue"]:
            raise ValueError("Payment amount exceeds the amount outstanding on this document")
        payment_id = str(uuid.uuid4())
        self._docs["Payments"][payment_id] = {
            "PaymentID": payment_id,
            "Date": on or self._clock.now().date(),
            "Amount": paid,
            "BankAmount": paid,
            "Reference": "",
            "CurrencyRate": Decimal("1.000000"),
            "PaymentType": "ACCRECPAYMENT" if invoice["Type"] == "ACCREC" else "ACCPAYPAYMENT",
            "Status": "AUTHORISED",
            "IsReconciled": False,
            "HasAccount": True,
            "HasValidationErrors": False,
            "UpdatedDateUTC": self._clock.now(),
            "_invoice": invoice_id,
        }
        self._settle(invoice)
        return payment_id

    def delete_payment(self, payment_id: str) -> None:
        """Delete a payment: it stays listed as DELETED and its invoice is owed again."""
        payment = self._docs["Payments"][payment_id]
        payment.update({"Status": "DELETED", "UpdatedDateUTC": self._clock.now()})
        self._settle(self._docs["Invoices"][payment["_invoice"]])

    def add_credit_note(
        self,
        contact_id: str,
        total: Decimal | int | str,
        *,
        allocations: Iterable[tuple[str, Decimal | int | str]] = (),
        on: date | None = None,
    ) -> str:
        """Create an AUTHORISED sales credit note, optionally allocated to invoices."""
        amount = Decimal(str(total)).quantize(ZERO)
        day = on or self._clock.now().date()
        note = self._document(
            CREDIT_NOTES, contact_id, amount, day, "AUTHORISED", "ACCRECCREDIT", ""
        )
        self._numbers["CreditNotes"] += 1
        note.update({"CreditNoteNumber": f"CN-{self._numbers['CreditNotes']:04d}", "DueDate": day})
        note.update({"RemainingCredit": amount, "Allocations": []})
        for invoice_id, applied in allocations:
            share = Decimal(str(applied)).quantize(ZERO)
            invoice = self._docs["Invoices"][invoice_id]
            if share > note["RemainingCredit"] or share > invoice["AmountDue"]:
                raise ValueError("The allocation is more than the credit or the amount due")
            note["Allocations"].append(
                {
                    "AllocationID": str(uuid.uuid4()),
                    "Amount": share,
                    "Date": day,
                    "_invoice": invoice_id,
                }
            )
            note["RemainingCredit"] -= share
            self._settle(invoice)
        if note["RemainingCredit"] == 0:
            note.update({"Status": "PAID", "FullyPaidOnDate": day})
        return str(note["CreditNoteID"])

    def add_overpayment(
        self, contact_id: str, total: Decimal | int | str, *, on: date | None = None
    ) -> str:
        """Record money received beyond what was owed (RECEIVE-OVERPAYMENT)."""
        return self._credit(OVERPAYMENTS, contact_id, total, on, "RECEIVE-OVERPAYMENT")

    def add_prepayment(
        self, contact_id: str, total: Decimal | int | str, *, on: date | None = None
    ) -> str:
        """Record money received before an invoice exists (RECEIVE-PREPAYMENT)."""
        return self._credit(PREPAYMENTS, contact_id, total, on, "RECEIVE-PREPAYMENT")

    def set_status(self, collection: str, doc_id: str, status: str) -> None:
        """Approve, void or delete a document, with Xero's rules on which change is allowed."""
        doc = self._docs[collection][doc_id]
        before = doc["Status"]
        allowed = {
            "AUTHORISED": before in ("DRAFT", "SUBMITTED"),
            "SUBMITTED": before == "DRAFT",
            "DELETED": before in ("DRAFT", "SUBMITTED"),
            "VOIDED": before == "AUTHORISED" and doc.get("AmountPaid", ZERO) == 0,
        }
        if not allowed.get(status, False):
            raise ValueError(f"A {before} document cannot become {status}")
        doc.update({"Status": status, "UpdatedDateUTC": self._clock.now()})

    # -- reads ------------------------------------------------------------------------------

    def get(self, collection: str, doc_id: str) -> dict[str, Any] | None:
        """One stored document (raw values), or None."""
        return self._docs[collection].get(doc_id)

    def select(
        self,
        kind: Kind,
        *,
        since: Since | None,
        where: Predicate,
        statuses: Iterable[str] = (),
        ids: Iterable[str] = (),
        contact_ids: Iterable[str] = (),
    ) -> list[dict[str, Any]]:
        """Documents matching the list filters, in creation order."""
        wanted_status = set(statuses)
        wanted_ids = {i.lower() for i in ids}
        wanted_contacts = {i.lower() for i in contact_ids}
        out = []
        for doc in self._docs[kind.collection].values():
            if wanted_status and doc["Status"] not in wanted_status:
                continue
            if wanted_ids and doc[kind.id_field] not in wanted_ids:
                continue
            if wanted_contacts and self._contact_of(doc) not in wanted_contacts:
                continue
            fresh = since is None or since.admits(doc["UpdatedDateUTC"])
            if fresh and where(self._where_view(kind, doc)):
                out.append(doc)
        return out

    def render(
        self, kind: Kind, doc: Mapping[str, Any], *, summary_only: bool = False
    ) -> dict[str, Any]:
        """A document as GET answers it."""
        out = {key: value for key, value in doc.items() if not key.startswith("_")}
        if "_contact" in doc:
            out["Contact"] = self._contact_ref(doc["_contact"])
        if isinstance(doc.get("Date"), date):
            out["DateString"] = date_string(doc["Date"])
        if kind is INVOICES:
            out.update(self._invoice_links(doc))
        if kind is CREDIT_NOTES:
            out["Allocations"] = [self._allocation(a) for a in doc["Allocations"]]
        if kind is PAYMENTS:
            out["Invoice"] = self._invoice_ref(self._docs["Invoices"][doc["_invoice"]])
        if summary_only:
            out.pop("LineItems", None)
        return out

    def online_invoice_url(self, invoice_id: str) -> list[str] | None:
        """An invoice's online links (none for drafts, deleted and bills); None: unknown id."""
        invoice = self._docs["Invoices"].get(invoice_id)
        if invoice is None:
            return None
        if invoice["Type"] != "ACCREC" or invoice["Status"] in ("DRAFT", "DELETED"):
            return []
        link = self.online_links.setdefault(
            invoice_id, "https://in.xero.com/" + secrets.token_urlsafe(30)
        )
        return [link]

    # -- internals ---------------------------------------------------------------------------

    def _document(
        self,
        kind: Kind,
        contact_id: str,
        amount: Decimal,
        day: date,
        status: str,
        type_: str,
        reference: str,
    ) -> dict[str, Any]:
        if self._contacts.find(contact_id) is None:
            raise ValueError(f"no contact {contact_id}")
        doc_id = str(uuid.uuid4())
        line = {
            "LineItemID": str(uuid.uuid4()),
            "Description": "Course fees",
            "Quantity": Decimal("1.0000"),
            "UnitAmount": amount,
            "AccountCode": "200",
            "TaxType": "NONE",
            "TaxAmount": ZERO,
            "LineAmount": amount,
        }
        doc = {
            kind.id_field: doc_id,
            "Type": type_,
            "_contact": contact_id,
            "Date": day,
            "Status": status,
            "LineAmountTypes": "NoTax",
            "LineItems": [line],
            "SubTotal": amount,
            "TotalTax": ZERO,
            "Total": amount,
            "CurrencyCode": "AUD",
            "CurrencyRate": Decimal("1.000000"),
            "Reference": reference,
            "UpdatedDateUTC": self._clock.now(),
        }
        self._docs[kind.collection][doc_id] = doc
        return doc

    def _credit(
        self, kind: Kind, contact_id: str, total: Decimal | int | str, on: date | None, type_: str
    ) -> str:
        amount = Decimal(str(total)).quantize(ZERO)
        doc = self._document(
            kind, contact_id, amount, on or self._clock.now().date(), "AUTHORISED", type_, ""
        )
        doc.update({"RemainingCredit": amount, "Allocations": [], "Payments": []})
        return str(doc[kind.id_field])

    def _settle(self, invoice: dict[str, Any]) -> None:
        """Recompute what an invoice is owed after a payment or credit changed."""
        invoice_id = invoice["InvoiceID"]
        paid = sum((p["Amount"] for p in self._payments_of(invoice_id)), ZERO)
        credited = sum((a["Amount"] for _, a in self._allocations_to(invoice_id)), ZERO)
        invoice.update({"AmountPaid": paid, "AmountCredited": credited})
        invoice["AmountDue"] = invoice["Total"] - paid - credited
        if invoice["AmountDue"] == 0 and invoice["Status"] == "AUTHORISED":
            invoice.update({"Status": "PAID", "FullyPaidOnDate": self._clock.now().date()})
        elif invoice["AmountDue"] > 0 and invoice["Status"] == "PAID":
            invoice["Status"] = "AUTHORISED"
            invoice.pop("FullyPaidOnDate", None)
        invoice["UpdatedDateUTC"] = self._clock.now()

    def _payments_of(self, invoice_id: str) -> list[dict[str, Any]]:
        return [
            p
            for p in self._docs["Payments"].values()
            if p["_invoice"] == invoice_id and p["Status"] == "AUTHORISED"
        ]

    def _allocations_to(self, invoice_id: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        return [
            (note, allocation)
            for note in self._docs["CreditNotes"].values()
            for allocation in note["Allocations"]
            if allocation["_invoice"] == invoice_id
        ]

    def _invoice_links(self, invoice: Mapping[str, Any]) -> dict[str, Any]:
        invoice_id = invoice["InvoiceID"]
        payments = [
            {
                "PaymentID": p["PaymentID"],
                "Date": p["Date"],
                "Amount": p["Amount"],
                "CurrencyRate": p["CurrencyRate"],
            }
            for p in self._payments_of(invoice_id)
        ]
        credits = [
            {
                "CreditNoteID": note["CreditNoteID"],
                "CreditNoteNumber": note["CreditNoteNumber"],
                "Date": allocation["Date"],
                "Total": note["Total"],
                "AppliedAmount": allocation["Amount"],
            }
            for note, allocation in self._allocations_to(invoice_id)
        ]
        return {"Payments": payments, "CreditNotes": credits, "Prepayments": [], "Overpayments": []}

    def _allocation(self, allocation: Mapping[str, Any]) -> dict[str, Any]:
        invoice = self._docs["Invoices"][allocation["_invoice"]]
        return {
            "AllocationID": allocation["AllocationID"],
            "Amount": allocation["Amount"],
            "Date": allocation["Date"],
            "Invoice": {
                "InvoiceID": invoice["InvoiceID"],
                "InvoiceNumber": invoice["InvoiceNumber"],
            },
        }

    def _invoice_ref(self, invoice: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "Type": invoice["Type"],
            "InvoiceID": invoice["InvoiceID"],
            "InvoiceNumber": invoice["InvoiceNumber"],
            "Contact": self._contact_ref(invoice["_contact"]),
            "CurrencyCode": invoice["CurrencyCode"],
        }

    def _contact_ref(self, contact_id: str) -> dict[str, Any]:
        """The contact summary Xero embeds in documents: ContactID and Name (spec examples)."""
        contact = self._contacts.find(contact_id)
        name = contact.get("Name") if contact else None
        return {
            "ContactID": contact_id,
            "Name": name,
            "Addresses": [],
            "Phones": [],
            "HasValidationErrors": False,
        }

    def _contact_of(self, doc: Mapping[str, Any]) -> str:
        if "_invoice" in doc:
            return str(self._docs["Invoices"][doc["_invoice"]]["_contact"])
        return str(doc["_contact"])

    def _where_view(self, kind: Kind, doc: Mapping[str, Any]) -> dict[str, Any]:
        view = dict(doc)
        if "_contact" in doc:
            view["Contact"] = self._contact_ref(doc["_contact"])
        if kind is PAYMENTS:
            view["Invoice"] = self._invoice_ref(self._docs["Invoices"][doc["_invoice"]])
        return view
