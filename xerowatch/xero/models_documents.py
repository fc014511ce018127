"""What the document writers send: invoice, credit-note, purchase-order and manual-journal drafts.

Money is `Decimal`. Rounding rule (Xero's, applied here before anything is sent): a line amount
is Quantity * UnitAmount rounded to 2 dp, half away from zero (`ROUND_HALF_UP` on the absolute
value); quantities and unit amounts carry at most 4 dp (writers send `unitdp=4`); line amounts
at most 2 dp. A draft whose stated LineAmount differs from that product is refused locally, so
the document's total (the sum of its 2-dp line amounts, plus tax Xero computes) is known to the
cent before sending, and `DocumentResult.totals_differ` says when Xero's answer disagrees.
Enums here are strict: a write never sends a value the spec does not list.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Self
from uuid import UUID

from pydantic import Field, field_validator, model_validator

from xerowatch.xero.dates import XeroDate
from xerowatch.xero.errors import XeroError
from xerowatch.xero.models_base import Money, XeroModel
from xerowatch.xero.models_transactions import LineAmountTypes
from xerowatch.xero.write_results import WriteStatus

CENT = Decimal("0.01")
UNIT_DP = 4
"""Decimal places Xero keeps for Quantity and UnitAmount when a request says `unitdp=4`."""
MAX_LINES = 1000
"""Lines per document this module accepts (far below what a request may carry in bytes)."""


def round_money(value: Decimal) -> Decimal:
    """Round to the cent, half away from zero (Xero's rule for line amounts)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def line_amount_of(quantity: Decimal, unit_amount: Decimal) -> Decimal:
    """Return Xero's LineAmount for a quantity and unit amount (no discount)."""
    return round_money(quantity * unit_amount)


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _at_most(value: Decimal | None, places: int, what: str) -> Decimal | None:
    if value is not None and _places(value) > places:
        raise ValueError(f"{what} {value} has more than {places} decimal places")
    return value


class InvoiceKind(StrEnum):
    """The invoice types the writers create: a sales invoice or a bill."""

    ACCREC = "ACCREC"
    ACCPAY = "ACCPAY"


class InvoiceDraftStatus(StrEnum):
    """Statuses an invoice may be created in."""

    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    AUTHORISED = "AUTHORISED"


class PurchaseOrderStatus(StrEnum):
    """Purchase order statuses (spec `PurchaseOrder.Status`)."""

    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    AUTHORISED = "AUTHORISED"
    BILLED = "BILLED"
    DELETED = "DELETED"


class ManualJournalStatus(StrEnum):
    """Manual journal statuses (spec `ManualJournal.Status`)."""

    DRAFT = "DRAFT"
    POSTED = "POSTED"
    DELETED = "DELETED"
    VOIDED = "VOIDED"
    ARCHIVED = "ARCHIVED"


class TrackingRef(XeroModel):
    """A tracking category and option by name, as a line carries it (spec `LineItemTracking`)."""

    name: str = Field(alias="Name", min_length=1, max_length=100)
    option: str = Field(alias="Option", min_length=1, max_length=100)


class ContactRef(XeroModel):
    """The contact a document is for: by ContactID, else by ContactNumber (one of the two)."""

    contact_id: UUID | None = Field(None, alias="ContactID")
    contact_number: str | None = Field(None, alias="ContactNumber", min_length=1, max_length=50)

    @model_validator(mode="after")
    def _one_key(self) -> Self:
        if (self.contact_id is None) == (self.contact_number is None):
            raise ValueError("a document's Contact needs exactly one of ContactID or ContactNumber")
        return self


class DocumentLine(XeroModel):
    """One line of an invoice, bill or purchase order (spec `LineItem`)."""

    item_code: str | None = Field(None, alias="ItemCode", max_length=30)
    description: str | None = Field(None, alias="Description", max_length=4000)
    quantity: Money | None = Field(None, alias="Quantity")
    unit_amount: Money | None = Field(None, alias="UnitAmount")
    line_amount: Money | None = Field(None, alias="LineAmount")
    account_code: str | None = Field(None, alias="AccountCode", max_length=10)
    tax_type: str | None = Field(None, alias="TaxType")
    tracking: list[TrackingRef] | None = Field(None, alias="Tracking", max_length=2)

    @field_validator("quantity", "unit_amount")
    @classmethod
    def _unit_places(cls, value: Decimal | None) -> Decimal | None:
        return _at_most(value, UNIT_DP, "a quantity or unit amount")

    @field_validator("line_amount")
    @classmethod
    def _cents(cls, value: Decimal | None) -> Decimal | None:
        return _at_most(value, 2, "a line amount")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if not self.description and not self.item_code:
            raise ValueError("a line needs a Description or an ItemCode")
        if self.quantity is not None and self.unit_amount is not None:
            expected = line_amount_of(self.quantity, self.unit_amount)
            if self.line_amount is not None and self.line_amount != expected:
                raise ValueError(
                    f"LineAmount {self.line_amount} is not Quantity * UnitAmount rounded to the "
                    f"cent ({expected}); send the rounded product"
                )
        elif self.line_amount is None:
            raise ValueError("a line needs Quantity and UnitAmount, or a LineAmount")
        return self

    def amount(self) -> Decimal:
        """Return the 2-dp amount Xero will record for this line."""
        if self.quantity is not None and self.unit_amount is not None:
            return line_amount_of(self.quantity, self.unit_amount)
        assert self.line_amount is not None  # the validator guarantees one of the two
        return self.line_amount


def _tracking_names_unique(lines: list[DocumentLine] | list[JournalLine]) -> None:
    for line in lines:
        names = [t.name.casefold() for t in line.tracking or []]
        if len(names) != len(set(names)):
            raise ValueError("a line names the same tracking category twice")


class _LinedDraft(XeroModel):
    """Shared by invoices and purchase orders: contact, dates, currency and lines."""

    contact: ContactRef = Field(alias="Contact")
    reference: str | None = Field(None, alias="Reference", max_length=255)
    date: XeroDate = Field(alias="Date")
    line_amount_types: LineAmountTypes = Field(LineAmountTypes.EXCLUSIVE, alias="LineAmountTypes")
    line_items: list[DocumentLine] = Field(alias="LineItems", min_length=1, max_length=MAX_LINES)
    currency_code: str | None = Field(None, alias="CurrencyCode", pattern=r"^[A-Z]{3}$")

    @model_validator(mode="after")
    def _lines(self) -> Self:
        _tracking_names_unique(self.line_items)
        return self

    def lines_total(self) -> Decimal:
        """Return the sum of the 2-dp line amounts (tax as LineAmountTypes says)."""
        return sum((line.amount() for line in self.line_items), Decimal("0.00"))


class InvoiceDraft(_LinedDraft):
    """A sales invoice (ACCREC) or bill (ACCPAY) to create; InvoiceNumber is its external key."""

    type: InvoiceKind = Field(alias="Type")
    invoice_number: str = Field(alias="InvoiceNumber", min_length=1, max_length=255)
    due_date: XeroDate | None = Field(None, alias="DueDate")
    status: InvoiceDraftStatus = Field(InvoiceDraftStatus.AUTHORISED, alias="Status")

    @model_validator(mode="after")
    def _due(self) -> Self:
        if self.due_date is not None and self.due_date < self.date:
            raise ValueError(f"DueDate {self.due_date} is before Date {self.date}")
        if self.status is not InvoiceDraftStatus.DRAFT and self.due_date is None:
            raise ValueError("an invoice that is not a DRAFT needs a DueDate")
        return self


class CreditNoteKind(StrEnum):
    """Credit note types (spec `CreditNote.Type`): a supplier's or a customer's credit."""

    ACCPAYCREDIT = "ACCPAYCREDIT"
    ACCRECCREDIT = "ACCRECCREDIT"


class CreditNoteDraft(_LinedDraft):
    """A credit note to create (PUT /CreditNotes); CreditNoteNumber is its external key.

    The spec keeps `Reference` for ACCRECCREDIT only (an ACCPAYCREDIT's number is the
    supplier's reference), so a supplier credit note carrying one is refused here.
    """

    type: CreditNoteKind = Field(alias="Type")
    credit_note_number: str = Field(alias="CreditNoteNumber", min_length=1, max_length=255)
    status: InvoiceDraftStatus = Field(InvoiceDraftStatus.AUTHORISED, alias="Status")

    @model_validator(mode="after")
    def _reference(self) -> Self:
        if self.type is CreditNoteKind.ACCPAYCREDIT and self.reference is not None:
            raise ValueError("Reference is for ACCRECCREDIT only; an ACCPAYCREDIT has none")
        return self


class PurchaseOrderDraft(_LinedDraft):
    """A purchase order to create; PurchaseOrderNumber is its external key."""

    purchase_order_number: str = Field(alias="PurchaseOrderNumber", min_length=1, max_length=255)
    delivery_date: XeroDate | None = Field(None, alias="DeliveryDate")
    status: PurchaseOrderStatus = Field(PurchaseOrderStatus.AUTHORISED, alias="Status")

    @field_validator("status")
    @classmethod
    def _creatable(cls, value: PurchaseOrderStatus) -> PurchaseOrderStatus:
        if value in (PurchaseOrderStatus.BILLED, PurchaseOrderStatus.DELETED):
            raise ValueError(f"a purchase order cannot be created as {value.value}")
        return value


class JournalLine(XeroModel):
    """One line of a manual journal: positive is a debit, negative a credit."""

    line_amount: Money = Field(alias="LineAmount")
    account_code: str = Field(alias="AccountCode", min_length=1, max_length=10)
    description: str | None = Field(None, alias="Description", max_length=4000)
    tax_type: str | None = Field(None, alias="TaxType")
    tracking: list[TrackingRef] | None = Field(None, alias="Tracking", max_length=2)

    @field_validator("line_amount")
    @classmethod
    def _cents(cls, value: Decimal) -> Decimal:
        if value == 0:
            raise ValueError("a journal line amount cannot be zero")
        return _at_most(value, 2, "a journal line amount") or value


class ManualJournalDraft(XeroModel):
    """A manual journal to create; its Narration is its external key (make it unique)."""

    narration: str = Field(alias="Narration", min_length=1, max_length=4000)
    date: XeroDate = Field(alias="Date")
    line_amount_types: LineAmountTypes = Field(LineAmountTypes.NO_TAX, alias="LineAmountTypes")
    status: ManualJournalStatus = Field(ManualJournalStatus.POSTED, alias="Status")
    journal_lines: list[JournalLine] = Field(
        alias="JournalLines", min_length=2, max_length=MAX_LINES
    )
    show_on_cash_basis_reports: bool | None = Field(None, alias="ShowOnCashBasisReports")

    @model_validator(mode="after")
    def _balanced(self) -> Self:
        if self.status not in (ManualJournalStatus.DRAFT, ManualJournalStatus.POSTED):
            raise ValueError(f"a manual journal cannot be created as {self.status.value}")
        _tracking_names_unique(self.journal_lines)
        total = sum((line.line_amount for line in self.journal_lines), Decimal(0))
        if total != 0:
            raise ValueError(f"journal lines must sum to zero (debits = credits), not {total}")
        return self


Draft = InvoiceDraft | CreditNoteDraft | PurchaseOrderDraft | ManualJournalDraft
"""Anything a document writer sends."""


class DocumentKind(StrEnum):
    """The document kinds the writers and the document outbox know."""

    INVOICE = "invoice"
    PURCHASE_ORDER = "purchase_order"
    MANUAL_JOURNAL = "manual_journal"
    CREDIT_NOTE = "credit_note"


def draft_key(draft: Draft) -> str:
    """Return the external key Xero can find a draft by (number, or narration for journals)."""
    if isinstance(draft, InvoiceDraft):
        return draft.invoice_number
    if isinstance(draft, CreditNoteDraft):
        return draft.credit_note_number
    if isinstance(draft, PurchaseOrderDraft):
        return draft.purchase_order_number
    return draft.narration


def identity_key(draft: Draft) -> str:
    """Return what makes a draft one document in Xero (casefolded), for outboxes and lookups.

    Sales invoice numbers are unique per organisation; bill numbers are the supplier's, so a
    bill is identified by its contact and number; credit notes likewise (a supplier's by contact
    and number, a customer's by number); purchase orders by number, journals by narration.
    """
    if isinstance(draft, InvoiceDraft):
        if draft.type is InvoiceKind.ACCPAY:
            return f"accpay:{_contact_key(draft.contact)}:{draft.invoice_number}".casefold()
        return f"accrec:{draft.invoice_number}".casefold()
    if isinstance(draft, CreditNoteDraft):
        if draft.type is CreditNoteKind.ACCPAYCREDIT:
            contact = _contact_key(draft.contact)
            return f"accpaycredit:{contact}:{draft.credit_note_number}".casefold()
        return f"accreccredit:{draft.credit_note_number}".casefold()
    return draft_key(draft).casefold()


def _contact_key(contact: ContactRef) -> str:
    return str(contact.contact_id or f"#{contact.contact_number}")


def kind_of(draft: Draft) -> DocumentKind:
    """Return the kind of a draft."""
    if isinstance(draft, InvoiceDraft):
        return DocumentKind.INVOICE
    if isinstance(draft, CreditNoteDraft):
        return DocumentKind.CREDIT_NOTE
    if isinstance(draft, PurchaseOrderDraft):
        return DocumentKind.PURCHASE_ORDER
    return DocumentKind.MANUAL_JOURNAL


@dataclass(frozen=True)
class DocumentResult:
    """The outcome for one draft of a batch write, by its index in the caller's list.

    OK: `xero_id` is the document's Xero ID (InvoiceID / CreditNoteID / PurchaseOrderID /
    ManualJournalID).
    REJECTED: `messages` are Xero's (or local) validation errors — fix the record.
    FAILED / NOT_SENT: `error` says why; the outcome is unknown / nothing was sent.
    """

    index: int
    key: str
    """The draft's external key (`draft_key`)."""
    status: WriteStatus
    xero_id: UUID | None = None
    messages: tuple[str, ...] = ()
    """Validation messages when REJECTED; Xero's warnings when OK."""
    error: XeroError | None = None
    correlation_id: str | None = None
    total: Decimal | None = None
    """Xero's Total of the saved document (None for journals, or when not saved)."""
    totals_differ: str | None = None
    """Set when OK but Xero's totals are not the draft's to the cent (hold and alert)."""

    @property
    def ok(self) -> bool:
        """True when Xero saved the document."""
        return self.status is WriteStatus.OK


__all__ = [
    "CENT",
    "ContactRef",
    "CreditNoteDraft",
    "CreditNoteKind",
    "DocumentKind",
    "DocumentLine",
    "DocumentResult",
    "Draft",
    "InvoiceDraft",
    "InvoiceDraftStatus",
    "InvoiceKind",
    "JournalLine",
    "ManualJournalDraft",
    "ManualJournalStatus",
    "PurchaseOrderDraft",
    "PurchaseOrderStatus",
    "TrackingRef",
    "draft_key",
    "identity_key",
    "kind_of",
    "line_amount_of",
    "round_money",
]
