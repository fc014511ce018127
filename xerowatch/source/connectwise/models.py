"""ConnectWise records xerowatch reads, parsed leniently (new fields are not a breaking change).

Field names are ConnectWise's JSON names (camelCase), given as aliases; unknown fields are
ignored, as ConnectWise's change policy says adding fields is not breaking.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class CwModel(BaseModel):
    """A ConnectWise record: populated by JSON name, unknown fields ignored, immutable."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)


class RecordInfo(CwModel):
    """`_info`: when and by whom a record was last changed."""

    last_updated: dt.datetime | None = Field(None, alias="lastUpdated")
    date_entered: dt.datetime | None = Field(None, alias="dateEntered")

    @field_validator("last_updated", "date_entered")
    @classmethod
    def _utc(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)  # ConnectWise sends these in UTC ("Z")
        return value


class Reference(CwModel):
    """A `{id, identifier, name}` reference to another record."""

    id: int | None = None
    identifier: str | None = None
    name: str | None = None


class UnpostedInvoice(CwModel):
    """An invoice waiting in Finance > Accounting Interface (`UnpostedInvoice`)."""

    id: int
    invoice_number: str = Field("", alias="invoiceNumber")
    invoice_type: str = Field("Standard", alias="invoiceType")
    location_id: int | None = Field(None, alias="locationId")
    company: Reference | None = None
    bill_to_company: Reference | None = Field(None, alias="billToCompany")
    invoice_date: dt.datetime | None = Field(None, alias="invoiceDate")
    due_date: dt.datetime | None = Field(None, alias="dueDate")
    currency: Reference | None = None
    sub_total: Decimal | None = Field(None, alias="subTotal")
    total: Decimal | None = None
    sales_tax_amount: Decimal | None = Field(None, alias="salesTaxAmount")
    info: RecordInfo | None = Field(None, alias="_info")


class GLCustomer(CwModel):
    """`GLExport.customers[]`: the customer an exported invoice bills."""

    company: Reference
    account_number: str | None = Field(None, alias="accountNumber")
    billing_terms: str | None = Field(None, alias="billingTerms")
    due_days: int | None = Field(None, alias="dueDays")
    tax_code: str | None = Field(None, alias="taxCode")
    currency: str | None = None


class GLInvoiceLine(CwModel):
    """`GLExport.transactions[].detail[]`: one GL line of an invoice (credits are negative)."""

    id: str | int | None = None
    gl_type_id: str = Field("", alias="glTypeId")
    account_number: str | None = Field(None, alias="accountNumber")
    gl_class: str | None = Field(None, alias="glClass")
    description: str | None = None
    memo: str | None = None
    quantity: Decimal = Decimal("0")
    total: Decimal = Decimal("0")
    item: Reference | None = None
    item_price: Decimal | None = Field(None, alias="itemPrice")
    item_cost: Decimal | None = Field(None, alias="itemCost")
    cost: Decimal | None = None
    """The line's extended cost (cost of sale), for product lines."""
    cost_account: str | None = Field(None, alias="costAccountNumber")
    inventory_account: str | None = Field(None, alias="inventoryAccountNumber")
    unit_of_measure: Reference | None = Field(None, alias="unitOfMeasure")
    time_entry: int | None = Field(None, alias="timeEntry")
    taxable_flag: bool = Field(False, alias="taxableFlag")
    tax_code: str | None = Field(None, alias="taxCode")
    tax_note: str | None = Field(None, alias="taxNote")


class GLInvoice(CwModel):
    """`GLExport.transactions[]`: an invoice header as the accounting export sends it."""

    id: str | int
    gl_type_id: str = Field("AR", alias="glTypeId")
    document_date: dt.datetime | None = Field(None, alias="documentDate")
    document_number: str = Field("", alias="documentNumber")
    document_type: str = Field("INVOICE", alias="documentType")
    memo: str | None = None
    description: str | None = None
    company: Reference | None = None
    account_number: str | None = Field(None, alias="accountNumber")
    billing_terms: str | None = Field(None, alias="billingTerms")
    due_days: int | None = Field(None, alias="dueDays")
    due_date: dt.datetime | None = Field(None, alias="dueDate")
    purchase_order: str | None = Field(None, alias="purchaseOrder")
    gl_entry_ids: str = Field("", alias="glEntryIds")
    currency: str | None = None
    total: Decimal = Decimal("0")
    sales_tax: Decimal | None = Field(None, alias="salesTax")
    tax_code: str | None = Field(None, alias="taxCode")
    detail: tuple[GLInvoiceLine, ...] = ()

    @property
    def entry_ids(self) -> tuple[str, ...]:
        """The GL entry record ids a batch needs to mark this invoice posted."""
        return tuple(part.strip() for part in self.gl_entry_ids.split(",") if part.strip())


class GLExport(CwModel):
    """The answer of `POST /finance/accounting/export` and `…/batches` (invoice parts)."""

    customers: tuple[GLCustomer, ...] = ()
    transactions: tuple[GLInvoice, ...] = ()


class Company(CwModel):
    """`/company/companies/{id}`: what a Xero contact is built from."""

    id: int
    identifier: str = ""
    name: str = ""
    account_number: str | None = Field(None, alias="accountNumber")
    address_line1: str | None = Field(None, alias="addressLine1")
    address_line2: str | None = Field(None, alias="addressLine2")
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: Reference | None = None
    phone_number: str | None = Field(None, alias="phoneNumber")
    website: str | None = None
    tax_identifier: str | None = Field(None, alias="taxIdentifier")
    invoice_to_email_address: str | None = Field(None, alias="invoiceToEmailAddress")
    default_contact: Reference | None = Field(None, alias="defaultContact")
    billing_contact: Reference | None = Field(None, alias="billingContact")
    deleted_flag: bool = Field(False, alias="deletedFlag")
    info: RecordInfo | None = Field(None, alias="_info")


class CommunicationItem(CwModel):
    """A contact's email or phone entry."""

    type: Reference | None = None
    value: str = ""
    default_flag: bool = Field(False, alias="defaultFlag")
    communication_type: str = Field("", alias="communicationType")


class CompanyContact(CwModel):
    """`/company/contacts/{id}`: a person at a company (primary or billing contact)."""

    id: int
    first_name: str | None = Field(None, alias="firstName")
    last_name: str | None = Field(None, alias="lastName")
    communication_items: tuple[CommunicationItem, ...] = Field((), alias="communicationItems")

    @property
    def email(self) -> str | None:
        """The default email (or the first one)."""
        emails = [
            c for c in self.communication_items if c.communication_type == "Email" and c.value
        ]
        chosen = next((c for c in emails if c.default_flag), emails[0] if emails else None)
        return chosen.value if chosen else None


class InvoicePayment(CwModel):
    """`InvoicePayment`: a payment applied to an invoice (`/finance/invoices/{id}/payments`)."""

    id: int | None = None
    type: str | None = None
    amount: Decimal = Decimal("0")
    payment_date: dt.datetime | None = Field(None, alias="paymentDate")
