"""The Wisenet request budget: 10 per second, rolling daily quota, write reserve, poll pacing."""

from __future__ import annotations

import pytest

from xerowatch.clock import FakeClock
from xerowatch.source.port import SourceError
from xerowatch.source.wisenet.budget import DAY_SECONDS, RequestBudget


def make(clock: FakeClock, quota: int = 1000, rps: float = 10.0) -> RequestBudget:
    return RequestBudget(clock, daily_quota=quota, requests_per_second=rps)


async def test_never_more_than_ten_requests_in_any_second() -> None:
    clock = FakeClock()
    budget = make(clock)
    times = []
    for _ in range(35):
        await budget.acquire()
        times.append(clock.monotonic())
    assert times[:10] == [0.0] * 10  # an idle client may use its whole second at once
    for i in range(10, len(times)):
        assert times[i] - times[i - 10] >= 1.0
    assert times[-1] == pytest.approx(3.0)


async def test_fractional_rate_is_honoured() -> None:
    clock = FakeClock()
    budget = make(clock, rps=2.5)
    for _ in range(5):
        await budget.acquire()
    assert clock.monotonic() == pytest.approx(1.6)  # 2 per 0.8 s


async def test_reads_stop_at_the_write_reserve_and_writes_just_before_the_quota() -> None:
    clock = FakeClock()
    budget = make(clock, quota=100)  # 10 % = 10 kept for write-backs
    for _ in range(90):
        await budget.acquire("read")
    with pytest.raises(SourceError, match="kept for write-backs") as info:
        await budget.acquire("read")
    assert info.value.transient is True
    for _ in range(10):
        await budget.acquire("write")
    with pytest.raises(SourceError, match="quota spent"):
        await budget.acquire("write")
    assert budget.used == 100


async def test_quota_is_a_rolling_24_hours() -> None:
    clock = FakeClock()
    budget = make(clock, quota=100)
    for _ in range(50):
        await budget.acquire()
    clock.advance(12 * 3600)
    for _ in range(40):
        await budget.acquire()
    assert budget.used == 90
    clock.advance(12 * 3600 + 61)  # the first 50 are now more than a day old
    assert budget.used == 40
    await budget.acquire()


async def test_suggested_poll_spreads_the_remaining_reads_over_a_day() -> None:
    clock = FakeClock()
    budget = make(clock, quota=1000)  # 900 for reads
    assert budget.snapshot().suggested_poll_seconds == pytest.approx(2 * DAY_SECONDS / 900)
    for _ in range(450):
        await budget.acquire()
    snap = budget.snapshot()
    assert snap.used_today == 450
    assert snap.remaining_today == 550
    assert snap.suggested_poll_seconds == pytest.approx(2 * DAY_SECONDS / 450)


async def test_poll_cost_feeds_the_suggestion() -> None:
    clock = FakeClock()
    budget = make(clock, quota=10_000)
    before = budget.snapshot().suggested_poll_seconds
    for _ in range(20):
        budget.record_poll(12)
    after = budget.snapshot().suggested_poll_seconds
    assert after > 5 * before
    assert after == pytest.approx(12 * DAY_SECONDS / 9000, rel=0.05)


async def test_when_reads_are_spent_the_suggestion_waits_for_old_requests_to_age_out() -> None:
    clock = FakeClock()
    budget = make(clock, quota=100)
    for _ in range(90):
        await budget.acquire()
    clock.advance(3600)
    suggested = budget.snapshot().suggested_poll_seconds
    # All 90 fell in the first minute; they age out 24 h after the end of that minute.
    assert clock.monotonic() == pytest.approx(3600 + 8)
    assert suggested == pytest.approx(DAY_SECONDS + 60 - clock.monotonic())


def test_reserve_share_is_validated() -> None:
    with pytest.raises(ValueError, match="write_reserve_share"):
        RequestBudget(FakeClock(), daily_quota=10, requests_per_second=1, write_reserve_share=1.0)
