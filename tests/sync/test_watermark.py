"""Watermarks: the overlap is paid once after the watermark moves, then the read starts at it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from xerowatch.sync.watermark import OVERLAP, SETTLE, Watermark

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def test_first_read_is_full_then_overlapping() -> None:
    mark = Watermark.parse(None)
    assert mark.read_from() is None
    mark = mark.after_read([T0, None, T0 - timedelta(hours=1)], started_at=T0)
    assert mark == Watermark(T0)
    assert mark.read_from() == T0 - OVERLAP


def test_settles_only_after_a_late_read_finds_nothing_newer() -> None:
    mark = Watermark(T0)
    soon = mark.after_read([T0], started_at=T0 + timedelta(seconds=3))
    assert not soon.settled and soon.read_from() == T0 - OVERLAP
    late = soon.after_read([T0], started_at=T0 + SETTLE)
    assert late.settled and late.read_from() == T0
    moved = late.after_read([T0 + timedelta(seconds=1)], started_at=T0 + SETTLE)
    assert moved == Watermark(T0 + timedelta(seconds=1))  # a new newest is unsettled again


def test_stored_form_round_trips() -> None:
    for mark in (Watermark(T0), Watermark(T0, settled=True)):
        assert Watermark.parse(mark.dump()) == mark
    assert Watermark(None).dump() is None


offsets = st.lists(st.integers(min_value=-3600, max_value=3600), max_size=20)


@given(offsets, st.integers(min_value=0, max_value=600))
def test_the_watermark_never_goes_backwards_or_skips_its_second(
    stamps: list[int], started: int
) -> None:
    mark = Watermark(T0)
    after = mark.after_read(
        [T0 + timedelta(seconds=s) for s in stamps], started_at=T0 + timedelta(seconds=started)
    )
    assert after.newest is not None and after.newest >= T0
    if after.newest == T0 and started < SETTLE.total_seconds():
        start = after.read_from()
        assert start is not None and start <= T0 - OVERLAP
