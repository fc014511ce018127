"""The simulator's own Xero dates, read from the Xero docs (shared notes §6), not the client's."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xerowatch.sim.xero.dates import SimDateError, ms_json, parse_instant
from xerowatch.xero.dates import parse_xero_datetime, to_ms_json

AEDT = timezone(timedelta(hours=13))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/Date(1573755038314)/", datetime(2019, 11, 14, 18, 10, 38, 314000, tzinfo=UTC)),
        ("/Date(1573755038314+0000)/", datetime(2019, 11, 14, 18, 10, 38, 314000, tzinfo=UTC)),
        ("/Date(0+0000)/", datetime(1970, 1, 1, tzinfo=UTC)),
        ("/Date(-86400000)/", datetime(1969, 12, 31, tzinfo=UTC)),
        ("2026-12-03T10:00:00", datetime(2026, 12, 3, 10, tzinfo=UTC)),
        ("2026-12-03T10:00:00Z", datetime(2026, 12, 3, 10, tzinfo=UTC)),
        (" 2026-12-03 ", datetime(2026, 12, 3, tzinfo=UTC)),
    ],
)
def test_documented_forms_parse_to_their_utc_instant(text: str, expected: datetime) -> None:
    parsed = parse_instant(text)
    assert parsed == expected
    assert parsed is not None and parsed.utcoffset() is not None


def test_an_offset_names_the_zone_of_the_same_instant() -> None:
    parsed = parse_instant("/Date(1573755038314+1300)/")
    assert parsed == datetime(2019, 11, 14, 18, 10, 38, 314000, tzinfo=UTC)
    assert parsed is not None and parsed.utcoffset() == timedelta(hours=13)


def test_python_values_and_blanks() -> None:
    assert parse_instant(None) is None
    assert parse_instant("") is None
    assert parse_instant(datetime(2026, 1, 2, 3, 4)) == datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    assert parse_instant(datetime(2026, 1, 2, tzinfo=AEDT)).tzinfo is AEDT  # type: ignore[union-attr]
    assert parse_instant(date(2026, 1, 2)) == datetime(2026, 1, 2, tzinfo=UTC)


@pytest.mark.parametrize("value", ["yesterday", "/Date(abc)/", "/Date(1+13)/", 17, 1.5])
def test_anything_else_is_refused(value: object) -> None:
    with pytest.raises(SimDateError, match="not a Xero date"):
        parse_instant(value)


def test_ms_json_renders_utc_milliseconds() -> None:
    assert ms_json(datetime(2019, 11, 14, 18, 10, 38, 314000, tzinfo=UTC)) == (
        "/Date(1573755038314+0000)/"
    )
    assert ms_json(datetime(2019, 11, 15, 7, 10, 38, 314000, tzinfo=AEDT)) == (
        "/Date(1573755038314+0000)/"
    )
    assert ms_json(datetime(1969, 12, 31, 23, 59, 59, 999500)) == "/Date(-1+0000)/"


instants = st.datetimes(
    min_value=datetime(1900, 1, 1),
    max_value=datetime(2200, 1, 1),
    timezones=st.sampled_from([UTC, AEDT, timezone(timedelta(hours=-5, minutes=-30))]),
)


@given(instants)
def test_ms_json_round_trips_to_the_millisecond(moment: datetime) -> None:
    parsed = parse_instant(ms_json(moment))
    assert parsed is not None
    assert abs(parsed - moment) < timedelta(milliseconds=1)


@given(
    st.one_of(
        instants.map(ms_json),
        instants.map(lambda m: m.isoformat()),
        st.integers(-(10**12), 10**13).map(lambda ms: f"/Date({ms}+1300)/"),
        st.text(max_size=12),
    )
)
def test_the_simulator_and_the_client_read_the_spec_alike(text: str) -> None:
    """Written apart, the two readings of the docs agree; a drift in either shows here."""
    try:
        client = parse_xero_datetime(text)
    except ValueError:
        with pytest.raises(SimDateError):
            parse_instant(text)
        return
    assert parse_instant(text) == client
    if client is not None:
        assert ms_json(client) == to_ms_json(client)


@pytest.mark.parametrize("text", ["/Date(99999999999999999999)/", "/Date(0+9900)/"])
def test_out_of_range_values_are_refused_not_crashed_on(text: str) -> None:
    with pytest.raises(SimDateError, match="not a Xero date"):
        parse_instant(text)
