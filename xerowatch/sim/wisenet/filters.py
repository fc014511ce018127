"""Wisenet's filter syntax: a plain value, or an operator prefix such as `gt:` or `bt:a,b`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

OPERATORS = ("gt", "lt", "ge", "le", "eq", "ne", "bt", "in", "ni", "ct", "nc")


class FilterError(ValueError):
    """A filter value the simulator (like Wisenet) rejects with HTTP 400."""


@dataclass(frozen=True)
class Filter:
    """One parsed filter: an operator and its argument(s) as text."""

    op: str
    args: tuple[str, ...]

    @classmethod
    def parse(cls, raw: str) -> Filter:
        """Parse `op:value` (or a bare value, meaning eq)."""
        head, sep, rest = raw.partition(":")
        if sep and head.lower() in OPERATORS:
            op, value = head.lower(), rest
        else:
            op, value = "eq", raw
        args = (
            tuple(part.strip() for part in value.split(","))
            if op in ("bt", "in", "ni")
            else (value,)
        )
        if op == "bt" and len(args) != 2:
            raise FilterError(f"bt: needs two comma-separated values, got {raw!r}")
        return cls(op, args)

    def matches(self, value: Any, kind: str) -> bool:
        """Does `value` (a field of kind text, int, bool or timestamp) pass this filter?"""
        if value is None:
            return self.op in ("ne", "ni", "nc")
        convert = _CONVERTERS[kind]
        try:
            left = convert(value)
            args = [convert(arg) for arg in self.args]
        except ValueError as exc:
            raise FilterError(str(exc)) from None
        if self.op in ("ct", "nc"):
            found = str(args[0]).lower() in str(left).lower()
            return found if self.op == "ct" else not found
        if self.op == "in":
            return left in args
        if self.op == "ni":
            return left not in args
        if self.op == "bt":
            return bool(args[0] <= left <= args[1])
        return bool(_COMPARE[self.op](left, args[0]))


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise ValueError(f"not a boolean: {value!r}")


def _timestamp(value: Any) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"not a timestamp: {value!r}") from None
    return parsed.replace(tzinfo=None)  # Wisenet compares zone-less local times


def _text(value: Any) -> str:
    return str(value).lower()


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "text": _text,
    "int": int,
    "bool": _bool,
    "timestamp": _timestamp,
}
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "gt": lambda a, b: a > b,
    "lt": lambda a, b: a < b,
    "ge": lambda a, b: a >= b,
    "le": lambda a, b: a <= b,
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
}
