"""The records the whole program speaks: learners and transactions as the source holds them.

Sources produce them, sync maps them to and from Xero, the store persists them and the
dashboard shows them, so they live below every layer and import nothing from the package.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

TransactionKind = Literal["invoice", "credit_note", "overpayment", "prepayment", "payment"]


def _no_lone_surrogates(value: object) -> object:
    """Unpaired surrogates (JSON can escape them; UTF-8, the store and Xero cannot hold them)
    become U+FFFD, in strings and in tuples or lists of strings."""
    if isinstance(value, str):
        if any("\ud800" <= ch <= "\udfff" for ch in value):
            return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in value)
        return value
    if isinstance(value, tuple | list):
        return type(value)(_no_lone_surrogates(item) for item in value)
    return value


class _SourceText(BaseModel):
    """Source records whose text is always valid Unicode."""

    @model_validator(mode="before")
    @classmethod
    def _valid_unicode(cls, data: object) -> object:
        if isinstance(data, dict):
            return {key: _no_lone_surrogates(value) for key, value in data.items()}
        return data


class SourceAddress(_SourceText):
    """An address as the source holds it; state and country already resolved to text."""

    model_config = ConfigDict(frozen=True)

    lines: tuple[str, ...] = ()
    city: str | None = None
    state: str | None = None
    """State code as the source resolved it (e.g. "NSW"), or the raw unresolvable value."""
    postcode: str | None = None
    country: str | None = None
    """Country name as the source resolved it (e.g. "Australia"), or the raw value."""


class SourceLearner(_SourceText):
    """A learner as last read from the source system."""

    model_config = ConfigDict(frozen=True)

    source_id: str
    """The source's primary key (Wisenet LearnerId)."""
    ref_internal: str
    """RefInternal (Wisenet LearnerNumber): becomes the Xero ContactNumber."""
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    postal_address: SourceAddress | None = None
    street_address: SourceAddress | None = None
    mobile: str | None = None
    phone_home: str | None = None
    phone_work: str | None = None
    sync_to_xero: bool = True
    is_active: bool = True
    modified_at: dt.datetime | None = None
    """Last change in the source, as an aware UTC datetime."""


class SourceLineItem(BaseModel):
    """A transaction line as written back to the source."""

    item_code: str | None = None
    description: str | None = None
    quantity: Decimal | None = None
    unit_amount: Decimal | None = None
    account_code: str | None = None
    tax_type: str | None = None
    tax_amount: Decimal | None = None
    line_amount: Decimal | None = None


class SourcePayment(BaseModel):
    """A payment, allocation or credit applied to a transaction."""

    type: str
    date: dt.date | None = None
    amount: Decimal


class SourceTransaction(BaseModel):
    """A Xero transaction matched to a learner, ready to upsert into the source."""

    xero_id: str
    kind: TransactionKind
    learner_source_id: str
    ref_internal: str
    number: str | None = None
    reference: str | None = None
    xero_type: str | None = None
    status: str
    date: dt.date | None = None
    due_date: dt.date | None = None
    currency: str | None = None
    line_items: list[SourceLineItem] = Field(default_factory=list)
    total: Decimal | None = None
    amount_due: Decimal | None = None
    amount_paid: Decimal | None = None
    amount_credited: Decimal | None = None
    payments: list[SourcePayment] = Field(default_factory=list)
    updated_utc: dt.datetime | None = None
    online_invoice_url: str | None = None
