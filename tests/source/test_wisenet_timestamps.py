"""Zone handling of Wisenet's zone-less timestamps, including both DST transitions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xerowatch.clock import FakeClock
from xerowatch.sim.wisenet import WisenetSim
from xerowatch.source.port import SourceError
from xerowatch.source.wisenet import build_wisenet_source
from xerowatch.source.wisenet.timestamps import (
    TimestampError,
    filter_start,
    format_cursor,
    load_zone,
    parse_cursor,
    parse_timestamp,
    to_local_text,
)

from .conftest import API_KEY, collect, wisenet_settings

SYDNEY = ZoneInfo("Australia/Sydney")
FIVE_MIN = timedelta(minutes=5)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-02T20:00:00.000", utc(2026, 11, 2, 9, 0)),  # AEDT, +11
        ("2026-07-01T10:00:00", utc(2026, 7, 1, 0, 0)),  # AEST, +10
        ("2018-11-02T10:15:00.1234567", utc(2018, 11, 1, 23, 15, 0, 123456)),  # 7 digits
        ("2026-07-01T10:00:00Z", utc(2026, 7, 1, 10, 0)),  # an explicit zone wins
        ("2026-07-01T10:00:00+09:30", utc(2026, 7, 1, 0, 30)),
        # Repeated hour (5 Apr 2026, 03:00 AEDT -> 02:00 AEST): the earlier instant.
        ("2026-04-05T02:30:00", utc(2026, 4, 4, 15, 30)),
        # Skipped hour (4 Oct 2026, 02:00 AEST -> 03:00 AEDT): no instant has this local time;
        # the earlier of its two readings (+11), so the cursor cannot jump past 03:00-03:30.
        ("2026-10-04T02:30:00", utc(2026, 10, 3, 15, 30)),
    ],
)
def test_parse_timestamp(text: str, expected: datetime) -> None:
    parsed = parse_timestamp(text, SYDNEY)
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize("text", ["", "yesterday", "2026-13-01T00:00:00", "02/11/2026 10:00"])
def test_parse_timestamp_rejects_garbage(text: str) -> None:
    with pytest.raises(TimestampError):
        parse_timestamp(text, SYDNEY)


def test_cursor_round_trip_is_utc() -> None:
    instant = utc(2026, 11, 2, 9, 0, 0, 250000)
    assert format_cursor(instant) == "2026-11-02T09:00:00.250000+00:00"
    assert parse_cursor(format_cursor(instant)) == instant
    assert parse_cursor("2026-11-02T09:00:00Z") == utc(2026, 11, 2, 9)
    assert parse_cursor("2026-11-02T09:00:00") == utc(2026, 11, 2, 9)  # naive = UTC
    with pytest.raises(TimestampError, match="watermark"):
        parse_cursor("soon")


def test_unknown_zone_is_a_config_error() -> None:
    with pytest.raises(SourceError, match=r"\[wisenet\] timezone") as info:
        load_zone("Mars/Olympus_Mons")
    assert info.value.transient is False


def test_filter_start_in_summer_and_winter() -> None:
    assert filter_start(utc(2026, 11, 2, 9, 5), FIVE_MIN, SYDNEY) == "2026-11-02T20:00:00.000"
    assert filter_start(utc(2026, 7, 1, 0, 5), FIVE_MIN, SYDNEY) == "2026-07-01T10:00:00.000"


def test_filter_start_in_first_pass_of_repeated_hour_steps_back_an_hour() -> None:
    # 15:40 UTC = 02:40 AEDT (first pass); records written in the second pass (02:00-02:40
    # AEST) are later but carry smaller local times, so the bound drops by the 1 h shift.
    assert filter_start(utc(2026, 4, 4, 15, 40), FIVE_MIN, SYDNEY) == "2026-04-05T01:35:00.000"


def test_filter_start_in_second_pass_needs_no_shift() -> None:
    # 16:40 UTC = 02:40 AEST (second pass): every later record has a later local time.
    assert filter_start(utc(2026, 4, 4, 16, 40), FIVE_MIN, SYDNEY) == "2026-04-05T02:35:00.000"


def test_filter_start_across_the_skipped_hour() -> None:
    # 16:05 UTC on 3 Oct = 03:05 AEDT, just after the jump; 5 minutes earlier was 01:00 AEST.
    assert filter_start(utc(2026, 10, 3, 16, 5), FIVE_MIN, SYDNEY) == "2026-10-04T03:00:00.000"
    assert filter_start(utc(2026, 10, 3, 16, 5), timedelta(minutes=10), SYDNEY) == (
        "2026-10-04T01:55:00.000"
    )


_AROUND_DST = st.datetimes(
    min_value=datetime(2026, 4, 4, 12), max_value=datetime(2026, 4, 4, 20)
) | st.datetimes(min_value=datetime(2026, 10, 3, 12), max_value=datetime(2026, 10, 3, 20))


@settings(max_examples=300, deadline=None)
@given(
    cursor=_AROUND_DST,
    later_by=st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=3)),
)
def test_no_record_after_the_cursor_falls_below_the_filter(
    cursor: datetime, later_by: timedelta
) -> None:
    """Whatever the DST transition, a record written at or after the cursor passes `gt:`."""
    cursor_utc = cursor.replace(tzinfo=UTC)
    record_local = to_local_text(cursor_utc + later_by, SYDNEY)
    bound = filter_start(cursor_utc, timedelta(seconds=1), SYDNEY)
    assert record_local > bound  # same fixed-width ISO format: text order is time order


@settings(max_examples=200, deadline=None)
@given(instant=_AROUND_DST)
def test_parsed_local_time_never_runs_ahead(instant: datetime) -> None:
    """Parsing a local stamp gives the instant itself, or an hour early in the repeated hour."""
    actual = instant.replace(tzinfo=UTC, microsecond=instant.microsecond // 1000 * 1000)
    parsed = parse_timestamp(to_local_text(actual, SYDNEY), SYDNEY)
    assert parsed in (actual, actual - timedelta(hours=1))


_LOCAL_AROUND_DST = st.datetimes(
    min_value=datetime(2026, 4, 5, 0), max_value=datetime(2026, 4, 5, 5)
) | st.datetimes(min_value=datetime(2026, 10, 4, 0), max_value=datetime(2026, 10, 4, 5))


@settings(max_examples=300, deadline=None)
@given(local=_LOCAL_AROUND_DST)
def test_the_next_filter_never_starts_after_a_stamp_already_seen(local: datetime) -> None:
    """Whatever local text Wisenet wrote (even one in the skipped hour), the next poll's
    `gt:` bound is not later than it, so nothing Wisenet stamps after it can be skipped."""
    text = local.isoformat(timespec="milliseconds")
    bound = filter_start(parse_timestamp(text, SYDNEY), timedelta(0), SYDNEY)
    assert bound <= text


async def test_record_written_in_the_repeated_hour_is_not_missed() -> None:
    """End to end: cursor at 02:50 AEDT, a learner changed at 02:10 AEST (20 minutes later)."""
    dst_clock = FakeClock(utc(2026, 4, 4, 15, 50))
    sim = WisenetSim(clock=dst_clock, api_key=API_KEY)
    first = sim.seed_learners(1)[0]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sim.app)) as http:
        source = build_wisenet_source(wisenet_settings(), clock=dst_clock, http=http)
        cursor = (await collect(source, None))[-1].cursor
        assert cursor == "2026-04-04T15:50:00.000000+00:00"

        dst_clock.advance(20 * 60)
        second = sim.seed_learners(1, seed=3)[0]
        assert sim.data.learners["AU"][second]["LastModifiedTimeStamp"] == (
            "2026-04-05T02:10:00.000"
        )
        batches = await collect(source, cursor)

    seen = {le.source_id for b in batches for le in b.learners}
    assert str(second) in seen
    assert str(first) in seen  # re-read: the price of the fold, once a year
    # The second-pass stamp parses to the earlier instant, so the cursor does not overshoot.
    assert batches[-1].cursor == cursor
