"""MS-JSON and ISO dates, parsed the way the official SDK does (same instant, offset as tzinfo)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xerowatch.xero.dates import (
    XeroDateError,
    format_if_modified_since,
    parse_xero_date,
    parse_xero_datetime,
    to_ms_json,
)


def test_offset_is_attached_not_added() -> None:
    parsed = parse_xero_datetime("/Date(1573755038314+1300)/")
    assert parsed == datetime(2019, 11, 14, 18, 10, 38, 314000, tzinfo=UTC)  # same instant
    assert parsed is not None and parsed.utcoffset() == timedelta(hours=13)


def test_zero_negative_and_plain_forms() -> None:
    assert parse_xero_datetime("/Date(0+0000)/") == datetime(1970, 1, 1, tzinfo=UTC)
    assert parse_xero_datetime("/Date(-86400000-0500)/") == datetime(1969, 12, 31, tzinfo=UTC)
    assert parse_xero_datetime("/Date(1573755038314)/") == datetime(
        2019, 11, 14, 18, 10, 38, 314000, tzinfo=UTC
    )


def test_iso_without_offset_is_utc() -> None:
    assert parse_xero_datetime("2024-06-21T01:15:39.902") == datetime(
        2024, 6, 21, 1, 15, 39, 902000, tzinfo=UTC
    )
    assert parse_xero_datetime("2024-06-21T01:15:39Z") == datetime(
        2024, 6, 21, 1, 15, 39, tzinfo=UTC
    )


def test_date_only_fields_keep_their_calendar_date() -> None:
    # midnight in +13:00 is the previous day in UTC; the date as rendered must survive
    assert parse_xero_date("/Date(1573642800000+1300)/") == date(2019, 11, 14)
    assert parse_xero_date("2019-11-14") == date(2019, 11, 14)
    assert parse_xero_date("2019-11-14T00:00:00") == date(2019, 11, 14)
    assert parse_xero_date("") is None


@pytest.mark.parametrize("bad", ["/Date(abc)/", "yesterday", "/Date(1+13)/", "2024-13-45"])
def test_garbage_is_a_typed_error(bad: str) -> None:
    with pytest.raises(XeroDateError):
        parse_xero_datetime(bad)


def test_if_modified_since_is_utc_with_an_offset() -> None:
    sydney = timezone(timedelta(hours=11))
    text = format_if_modified_since(datetime(2026, 1, 2, 9, 30, tzinfo=sydney))
    assert text == "2026-01-01T22:30:00.000+00:00"
    naive = format_if_modified_since(datetime(2026, 1, 2, 9, 30))
    assert naive.endswith("+00:00")


instants = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)


@given(instants)
def test_ms_json_round_trips_to_the_millisecond(value: datetime) -> None:
    value = value.replace(microsecond=value.microsecond // 1000 * 1000)
    assert parse_xero_datetime(to_ms_json(value)) == value


@given(instants, st.integers(min_value=-12 * 60, max_value=14 * 60))
def test_any_offset_keeps_the_instant(value: datetime, minutes: int) -> None:
    value = value.replace(microsecond=0)
    ms = int((value - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() * 1000)
    sign = "+" if minutes >= 0 else "-"
    offset = f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
    assert parse_xero_datetime(f"/Date({ms}{offset})/") == value
