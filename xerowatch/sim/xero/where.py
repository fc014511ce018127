"""The simulator's own parser and evaluator for the subset of Xero `where` filters it supports.

Grammar (Xero's filters are Dynamic-LINQ-like):
    expr       := and_expr (("OR" | "||") and_expr)*
    and_expr   := unary (("AND" | "&&") unary)*
    unary      := ("NOT" | "!") unary | "(" expr ")" | predicate
    predicate  := field "." Method "(" string ")" | field (op literal)?
    literal    := string | number | true | false | null | Guid("…") | DateTime(y, m, d[, h, mi, s])
String literals are double-quoted; inside them only `\\"` and `\\\\` are escapes, so a quoted value
can never end the literal early and widen the query. String comparisons ignore case.
"""

from __future__ import annotations

import operator
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from xerowatch.sim.xero.dates import SimDateError, parse_instant

FieldType = Literal["string", "guid", "date", "datetime", "number", "bool"]
Getter = Callable[[Mapping[str, Any], str], Any]

_COMPARE_OPS = ("==", "!=", ">=", "<=", ">", "<")
_METHODS = {"startswith": "StartsWith", "endswith": "EndsWith", "contains": "Contains"}


class WhereError(ValueError):
    """A `where` expression the simulator cannot parse or that names an unknown field."""


@dataclass(frozen=True)
class Guid:
    """A `Guid("…")` literal."""

    value: str


@dataclass(frozen=True)
class Comparison:
    """`Field op literal`."""

    field: str
    op: str
    value: Any


@dataclass(frozen=True)
class MethodCall:
    """`Field.StartsWith("…")` and friends."""

    field: str
    method: str
    argument: str


@dataclass(frozen=True)
class Not:
    """Negation."""

    operand: Node


@dataclass(frozen=True)
class And:
    """Conjunction."""

    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    """Disjunction."""

    operands: tuple[Node, ...]


Node = Comparison | MethodCall | Not | And | Or


def quote(value: str) -> str:
    """Quote a value as a `where` string literal (the escaping this parser accepts)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True)
class _Token:
    kind: Literal["string", "number", "ident", "op", "end"]
    text: str
    value: Any
    pos: int


def _read_string(text: str, start: int) -> tuple[str, int]:
    chars: list[str] = []
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == "\\":
            nxt = text[i + 1] if i + 1 < len(text) else ""
            if nxt not in ('"', "\\"):
                raise WhereError(f'unsupported escape at position {i} (only \\" and \\\\)')
            chars.append(nxt)
            i += 2
        elif char == '"':
            return "".join(chars), i + 1
        else:
            chars.append(char)
            i += 1
    raise WhereError(f"unterminated string starting at position {start}")


_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SYMBOLS = ("==", "!=", ">=", "<=", "&&", "||", ">", "<", "=", "!", "(", ")", ".", ",")


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
        elif char == '"':
            value, end = _read_string(text, i)
            tokens.append(_Token("string", text[i:end], value, i))
            i = end
        elif (number := _NUMBER.match(text, i)) and (char != "-" or not _follows_operand(tokens)):
            tokens.append(_Token("number", number.group(), Decimal(number.group()), i))
            i = number.end()
        elif ident := _IDENT.match(text, i):
            tokens.append(_Token("ident", ident.group(), ident.group(), i))
            i = ident.end()
        else:
            symbol = next((s for s in _SYMBOLS if text.startswith(s, i)), None)
            if symbol is None:
                raise WhereError(f"unexpected character {char!r} at position {i}")
            tokens.append(_Token("op", symbol, "==" if symbol == "=" else symbol, i))
            i += len(symbol)
    tokens.append(_Token("end", "", None, len(text)))
    return tokens


def _follows_operand(tokens: list[_Token]) -> bool:
    return bool(tokens) and (tokens[-1].kind != "op" or tokens[-1].text == ")")


class _Parser:
    def __init__(self, text: str, fields: Mapping[str, FieldType]) -> None:
        self.tokens = _tokenize(text)
        self.pos = 0
        self.fields = {name.lower(): name for name in fields}
        self.types = fields

    def peek(self) -> _Token:
        return self.tokens[self.pos]

    def _lookahead(self, distance: int) -> _Token:
        return self.tokens[min(self.pos + distance, len(self.tokens) - 1)]

    def take(self) -> _Token:
        token = self.tokens[self.pos]
        self.pos = min(self.pos + 1, len(self.tokens) - 1)
        return token

    def expect(self, text: str) -> None:
        token = self.take()
        if token.text != text:
            raise WhereError(f"expected {text!r} at position {token.pos}, found {token.text!r}")

    def is_word(self, *words: str) -> bool:
        token = self.peek()
        return token.kind == "ident" and token.text.upper() in words

    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise WhereError("empty where expression")
        node = self.expr()
        if self.peek().kind != "end":
            token = self.peek()
            raise WhereError(f"unexpected {token.text!r} at position {token.pos}")
        return node

    def expr(self) -> Node:
        operands = [self.and_expr()]
        while self.is_word("OR") or self.peek().text == "||":
            self.take()
            operands.append(self.and_expr())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def and_expr(self) -> Node:
        operands = [self.unary()]
        while self.is_word("AND") or self.peek().text == "&&":
            self.take()
            operands.append(self.unary())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def unary(self) -> Node:
        if self.is_word("NOT") or self.peek().text == "!":
            self.take()
            return Not(self.unary())
        if self.peek().text == "(":
            self.take()
            node = self.expr()
            self.expect(")")
            return node
        return self.predicate()

    def field(self) -> str:
        token = self.take()
        if token.kind != "ident":
            raise WhereError(f"expected a field name at position {token.pos}")
        parts = [token.text]
        while self.peek().text == "." and self._lookahead(2).text != "(":
            self.take()
            parts.append(self.take().text)
        name = ".".join(parts)
        canonical = self.fields.get(name.lower())
        if canonical is None:
            raise WhereError(f"No property or field '{name}' exists in this collection")
        return canonical

    def predicate(self) -> Node:
        name = self.field()
        if self.peek().text == ".":
            self.take()
            method = _METHODS.get(self.take().text.lower())
            if method is None:
                raise WhereError(f"unsupported method after {name}")
            if self.types[name] != "string":
                raise WhereError(f"{method} needs a text field, {name} is not")
            self.expect("(")
            argument = self.take()
            if argument.kind != "string":
                raise WhereError(f"{method} needs a quoted string at position {argument.pos}")
            self.expect(")")
            return MethodCall(name, method, argument.value)
        if self.peek().kind == "op" and self.peek().value in _COMPARE_OPS:
            op = self.take().value
            return Comparison(name, op, self.literal(name))
        if self.types[name] == "bool":
            return Comparison(name, "==", True)
        raise WhereError(f"expected a comparison after {name}")

    def literal(self, name: str) -> Any:
        token = self.take()
        if token.kind in ("string", "number"):
            value: Any = token.value
        elif token.kind == "ident" and token.text.lower() in ("true", "false"):
            value = token.text.lower() == "true"
        elif token.kind == "ident" and token.text.lower() == "null":
            value = None
        elif token.kind == "ident" and token.text.lower() == "guid":
            self.expect("(")
            inner = self.take()
            if inner.kind != "string":
                raise WhereError(f"Guid needs a quoted value at position {inner.pos}")
            self.expect(")")
            value = Guid(_guid(inner.value))
        elif token.kind == "ident" and token.text.lower() == "datetime":
            value = self.datetime_args()
        else:
            raise WhereError(f"expected a value at position {token.pos}, found {token.text!r}")
        return _coerce(name, self.types[name], value)

    def datetime_args(self) -> datetime:
        self.expect("(")
        numbers = [self._int()]
        while self.peek().text == ",":
            self.take()
            numbers.append(self._int())
        self.expect(")")
        if len(numbers) not in (3, 6):
            raise WhereError("DateTime takes (year, month, day[, hour, minute, second])")
        try:
            year, month, day, *clock = numbers
            hour, minute, second = clock or (0, 0, 0)
            return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
        except ValueError as exc:
            raise WhereError(f"invalid DateTime: {exc}") from None

    def _int(self) -> int:
        token = self.take()
        if token.kind != "number" or "." in token.text:
            raise WhereError(f"expected a whole number at position {token.pos}")
        return int(token.value)


def _guid(text: str) -> str:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise WhereError(f"not a GUID: {text!r}") from None


def _coerce(name: str, kind: FieldType, value: Any) -> Any:
    if value is None:
        return None
    ok = {
        "string": isinstance(value, str),
        "guid": isinstance(value, Guid | str),
        "date": isinstance(value, datetime),
        "datetime": isinstance(value, datetime),
        "number": isinstance(value, Decimal),
        "bool": isinstance(value, bool),
    }[kind]
    if not ok:
        raise WhereError(f"Operator incompatible with operand types: {name} is {kind}")
    if kind == "guid":
        return value.value if isinstance(value, Guid) else _guid(value)
    return value


def parse_where(text: str, fields: Mapping[str, FieldType]) -> Node:
    """Parse a `where` expression over the given fields (name → type); raises WhereError."""
    return _Parser(text, fields).parse()


def dotted_get(record: Mapping[str, Any], path: str) -> Any:
    """Read `Contact.ContactID`-style paths from a rendered record."""
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _field_value(kind: FieldType, raw: Any) -> Any:
    if raw is None or raw == "":
        return None
    if kind == "string":
        return str(raw).casefold()
    if kind == "guid":
        return str(raw).lower()
    if kind in ("date", "datetime"):
        try:
            return parse_instant(raw)
        except SimDateError:
            return None
    if kind == "number":
        try:
            return Decimal(str(raw))
        except InvalidOperation:
            return None
    return bool(raw)


_ORDERING: dict[str, Callable[[Any, Any], Any]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


def _compare(op: str, left: Any, right: Any) -> bool:
    if op == "==":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if left is None or right is None:
        return False
    return bool(_ORDERING[op](left, right))


def evaluate(
    node: Node,
    record: Mapping[str, Any],
    fields: Mapping[str, FieldType],
    get: Getter = dotted_get,
) -> bool:
    """Whether a rendered record satisfies the parsed expression."""
    if isinstance(node, Or):
        return any(evaluate(item, record, fields, get) for item in node.operands)
    if isinstance(node, And):
        return all(evaluate(item, record, fields, get) for item in node.operands)
    if isinstance(node, Not):
        return not evaluate(node.operand, record, fields, get)
    kind = fields[node.field]
    left = _field_value(kind, get(record, node.field))
    if isinstance(node, MethodCall):
        if left is None:
            return False
        argument = node.argument.casefold()
        if node.method == "StartsWith":
            return bool(left.startswith(argument))
        if node.method == "EndsWith":
            return bool(left.endswith(argument))
        return argument in left
    right = node.value
    if kind == "string" and isinstance(right, str):
        right = right.casefold()
    if kind == "date" and isinstance(right, datetime) and left is not None:
        left, right = left.date(), right.date()
    return _compare(node.op, left, right)
