"""Shared pieces of the Xero models: the base class, money, and small common shapes."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer

log = logging.getLogger(__name__)

# Integers up to 2**53 are exact as JSON numbers in every parser (IEEE-754 doubles).
_EXACT_INT_LIMIT = 2**53

_UNKNOWN_KEPT = 256
"""How many distinct unknown enum values are remembered (and logged) per process."""
_unknown_values: dict[str, set[str]] = {}


class XeroEnum(StrEnum):
    """Base of Xero's enums: a value the spec does not list parses as an unknown member.

    Xero adds enum values without notice; refusing one would fail the whole page it is on, so
    it becomes a member that equals its string, is not `known`, and is logged once. Callers
    that compare with known members simply see "none of these"; writes refuse unknown members.
    """

    @classmethod
    def _missing_(cls, value: object) -> Self | None:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value
        member._value_ = value
        _remember_unknown(cls.__name__, value)
        return member

    @property
    def known(self) -> bool:
        """True for the values the spec lists, False for one Xero added since."""
        return self._value_ in type(self)._value2member_map_


def _remember_unknown(enum_name: str, value: str) -> None:
    seen = _unknown_values.setdefault(enum_name, set())
    if value in seen or sum(len(values) for values in _unknown_values.values()) >= _UNKNOWN_KEPT:
        return
    seen.add(value)
    log.warning(
        "Xero sent %s %r, which the spec does not list; treated as unknown", enum_name, value
    )


def unknown_enum_values() -> dict[str, frozenset[str]]:
    """Return the unknown enum values seen so far in this process, by enum name."""
    return {name: frozenset(values) for name, values in _unknown_values.items() if values}


def _first_unknown(values: Iterable[Any]) -> XeroEnum | None:
    for value in values:
        if isinstance(value, XeroEnum) and not value.known:
            return value
        if isinstance(value, BaseModel):
            found = _first_unknown(value.__dict__.values())
        elif isinstance(value, list | tuple):
            found = _first_unknown(value)
        else:
            continue
        if found is not None:
            return found
    return None


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
        """Return the JSON body for a write: like `to_xero` without the response-only fields.

        Raises ValueError if the body would carry an enum value the spec does not list.
        """
        sent = (v for name, v in self.__dict__.items() if name not in self.response_only)
        unknown = _first_unknown(sent)
        if unknown is not None:
            raise ValueError(
                f"{type(unknown).__name__} {unknown.value!r} is not a value Xero takes"
            )
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
