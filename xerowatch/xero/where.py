"""Safe `where` expressions for Xero list calls.

Xero parses `where` with .NET Dynamic LINQ: its QueryParseException messages ("No property or
field 'Bat' exists in type 'Contact'", "Character literal must contain exactly one character")
are that parser's own. In a Dynamic LINQ string literal the only escape is a doubled quote
(`"O""Brien"` is `O"Brien`); the tokenizer ends the literal at a quote that is not followed by
another quote. Backslashes are plain characters in the classic parser but an escape in its
successor (System.Linq.Dynamic.Core), so the same text would mean different things to the two
dialects — a value containing `\\` is refused rather than guessed at. Control characters and
line breaks are refused too. With those rules every accepted value is exactly one literal in
either dialect and can neither break nor widen the query (Xero-Java#347, xeroizer#160).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from uuid import UUID

_FIELD = re.compile(r"^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*$")
_REFUSED_CATEGORIES = {"Cc", "Zl", "Zp"}  # controls (incl. \n, \r, \t) and line/paragraph breaks

Scalar = str | bool | int | Decimal | UUID | date | Enum


class WhereError(ValueError):
    """A field name or value that cannot be placed in a `where` expression safely."""


def quote_literal(value: str) -> str:
    """Return `value` as one double-quoted Dynamic LINQ string literal."""
    for char in value:
        if char == "\\":
            raise WhereError(
                "a backslash cannot be matched safely in a Xero where filter; "
                "look the record up by ID or ContactNumber instead"
            )
        if unicodedata.category(char) in _REFUSED_CATEGORIES:
            raise WhereError(f"control character U+{ord(char):04X} is not allowed in a where value")
    return '"' + value.replace('"', '""') + '"'


def _field(name: str) -> str:
    if not _FIELD.match(name):
        raise WhereError(f"not a Xero field name: {name!r}")
    return name


def render_value(value: Scalar) -> str:
    """Render a Python value as a Dynamic LINQ constant."""
    if isinstance(value, bool):  # before int: bool is an int subclass
        return "true" if value else "false"
    if isinstance(value, Enum):
        return quote_literal(str(value.value))
    if isinstance(value, str):
        return quote_literal(value)
    if isinstance(value, UUID):
        return f'Guid("{value}")'
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise WhereError(f"not a finite number: {value}")
        return format(value, "f")
    if isinstance(value, date):
        return f"DateTime({value.year},{value.month:02d},{value.day:02d})"
    raise WhereError(f"unsupported where value type: {type(value).__name__}")


@dataclass(frozen=True)
class Where:
    """A `where` expression; combine with `&` and `|` (each side is parenthesised)."""

    expression: str

    def __and__(self, other: Where) -> Where:
        """Both conditions."""
        return Where(f"({self.expression}) AND ({other.expression})")

    def __or__(self, other: Where) -> Where:
        """Either condition."""
        return Where(f"({self.expression}) OR ({other.expression})")

    def __str__(self) -> str:
        """The expression text, as sent in `where=`."""
        return self.expression


def _compare(name: str, operator: str, value: Scalar) -> Where:
    return Where(f"{_field(name)}{operator}{render_value(value)}")


def eq(name: str, value: Scalar) -> Where:
    """`Field==value`."""
    return _compare(name, "==", value)


def ne(name: str, value: Scalar) -> Where:
    """`Field!=value`."""
    return _compare(name, "!=", value)


def gt(name: str, value: Scalar) -> Where:
    """`Field>value` (numbers and dates)."""
    return _compare(name, ">", value)


def ge(name: str, value: Scalar) -> Where:
    """`Field>=value` (numbers and dates)."""
    return _compare(name, ">=", value)


def lt(name: str, value: Scalar) -> Where:
    """`Field<value` (numbers and dates)."""
    return _compare(name, "<", value)


def le(name: str, value: Scalar) -> Where:
    """`Field<=value` (numbers and dates)."""
    return _compare(name, "<=", value)


def is_not_null(name: str) -> Where:
    """`Field!=null`: guard optional fields before string methods, as Xero advises."""
    return Where(f"{_field(name)}!=null")


def starts_with(name: str, value: str) -> Where:
    """`Field.StartsWith("value")`."""
    return Where(f"{_field(name)}.StartsWith({quote_literal(value)})")


def contains(name: str, value: str) -> Where:
    """`Field.Contains("value")`."""
    return Where(f"{_field(name)}.Contains({quote_literal(value)})")


def ends_with(name: str, value: str) -> Where:
    """`Field.EndsWith("value")`."""
    return Where(f"{_field(name)}.EndsWith({quote_literal(value)})")
