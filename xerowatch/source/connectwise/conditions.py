"""Build ConnectWise `conditions` strings: `field op value` joined with `and`.

Strings go in double quotes, numbers and booleans bare, datetimes in square brackets (ISO 8601
UTC), lists in parentheses. How ConnectWise escapes a double quote inside a string is not
documented, so such values are refused rather than guessed at (docs/connectwise.md).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

Value = str | int | bool | dt.datetime | tuple[int, ...] | tuple[str, ...]

_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(/[A-Za-z_][A-Za-z0-9_]*)*$")
_OPERATORS = frozenset({"=", "!=", "<", "<=", ">", ">=", "contains", "like", "in", "not in"})

LAST_UPDATED = "_info/lastUpdated"
"""The watermark field every record carries."""


class ConditionError(ValueError):
    """A condition that cannot be expressed safely."""


def format_datetime(value: dt.datetime) -> str:
    """`[2026-01-01T00:00:00Z]`: UTC, whole seconds (ConnectWise's resolution)."""
    if value.tzinfo is None:
        raise ConditionError("datetimes in conditions must be timezone-aware")
    utc = value.astimezone(dt.UTC).replace(microsecond=0, tzinfo=None)
    return f"[{utc.isoformat()}Z]"


def format_value(value: Value) -> str:
    """Render one value in ConnectWise's condition syntax."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        return format_datetime(value)
    if isinstance(value, str):
        if '"' in value or "\\" in value:
            raise ConditionError(f"cannot put {value!r} in a condition: it holds a quote")
        return f'"{value}"'
    if not value:
        raise ConditionError("an 'in' list must not be empty")
    return "(" + ",".join(format_value(item) for item in value) + ")"


@dataclass(frozen=True)
class Condition:
    """One `field op value` clause."""

    field: str
    op: str
    value: Value

    def __post_init__(self) -> None:
        if not _FIELD.match(self.field):
            raise ConditionError(f"{self.field!r} is not a field path such as company/id")
        if self.op not in _OPERATORS:
            raise ConditionError(f"{self.op!r} is not a ConnectWise condition operator")

    def __str__(self) -> str:
        return f"{self.field} {self.op} {format_value(self.value)}"


def all_of(conditions: Iterable[Condition | str | None]) -> str:
    """Join clauses with `and`, each parenthesised; None and empty strings are left out."""
    parts = [str(c) for c in conditions if c is not None and str(c)]
    if len(parts) == 1:
        return parts[0]
    return " and ".join(f"({part})" for part in parts)


def updated_since(since: dt.datetime | None) -> Condition | None:
    """`_info/lastUpdated >= [since]`, or None for a full read."""
    return None if since is None else Condition(LAST_UPDATED, ">=", since)
