"""Xero Accounting API models (pydantic v2): import them from here.

Attributes are snake_case; aliases are Xero's exact names (ContactID, UpdatedDateUTC, …). Money is
`Decimal` in Python and a JSON number on the wire; dates use `xerowatch.xero.dates`. Unknown
fields in Xero's answers are ignored and unknown enum values parse as members that are not
`known`, so a new Xero field or status never breaks parsing. `to_xero()` gives
the JSON body Xero expects.
"""

from __future__ import annotations

from xerowatch.xero.models_base import (
    Money,
    OnlineInvoice,
    Pagination,
    ValidationMessage,
    XeroEnum,
    XeroModel,
    money_to_json,
    unknown_enum_values,
)
from xerowatch.xero.models_contact import (
    Address,
    AddressType,
    Contact,
    ContactStatus,
    Phone,
    PhoneType,
)
from xerowatch.xero.models_transactions import (
    Allocation,
    CreditNote,
    CreditNoteType,
    CreditStatus,
    DocumentStatus,
    Invoice,
    InvoiceType,
    LineAmountTypes,
    LineItem,
    Overpayment,
    OverpaymentType,
    Payment,
    PaymentStatus,
    Prepayment,
    PrepaymentType,
)

__all__ = [
    "Address",
    "AddressType",
    "Allocation",
    "Contact",
    "ContactStatus",
    "CreditNote",
    "CreditNoteType",
    "CreditStatus",
    "DocumentStatus",
    "Invoice",
    "InvoiceType",
    "LineAmountTypes",
    "LineItem",
    "Money",
    "OnlineInvoice",
    "Overpayment",
    "OverpaymentType",
    "Pagination",
    "Payment",
    "PaymentStatus",
    "Phone",
    "PhoneType",
    "Prepayment",
    "PrepaymentType",
    "ValidationMessage",
    "XeroEnum",
    "XeroModel",
    "money_to_json",
    "unknown_enum_values",
]
