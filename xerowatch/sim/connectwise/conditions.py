"""The simulator's reading of ConnectWise `conditions`: parse, then test records against them.

Grammar (the subset ConnectWise documents): `field op value`, clauses joined by `and`/`or`
(keywords case-insensitive; `and` binds tighter), grouped with parentheses. Values: "strings",
numbers, true/false/null, [ISO datetimes], ("lists") for `in` / `not in`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

Predicate = Callable[[dict[str, Any]], bool]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"[^"]*")
      | (?P<date>\[[^\]]*\])
      | (?P<op><=|>=|!=|=|<|>)
      | (?P<paren>[()])
      | (?P<comma>,)
      | (?P<word>[A-Za-z0-9_/.\-:+]+)
    )""",
    re.VERBOSE,
)
_WORD_OPS = {"contains", "like", "in", "not"}


class ConditionSyntaxError(ValueError):
    """The conditions string cannot be parsed; the message says where."""


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ConditionSyntaxError(f"unexpected character at {pos}: {text[pos : pos + 10]!r}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


def _value(kind: str, text: str) -> Any:
    if kind == "string":
        return text[1:-1]
    if kind == "date":
        try:
            parsed = dt.datetime.fromisoformat(text[1:-1].replace("Z", "+00:00"))
        except ValueError:
            raise ConditionSyntaxError(f"{text} is not an ISO 8601 datetime") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "null":
        return None
    try:
        return Decimal(text)
    except ArithmeticError:
        raise ConditionSyntaxError(
            f"{text!r} is not a value (strings need double quotes)"
        ) from None


def field_value(record: dict[str, Any], path: str) -> Any:
    """The value at `a/b/c` in a record, or None."""
    current: Any = record
    for part in path.split("/"):
        if not isinstance(current, dict):
            return None
        current = next((v for k, v in current.items() if k.lower() == part.lower()), None)
    return current


def _comparable(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
        except ValueError:
            return value.lower()
    return value


def _compare(op: str, left: Any, right: Any) -> bool:
    if op in ("in", "not in"):
        found = _comparable(left) in [_comparable(r) for r in right]
        return found if op == "in" else not found
    a, b = _comparable(left), _comparable(right)
    if op == "=":
        return bool(a == b)
    if op == "!=":
        return bool(a != b)
    if op in ("contains", "like"):
        needle = str(right).lower().replace("%", "").replace("*", "")
        return isinstance(a, str) and needle in a
    if a is None or b is None or type(a) is not type(b):
        return False
    return bool({"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op])


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise ConditionSyntaxError("the conditions end too early")
        self.pos += 1
        return token

    def expression(self) -> Predicate:
        terms = [self.conjunction()]
        while (token := self.peek()) and token[1].lower() == "or":
            self.take()
            terms.append(self.conjunction())
        return lambda r: any(t(r) for t in terms)

    def conjunction(self) -> Predicate:
        terms = [self.clause()]
        while (token := self.peek()) and token[1].lower() == "and":
            self.take()
            terms.append(self.clause())
        return lambda r: all(t(r) for t in terms)

    def clause(self) -> Predicate:
        kind, text = self.take()
        if kind == "paren" and text == "(":
            inner = self.expression()
            if self.take() != ("paren", ")"):
                raise ConditionSyntaxError("a parenthesis is not closed")
            return inner
        if kind != "word":
            raise ConditionSyntaxError(f"expected a field name, found {text!r}")
        field = text
        op_kind, op = self.take()
        op = op.lower()
        if op_kind == "word" and op == "not":
            if self.take()[1].lower() != "in":
                raise ConditionSyntaxError("'not' must be followed by 'in'")
            op = "not in"
        elif op_kind != "op" and op not in _WORD_OPS:
            raise ConditionSyntaxError(f"{op!r} is not an operator")
        if op in ("in", "not in"):
            values = self.value_list()
            return lambda r: _compare(op, field_value(r, field), values)
        value = _value(*self.take())
        return lambda r: _compare(op, field_value(r, field), value)

    def value_list(self) -> list[Any]:
        if self.take() != ("paren", "("):
            raise ConditionSyntaxError("'in' needs a parenthesised list")
        values: list[Any] = []
        while True:
            values.append(_value(*self.take()))
            kind, text = self.take()
            if (kind, text) == ("paren", ")"):
                return values
            if kind != "comma":
                raise ConditionSyntaxError("list items are separated by commas")


def parse_conditions(text: str) -> Predicate:
    """A predicate for `text`; an empty string matches everything."""
    if not text.strip():
        return lambda _record: True
    parser = _Parser(text)
    predicate = parser.expression()
    extra = parser.peek()
    if extra is not None:
        raise ConditionSyntaxError(f"unexpected {extra[1]!r} after a complete condition")
    return predicate
