"""Retry-After: delta-seconds and every HTTP-date form; never an unusable or endless wait."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xerowatch.xero.retry import MAX_RETRY_AFTER_S, parse_retry_after

NOW = datetime(2015, 10, 21, 7, 27, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        "Wed, 21 Oct 2015 07:28:00 GMT",  # IMF-fixdate
        "Wednesday, 21-Oct-15 07:28:00 GMT",  # obsolete RFC 850 form
        "Wed Oct 21 07:28:00 2015",  # obsolete asctime form: no zone, and HTTP-dates are GMT
        "Wed, 21 Oct 2015 07:28:00 -0000",
        "Wed, 21 Oct 2015 07:28:00 +0000",
    ],
)
def test_every_http_date_form_is_read_as_gmt(value: str) -> None:
    assert parse_retry_after(value, NOW) == 60.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [("120", 120.0), (" 7 ", 7.0), ("0", 0.0), ("-5", 0.0), ("Wed, 21 Oct 2015 07:00:00 GMT", 0.0)],
)
def test_delta_seconds_and_past_dates(value: str, expected: float) -> None:
    assert parse_retry_after(value, NOW) == expected


@pytest.mark.parametrize("value", ["inf", "Infinity", "-inf", "nan", "1e400", "", "  ", "soon"])
def test_values_that_name_no_usable_wait_are_none(value: str) -> None:
    assert parse_retry_after(value, NOW) is None


def test_a_wait_longer_than_any_xero_window_is_cut_to_a_day() -> None:
    assert parse_retry_after("1e12", NOW) == MAX_RETRY_AFTER_S == 86_400
    assert parse_retry_after("Fri, 01 Jan 9999 00:00:00 GMT", NOW) == MAX_RETRY_AFTER_S


@given(
    st.one_of(
        st.text(max_size=40),
        st.floats().map(repr),
        st.datetimes(timezones=st.just(UTC)).map(lambda d: d.strftime("%a, %d %b %Y %H:%M:%S GMT")),
    )
)
def test_any_header_gives_none_or_a_finite_wait_within_a_day(value: str) -> None:
    seconds = parse_retry_after(value, NOW)
    assert seconds is None or (math.isfinite(seconds) and 0.0 <= seconds <= MAX_RETRY_AFTER_S)
