"""Plain-text pieces of the dashboard: times, bars, sparklines (no Textual, easy to test)."""

from __future__ import annotations

from datetime import datetime, tzinfo

from xerowatch.store.overview import parse_time

SPARK = " ▁▂▃▄▅▆▇█"


def local(moment: datetime, tz: tzinfo | None) -> datetime:
    """`moment` in the dashboard's time zone (the machine's when `tz` is None)."""
    return moment.astimezone(tz) if tz is not None else moment.astimezone()


def hhmm(text: str | None, tz: tzinfo | None, *, seconds: bool = False) -> str:
    """A stored timestamp as HH:MM (or HH:MM:SS) local time; "—" when absent."""
    moment = parse_time(text)
    if moment is None:
        return "—"
    return f"{local(moment, tz):%H:%M:%S}" if seconds else f"{local(moment, tz):%H:%M}"


def when(text: str | None, now: datetime, tz: tzinfo | None) -> str:
    """HH:MM:SS today, or "Dec 01 14:05" on another day; "—" when absent."""
    moment = parse_time(text)
    if moment is None:
        return "—"
    there, today = local(moment, tz), local(now, tz)
    if there.date() == today.date():
        return f"{there:%H:%M:%S}"
    return f"{there:%b %d %H:%M}"


def stamp(text: str | None, now: datetime, tz: tzinfo | None) -> str:
    """At most 8 cells: HH:MM:SS today, "Dec 01" on another day; "—" when absent."""
    moment = parse_time(text)
    if moment is None:
        return "—"
    there, today = local(moment, tz), local(now, tz)
    return f"{there:%H:%M:%S}" if there.date() == today.date() else f"{there:%b %d}"


def span(seconds: float) -> str:
    """A duration for people: "45 s", "12 min", "3 h 05 min", "2 d"."""
    seconds = max(0.0, seconds)
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    return f"{hours // 24} d"


def ago(text: str | None, now: datetime) -> str:
    """ "12 s ago"; "never" when absent."""
    moment = parse_time(text)
    if moment is None:
        return "never"
    return f"{span((now - moment).total_seconds())} ago"


def sparkline(values: list[int]) -> str:
    """One block character per value, scaled to the largest (blank for zero)."""
    top = max(values, default=0)
    if top <= 0:
        return "·" * len(values)
    steps = len(SPARK) - 1
    return "".join(SPARK[0 if v <= 0 else max(1, round(v / top * steps))] for v in values)


def bar(done: int, total: int | None, width: int = 20) -> str:
    """A progress bar of `width` cells; an unknown total shows as dots."""
    if not total or total <= 0:
        return "·" * width
    filled = round(width * min(done, total) / total)
    return "█" * filled + "░" * (width - filled)


def percent(done: int, total: int | None) -> str:
    """ "42%"; "?" when the total is unknown."""
    if not total or total <= 0:
        return "?"
    return f"{min(100, round(100 * done / total))}%"


def shorten(text: str | None, width: int) -> str:
    """One line of at most `width` characters, "…" where it was cut."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= width else flat[: max(0, width - 1)] + "…"


def number(value: int) -> str:
    """1234 → "1,234"."""
    return f"{value:,}"
