"""What Xero answers for the documents xerowatch writes: purchase orders, manual journals,
tracking categories (spec `PurchaseOrder`, `ManualJournal`, `TrackingCategory`)."""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

from xerowatch.xero.dates import XeroDate, XeroDateTime
from xerowatch.xero.models_base import Money, ValidationMessage, XeroEnum, XeroModel
from xerowatch.xero.models_contact import Contact


class TrackingStatus(XeroEnum):
    """Status of a tracking category or option."""

    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"
    DELETED = "DELETED"


class _Answer(XeroModel):
    """Validation results Xero attaches to each element of a batch answer."""

    status_attribute_string: str | None = Field(None, alias="StatusAttributeString")
    validation_errors: list[ValidationMessage] | None = Field(None, alias="ValidationErrors")
    warnings: list[ValidationMessage] | None = Field(None, alias="Warnings")


class SavedPurchaseOrder(_Answer):
    """A purchase order as Xero returns it."""

    purchase_order_id: UUID | None = Field(None, alias="PurchaseOrderID")
    purchase_order_number: str | None = Field(None, alias="PurchaseOrderNumber")
    contact: Contact | None = Field(None, alias="Contact")
    date: XeroDate | None = Field(None, alias="Date")
    status: str | None = Field(None, alias="Status")
    line_amount_types: str | None = Field(None, alias="LineAmountTypes")
    sub_total: Money | None = Field(None, alias="SubTotal")
    total_tax: Money | None = Field(None, alias="TotalTax")
    total: Money | None = Field(None, alias="Total")
    updated_date_utc: XeroDateTime | None = Field(None, alias="UpdatedDateUTC")


class SavedManualJournal(_Answer):
    """A manual journal as Xero returns it."""

    manual_journal_id: UUID | None = Field(None, alias="ManualJournalID")
    narration: str | None = Field(None, alias="Narration")
    date: XeroDate | None = Field(None, alias="Date")
    status: str | None = Field(None, alias="Status")
    updated_date_utc: XeroDateTime | None = Field(None, alias="UpdatedDateUTC")


class TrackingOption(XeroModel):
    """One option of a tracking category."""

    tracking_option_id: UUID | None = Field(None, alias="TrackingOptionID")
    name: str = Field("", alias="Name")
    status: TrackingStatus | None = Field(None, alias="Status")


class TrackingCategory(XeroModel):
    """A tracking category with its options."""

    tracking_category_id: UUID | None = Field(None, alias="TrackingCategoryID")
    name: str = Field("", alias="Name")
    status: TrackingStatus | None = Field(None, alias="Status")
    options: list[TrackingOption] | None = Field(None, alias="Options")
