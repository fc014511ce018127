"""A small reader for Xero `where` filters: comparisons joined by AND / OR, with parentheses.

Enough of the Dynamic LINQ dialect for the filters a sync client sends:
`(Date>=DateTime(2026,01,01)) AND (Date<DateTime(2026,02,01))`, `Status=="PAID"`,
`Contact.ContactID==Guid("…")`, `true`/`false`/`null`, numbers. String literals escape a quote
by doubling it. An unknown field or anything unreadable is a QueryParseException, as at Xero.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

Record = Mapping[str, Any]
Predicate = Callable[[Record], bool]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"]|"")*")
      | (?P<op>==|!=|>=|<=|>|<|&&|\|\||[(),.])
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
}


class WhereParseError(ValueError):
    """The filter cannot be read (Xero answers 400 QueryParseException)."""


def _tokens(text: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise WhereParseError(f"Syntax error at position {position} in {text!r}")
        kind = match.lastgroup or ""
        found.append((kind, match.group(kind)))
        position = match.end()
    return found


class _Parser:
    def __init__(self, text: str, fields: frozenset[str], type_name: str) -> None:
        self._tokens = _tokens(text)
        self._at = 0
        self._fields = fields
        self._type = type_name

    def parse(self) -> Predicate:
        predicate = self._or()
        if self._at != len(self._tokens):
            raise WhereParseError(f"Syntax error near {self._tokens[self._at][1]!r}")
        return predicate

    def _peek(self) -> str | None:
        return self._tokens[self._at][1] if self._at < len(self._tokens) else None

    def _take(self, expected: str | None = None) -> tuple[str, str]:
        if self._at >= len(self._tokens):
            raise WhereParseError("Unexpected end of expression")
        token = self._tokens[self._at]
        if expected is not None and token[1].upper() != expected.upper():
            raise WhereParseError(f"'{expected}' expected, found {token[1]!r}")
        self._at += 1
        return token

    def _or(self) -> Predicate:
        parts = [self._and()]
        while (self._peek() or "").upper() in ("OR", "||"):
            self._take()
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else lambda r: any(p(r) for p in parts)

    def _and(self) -> Predicate:
        parts = [self._factor()]
        while (self._peek() or "").upper() in ("AND", "&&"):
            self._take()
            parts.append(self._factor())
        return parts[0] if len(parts) == 1 else lambda r: all(p(r) for p in parts)

    def _factor(self) -> Predicate:
        if self._peek() == "(":
            self._take("(")
            inner = self._or()
            self._take(")")
            return inner
        path = self._field()
        kind, operator = self._take()
        if kind != "op" or operator not in _COMPARE:
            raise WhereParseError(f"Comparison operator expected after {'.'.join(path)}")
        value = self._value()
        compare = _COMPARE[operator]

        def predicate(record: Record) -> bool:
            left = _lookup(record, path)
            if left is None or value is None:
                return compare(left, value) if operator in ("==", "!=") else False
            left, right = _align(left, value)
            return bool(compare(left, right))

        return predicate

    def _field(self) -> tuple[str, ...]:
        kind, name = self._take()
        if kind != "word":
            raise WhereParseError(f"Field name expected, found {name!r}")
        path = [name]
        while self._peek() == ".":
            self._take(".")
            path.append(self._take()[1])
        if path[0] not in self._fields:
            raise WhereParseError(f"No property or field '{path[0]}' exists in type '{self._type}'")
        return tuple(path)

    def _value(self) -> Any:
        kind, text = self._take()
        if kind == "string":
            return text[1:-1].replace('""', '"')
        if kind == "number":
            return Decimal(text)
        word = text.lower()
        if word in ("true", "false"):
            return word == "true"
        if word == "null":
            return None
        if word == "datetime":
            self._take("(")
            numbers = [int(self._number())]
            while self._peek() == ",":
                self._take(",")
                numbers.append(int(self._number()))
            self._take(")")
            if len(numbers) not in (3, 6):
                raise WhereParseError("DateTime takes (year,month,day[,hour,minute,second])")
            try:
                year, month, day, *clock = numbers
                hour, minute, second = clock or (0, 0, 0)
                return datetime(year, month, day, hour, minute, second)
            except ValueError as exc:
                raise WhereParseError(f"Invalid DateTime: {exc}") from None
        if word == "guid":
            self._take("(")
            literal = self._take()
            self._take(")")
            try:
                return uuid.UUID(literal[1].strip('"'))
            except ValueError:
                raise WhereParseError(f"Invalid Guid {literal[1]}") from None
        raise WhereParseError(f"Value expected, found {text!r}")

    def _number(self) -> str:
        kind, text = self._take()
        if kind != "number":
            raise WhereParseError(f"Number expected, found {text!r}")
        return text


def _lookup(record: Record, path: tuple[str, ...]) -> Any:
    value: Any = record
    for part in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _align(left: Any, right: Any) -> tuple[Any, Any]:
    """Compare like with like: dates as naive date-times, ids as UUIDs, amounts as Decimals."""
    if isinstance(right, datetime):
        if isinstance(left, datetime):
            return left.replace(tzinfo=None), right
        if isinstance(left, date):
            return datetime.combine(left, time()), right
    if isinstance(right, uuid.UUID):
        return uuid.UUID(str(left)), right
    if isinstance(right, Decimal) and isinstance(left, int | float | Decimal):
        return Decimal(str(left)), right
    return left, right


def parse_where(text: str, fields: frozenset[str], type_name: str) -> Predicate:
    """Compile a `where` filter over records whose top-level fields are `fields`."""
    if not text.strip():
        return lambda record: True
    return _Parser(text, fields, type_name).parse()
