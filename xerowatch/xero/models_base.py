"""Shared pieces of the Xero models: the base class, money, and small common shapes."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer

# Integers up to 2**53 are exact as JSON numbers in every parser (IEEE-754 doubles).
_EXACT_INT_LIMIT = 2**53


def _finite(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("money must be a finite number")
    return value


def money_to_json(value: Decimal) -> int | float:
    """Render money as a JSON number, refusing values a double cannot carry exactly."""
    if value == value.to_integral_value() and abs(value) < _EXACT_INT_LIMIT:
        return int(value)
    as_float = float(value)
    # repr() gives the shortest decimal that round-trips, so this compares what Xero will read
    if Decimal(repr(as_float)) != value:
        raise ValueError(f"{value} cannot be sent as a JSON number without losing precision")
    return as_float


Money = Annotated[
    Decimal,
    AfterValidator(_finite),
    PlainSerializer(money_to_json, return_type=int | float, when_used="json"),
]
"""A `Decimal` amount that Xero receives as a JSON number (never a string)."""


class XeroModel(BaseModel):
    """Base of every Xero model: exact Xero aliases, snake_case names, unknown fields ignored."""

    model_config = ConfigDict(
        populate_by_name=True,
        serialize_by_alias=True,
        extra="ignore",
    )

    response_only: ClassVar[frozenset[str]] = frozenset()
    """Fields Xero sets and the spec forbids (readOnly) or ignores in request bodies."""

    def to_xero(self) -> dict[str, Any]:
        """Return the model as Xero's JSON (aliases, numbers, no nulls), e.g. for fixtures."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    def to_xero_write(self) -> dict[str, Any]:
        """Return the JSON body for a write: like `to_xero` without the response-only fields."""
        return self.model_dump(
            mode="json", by_alias=True, exclude_none=True, exclude=set(self.response_only)
        )


class ValidationMessage(XeroModel):
    """One validation or warning message Xero attached to an element."""

    message: str = Field("", alias="Message")


class Pagination(XeroModel):
    """Paging facts Xero returns with paged lists."""

    page: int | None = Field(None, alias="page")
    page_size: int | None = Field(None, alias="pageSize")
    page_count: int | None = Field(None, alias="pageCount")
    item_count: int | None = Field(None, alias="itemCount")


class OnlineInvoice(XeroModel):
    """The customer-facing link to an invoice."""

    online_invoice_url: str | None = Field(None, alias="OnlineInvoiceUrl")
