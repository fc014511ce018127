"""Xero money documents: invoices, credit notes, overpayments, prepayments, payments."""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

from xerowatch.xero.dates import XeroDate, XeroDateTime
from xerowatch.xero.models_base import Money, ValidationMessage, XeroEnum, XeroModel
from xerowatch.xero.models_contact import Contact


class InvoiceType(XeroEnum):
    """Invoice types (ACCREC = sales invoice, ACCPAY = bill)."""

    ACCPAY = "ACCPAY"
    ACCPAYCREDIT = "ACCPAYCREDIT"
    APOVERPAYMENT = "APOVERPAYMENT"
    APPREPAYMENT = "APPREPAYMENT"
    ACCREC = "ACCREC"
    ACCRECCREDIT = "ACCRECCREDIT"
    AROVERPAYMENT = "AROVERPAYMENT"
    ARPREPAYMENT = "ARPREPAYMENT"


class DocumentStatus(XeroEnum):
    """Statuses of invoices and credit notes."""

    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    DELETED = "DELETED"
    AUTHORISED = "AUTHORISED"
    PAID = "PAID"
    VOIDED = "VOIDED"


class CreditNoteType(XeroEnum):
    """Credit note types."""

    ACCPAYCREDIT = "ACCPAYCREDIT"
    ACCRECCREDIT = "ACCRECCREDIT"


class OverpaymentType(XeroEnum):
    """Overpayment types."""

    RECEIVE_OVERPAYMENT = "RECEIVE-OVERPAYMENT"
    SPEND_OVERPAYMENT = "SPEND-OVERPAYMENT"
    AROVERPAYMENT = "AROVERPAYMENT"


class PrepaymentType(XeroEnum):
    """Prepayment types."""

    RECEIVE_PREPAYMENT = "RECEIVE-PREPAYMENT"
    SPEND_PREPAYMENT = "SPEND-PREPAYMENT"
    ARPREPAYMENT = "ARPREPAYMENT"
    APPREPAYMENT = "APPREPAYMENT"


class CreditStatus(XeroEnum):
    """Statuses of overpayments and prepayments."""

    AUTHORISED = "AUTHORISED"
    PAID = "PAID"
    VOIDED = "VOIDED"


class PaymentStatus(XeroEnum):
    """Statuses of payments."""

    AUTHORISED = "AUTHORISED"
    DELETED = "DELETED"


class LineAmountTypes(XeroEnum):
    """Whether line amounts include tax."""

    EXCLUSIVE = "Exclusive"
    INCLUSIVE = "Inclusive"
    NO_TAX = "NoTax"


class LineItem(XeroModel):
    """One line of an invoice, credit note, overpayment or prepayment."""

    line_item_id: UUID | None = Field(None, alias="LineItemID")
    description: str | None = Field(None, alias="Description")
    quantity: Money | None = Field(None, alias="Quantity")
    unit_amount: Money | None = Field(None, alias="UnitAmount")
    item_code: str | None = Field(None, alias="ItemCode")
    account_code: str | None = Field(None, alias="AccountCode")
    account_id: UUID | None = Field(None, alias="AccountID")
    tax_type: str | None = Field(None, alias="TaxType")
    tax_amount: Money | None = Field(None, alias="TaxAmount")
    line_amount: Money | None = Field(None, alias="LineAmount")
    discount_rate: Money | None = Field(None, alias="DiscountRate")
    discount_amount: Money | None = Field(None, alias="DiscountAmount")


class Allocation(XeroModel):
    """Part of a credit note, overpayment or prepayment applied to an invoice."""

    allocation_id: UUID | None = Field(None, alias="AllocationID")
    invoice: Invoice | None = Field(None, alias="Invoice")
    overpayment: Overpayment | None = Field(None, alias="Overpayment")
    prepayment: Prepayment | None = Field(None, alias="Prepayment")
    credit_note: CreditNote | None = Field(None, alias="CreditNote")
    amount: Money | None = Field(None, alias="Amount")
    date: XeroDate | None = Field(None, alias="Date")
    is_deleted: bool | None = Field(None, alias="IsDeleted")
    status_attribute_string: str | None = Field(None, alias="StatusAttributeString")
    validation_errors: list[ValidationMessage] | None = Field(None, alias="ValidationErrors")


class Payment(XeroModel):
    """Money received or paid against an invoice, credit note, overpayment or prepayment."""

    payment_id: UUID | None = Field(None, alias="PaymentID")
    invoice: Invoice | None = Field(None, alias="Invoice")
    credit_note: CreditNote | None = Field(None, alias="CreditNote")
    prepayment: Prepayment | None = Field(None, alias="Prepayment")
    overpayment: Overpayment | None = Field(None, alias="Overpayment")
    invoice_number: str | None = Field(None, alias="InvoiceNumber")
    credit_note_number: str | None = Field(None, alias="CreditNoteNumber")
    code: str | None = Field(None, alias="Code")
    date: XeroDate | None = Field(None, alias="Date")
    currency_rate: Money | None = Field(None, alias="CurrencyRate")
    amount: Money | None = Field(None, alias="Amount")
    bank_amount: Money | None = Field(None, alias="BankAmount")
    reference: str | None = Field(None, alias="Reference")
    is_reconciled: bool | None = Field(None, alias="IsReconciled")
    status: PaymentStatus | None = Field(None, alias="Status")
    payment_type: str | None = Field(None, alias="PaymentType")
    batch_payment_id: UUID | None = Field(None, alias="BatchPaymentID")
    updated_date_utc: XeroDateTime | None = Field(None, alias="UpdatedDateUTC")
    has_validation_errors: bool | None = Field(None, alias="HasValidationErrors")
    status_attribute_string: str | None = Field(None, alias="StatusAttributeString")
    validation_errors: list[ValidationMessage] | None = Field(None, alias="ValidationErrors")
    warnings: list[ValidationMessage] | None = Field(None, alias="Warnings")


class _MoneyDocument(XeroModel):
    """What every money document shares: who, when, lines, totals, payments."""

    contact: Contact | None = Field(None, alias="Contact")
    date: XeroDate | None = Field(None, alias="Date")
    line_amount_types: LineAmountTypes | None = Field(None, alias="LineAmountTypes")
    line_items: list[LineItem] | None = Field(None, alias="LineItems")
    sub_total: Money | None = Field(None, alias="SubTotal")
    total_tax: Money | None = Field(None, alias="TotalTax")
    total: Money | None = Field(None, alias="Total")
    currency_code: str | None = Field(None, alias="CurrencyCode")
    currency_rate: Money | None = Field(None, alias="CurrencyRate")
    reference: str | None = Field(None, alias="Reference")
    payments: list[Payment] | None = Field(None, alias="Payments")
    updated_date_utc: XeroDateTime | None = Field(None, alias="UpdatedDateUTC")


class _Document(_MoneyDocument):
    """Invoices and credit notes: a due date, the document statuses, validation results."""

    due_date: XeroDate | None = Field(None, alias="DueDate")
    status: DocumentStatus | None = Field(None, alias="Status")
    fully_paid_on_date: XeroDate | None = Field(None, alias="FullyPaidOnDate")
    has_errors: bool | None = Field(None, alias="HasErrors")
    status_attribute_string: str | None = Field(None, alias="StatusAttributeString")
    validation_errors: list[ValidationMessage] | None = Field(None, alias="ValidationErrors")
    warnings: list[ValidationMessage] | None = Field(None, alias="Warnings")


class Invoice(_Document):
    """A sales invoice (ACCREC) or bill (ACCPAY)."""

    invoice_id: UUID | None = Field(None, alias="InvoiceID")
    type: InvoiceType | None = Field(None, alias="Type")
    invoice_number: str | None = Field(None, alias="InvoiceNumber", max_length=255)
    url: str | None = Field(None, alias="Url")
    sent_to_contact: bool | None = Field(None, alias="SentToContact")
    total_discount: Money | None = Field(None, alias="TotalDiscount")
    amount_due: Money | None = Field(None, alias="AmountDue")
    amount_paid: Money | None = Field(None, alias="AmountPaid")
    amount_credited: Money | None = Field(None, alias="AmountCredited")
    prepayments: list[Prepayment] | None = Field(None, alias="Prepayments")
    overpayments: list[Overpayment] | None = Field(None, alias="Overpayments")
    credit_notes: list[CreditNote] | None = Field(None, alias="CreditNotes")


class CreditNote(_Document):
    """A credit note, possibly allocated to invoices."""

    credit_note_id: UUID | None = Field(None, alias="CreditNoteID")
    credit_note_number: str | None = Field(None, alias="CreditNoteNumber")
    type: CreditNoteType | None = Field(None, alias="Type")
    remaining_credit: Money | None = Field(None, alias="RemainingCredit")
    applied_amount: Money | None = Field(None, alias="AppliedAmount")
    allocations: list[Allocation] | None = Field(None, alias="Allocations")


class _HeldCredit(_MoneyDocument):
    """What overpayments and prepayments share: money held as credit for a contact."""

    status: CreditStatus | None = Field(None, alias="Status")
    remaining_credit: Money | None = Field(None, alias="RemainingCredit")
    applied_amount: Money | None = Field(None, alias="AppliedAmount")
    allocations: list[Allocation] | None = Field(None, alias="Allocations")


class Overpayment(_HeldCredit):
    """Money received beyond what was owed, held as credit for the contact."""

    overpayment_id: UUID | None = Field(None, alias="OverpaymentID")
    type: OverpaymentType | None = Field(None, alias="Type")


class Prepayment(_HeldCredit):
    """Money received before an invoice exists, held as credit for the contact."""

    prepayment_id: UUID | None = Field(None, alias="PrepaymentID")
    type: PrepaymentType | None = Field(None, alias="Type")
    invoice_number: str | None = Field(None, alias="InvoiceNumber")


for _model in (
    Allocation,
    Payment,
    _MoneyDocument,
    _Document,
    Invoice,
    CreditNote,
    _HeldCredit,
    Overpayment,
    Prepayment,
):
    _model.model_rebuild()
