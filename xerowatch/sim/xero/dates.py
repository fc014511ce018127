"""The simulator's own Xero dates: MS-JSON `/Date(ms±hhmm)/` and ISO-8601, read from Xero's docs.

Written apart from the client's `xero/dates.py` on purpose: the simulator is what the client is
checked against, so it must not share the code under test. Per the docs (shared notes §6): the
milliseconds count from the Unix epoch in UTC; the optional ±hhmm only names the zone the value
was rendered in, so it becomes the tzinfo of the same instant; ISO strings without an offset
are UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

_MS_JSON = re.compile(r"/Date\((-?[0-9]+)(?:([+-])([0-9]{2})([0-9]{2}))?\)/")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class SimDateError(ValueError):
    """A value that is neither an MS-JSON date nor an ISO-8601 date/time."""


def parse_instant(value: object) -> datetime | None:
    """Read a stored or requested date as an aware instant (None for a blank)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if not isinstance(value, str):
        raise SimDateError(f"not a Xero date: {value!r}")
    text = value.strip()
    match = _MS_JSON.fullmatch(text)
    if match is not None:
        millis, sign, hours, minutes = match.groups()
        zone = UTC
        if sign is not None:
            shift = timedelta(hours=int(hours), minutes=int(minutes))
            try:
                zone = timezone(-shift if sign == "-" else shift)
            except ValueError:
                raise SimDateError(f"not a Xero date: {value!r}") from None
        try:
            # epoch + timedelta, not fromtimestamp(), so values before 1970 work on every platform
            return (_EPOCH + timedelta(milliseconds=int(millis))).astimezone(zone)
        except OverflowError:
            raise SimDateError(f"not a Xero date (out of range): {value!r}") from None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise SimDateError(f"not a Xero date: {value!r}") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def ms_json(value: datetime) -> str:
    """Render an instant as Xero does for UpdatedDateUTC: `/Date(ms+0000)/`."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return f"/Date({(aware - _EPOCH) // timedelta(milliseconds=1)}+0000)/"
