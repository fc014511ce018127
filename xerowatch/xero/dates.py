"""Xero's dates: MS-JSON `/Date(ms±hhmm)/` and ISO strings, parsed as the official SDK does.

The milliseconds are a UTC instant; the optional ±hhmm only says which zone the value was
rendered in, so it becomes the tzinfo of the same instant (xero-python's
`deserialize_datetime_ms`). Date-only fields stay dates and are never shifted through UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

_MS_JSON = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class XeroDateError(ValueError):
    """A value that is neither an MS-JSON date nor an ISO date/time."""


def _offset(text: str | None) -> timezone:
    if not text:
        return UTC
    sign = -1 if text[0] == "-" else 1
    hours, minutes = int(text[1:3]), int(text[3:5])
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_xero_datetime(value: Any) -> datetime | None:
    """Parse `/Date(…)/`, ISO-8601 (naive = UTC) or a datetime into an aware datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if not isinstance(value, str):
        raise XeroDateError(f"not a Xero date: {value!r}")
    text = value.strip()
    match = _MS_JSON.match(text)
    if match:
        # timedelta arithmetic handles pre-1970 values where fromtimestamp() may not
        instant = _EPOCH + timedelta(milliseconds=int(match.group(1)))
        return instant.astimezone(_offset(match.group(2)))
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise XeroDateError(f"not a Xero date: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_xero_date(value: Any) -> date | None:
    """Parse a date-only field, keeping the calendar date as rendered (no UTC shift)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise XeroDateError(f"not a Xero date: {value!r}")
    text = value.strip()
    if _DATE_ONLY.match(text):
        return date.fromisoformat(text)
    match = _MS_JSON.match(text)
    if match:
        instant = _EPOCH + timedelta(milliseconds=int(match.group(1)))
        return instant.astimezone(_offset(match.group(2))).date()
    parsed = parse_xero_datetime(text)
    assert parsed is not None
    # an ISO date-time for a date-only field: keep the date as written, not its UTC date
    return parsed.date()


def to_ms_json(value: datetime) -> str:
    """Render an instant as `/Date(ms+0000)/` (what Xero sends for UpdatedDateUTC)."""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    ms = (aware - _EPOCH) // timedelta(milliseconds=1)
    return f"/Date({ms}+0000)/"


def format_if_modified_since(value: datetime) -> str:
    """Render an `If-Modified-Since` value: ISO-8601 in UTC with an explicit offset."""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="milliseconds")


def format_xero_date(value: date) -> str:
    """Render a date as Xero accepts in bodies (`YYYY-MM-DD`)."""
    return value.isoformat()


XeroDateTime = Annotated[
    datetime,
    BeforeValidator(parse_xero_datetime),
    PlainSerializer(lambda v: v.astimezone(UTC).isoformat(), return_type=str, when_used="json"),
]
"""A pydantic field type accepting MS-JSON or ISO date-times."""

XeroDate = Annotated[
    date,
    BeforeValidator(parse_xero_date),
    PlainSerializer(format_xero_date, return_type=str, when_used="json"),
]
"""A pydantic field type for date-only values."""
