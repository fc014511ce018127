"""Wisenet's zone-less timestamps: parsing to aware UTC, cursors, and filter values.

Wisenet writes `LastModifiedTimeStamp` without a zone (e.g. "2018-11-02T10:15:00.000") and
compares its filters the same way, so both directions go through the configured zone.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from xerowatch.source.port import SourceError


class TimestampError(ValueError):
    """A timestamp or cursor that cannot be understood."""


def load_zone(name: str, *, setting: str = "[wisenet] timezone") -> ZoneInfo:
    """Return the zone `name`, or raise a non-transient SourceError naming the config key."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SourceError(
            f"unknown time zone {name!r}: set {setting} to an IANA name such as Australia/Sydney",
            transient=False,
        ) from None


def parse_timestamp(text: str, zone: ZoneInfo) -> datetime:
    """Parse a Wisenet timestamp as an aware UTC datetime.

    A zone-less value is local time in `zone`. Where a local time is ambiguous it is read as the
    earlier instant: in the repeated hour when clocks go back, the first pass; in the hour that
    is skipped when they go forward (a time no instant has, so Wisenet's clock disagrees with
    `zone`), the reading with the later offset. A cursor built from it can then only fall
    behind (and re-read), never run ahead of a record.
    """
    try:
        parsed = datetime.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise TimestampError(f"not an ISO-8601 timestamp: {text!r}") from None
    if parsed.tzinfo is None:
        readings = (parsed.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1))
        return min(readings)
    return parsed.astimezone(UTC)


def format_cursor(instant: datetime) -> str:
    """Render a cursor: the UTC ISO-8601 instant, microsecond precision."""
    return instant.astimezone(UTC).isoformat(timespec="microseconds")


def parse_cursor(cursor: str) -> datetime:
    """Read a stored cursor back; a value without an offset is taken as UTC."""
    try:
        parsed = datetime.fromisoformat(cursor.strip())
    except ValueError:
        raise TimestampError(
            f"cursor {cursor!r} is not an ISO-8601 instant; reset the Wisenet watermark"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def to_local_text(instant: datetime, zone: ZoneInfo) -> str:
    """Format an instant as Wisenet's zone-less local text, to the millisecond."""
    local = instant.astimezone(zone).replace(tzinfo=None)
    return local.isoformat(timespec="milliseconds")


def filter_start(cursor: datetime, overlap: timedelta, zone: ZoneInfo) -> str:
    """The local lower bound for `lastModifiedTimeStampFilter=gt:` for a poll after `cursor`.

    The bound is `overlap` before the cursor. If that instant falls in the first pass of a
    repeated hour (clocks going back), records written later in the second pass carry smaller
    local times, so the bound moves back by the size of the shift.
    """
    start = (cursor - overlap).astimezone(zone)
    first_pass = start.replace(fold=0)
    second_pass = start.replace(fold=1)
    shift = (first_pass.utcoffset() or timedelta(0)) - (second_pass.utcoffset() or timedelta(0))
    local = start.replace(tzinfo=None)
    if start.fold == 0 and shift > timedelta(0):
        local -= shift
    return local.isoformat(timespec="milliseconds")
