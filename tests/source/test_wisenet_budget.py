"""The Wisenet request budget: 10 per second, rolling daily quota, read reserve, poll pacing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from xerowatch.clock import FakeClock
from xerowatch.sim.wisenet import WisenetSim
from xerowatch.source.port import SourceBudgetRefused
from xerowatch.source.wisenet import build_wisenet_source
from xerowatch.source.wisenet.budget import (
    DAY_SECONDS,
    RTT_MARGIN_SECONDS,
    RTT_SAMPLES,
    BudgetLedger,
    RequestBudget,
)
from xerowatch.source.wisenet.budget_ledger import StoreBudgetLedger
from xerowatch.store.db import open_store

from .conftest import collect, wisenet_settings


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


async def test_writes_stop_at_the_read_reserve_and_reads_may_use_the_whole_quota() -> None:
    clock = FakeClock()
    budget = make(clock, quota=100)  # 20 % = 20 kept for reading learners
    for _ in range(80):
        await budget.acquire("write")
    with pytest.raises(SourceBudgetRefused, match="kept for reading learners") as info:
        await budget.acquire("write")
    assert info.value.transient is True
    assert info.value.resume_in_seconds > 23 * 3600
    for _ in range(20):  # learner polling still runs on the reserve
        await budget.acquire("read")
    with pytest.raises(SourceBudgetRefused, match="quota spent"):
        await budget.acquire("read")
    assert budget.used == 100


async def test_the_read_reserve_is_configurable() -> None:
    budget = RequestBudget(
        FakeClock(), daily_quota=1000, requests_per_second=10, read_reserve_share=0.5
    )
    assert budget.read_reserve == 500
    for _ in range(500):
        await budget.acquire("write")
    with pytest.raises(SourceBudgetRefused):
        await budget.acquire("write")
    await budget.acquire("read")


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
    budget = make(clock, quota=1000)  # reads may use all of it
    assert budget.snapshot().suggested_poll_seconds == pytest.approx(2 * DAY_SECONDS / 1000)
    for _ in range(450):
        await budget.acquire()
    snap = budget.snapshot()
    assert snap.used_today == 450
    assert snap.remaining_today == 550
    assert snap.suggested_poll_seconds == pytest.approx(2 * DAY_SECONDS / 550)


async def test_poll_cost_feeds_the_suggestion() -> None:
    clock = FakeClock()
    budget = make(clock, quota=10_000)
    before = budget.snapshot().suggested_poll_seconds
    for _ in range(20):
        budget.record_poll(12)
    after = budget.snapshot().suggested_poll_seconds
    assert after > 5 * before
    assert after == pytest.approx(12 * DAY_SECONDS / 10_000, rel=0.05)


async def test_when_reads_are_spent_the_suggestion_waits_for_old_requests_to_age_out() -> None:
    clock = FakeClock()
    budget = make(clock, quota=100)
    for _ in range(100):
        await budget.acquire()
    clock.advance(3600)
    suggested = budget.snapshot().suggested_poll_seconds
    # All 100 fell in the first minute; they age out 24 h after the end of that minute.
    assert clock.monotonic() == pytest.approx(3600 + 9)
    assert suggested == pytest.approx(DAY_SECONDS + 60 - clock.monotonic())


def test_reserve_share_is_validated() -> None:
    with pytest.raises(ValueError, match="read_reserve_share"):
        RequestBudget(FakeClock(), daily_quota=10, requests_per_second=1, read_reserve_share=1.0)


class MemoryLedger:
    """A ledger kept in a dict (the store-backed one is tested below)."""

    def __init__(self) -> None:
        self.state: Any = None
        self.saves = 0

    async def load(self) -> Any:
        return self.state

    async def save(self, state: Any) -> None:
        self.state = json.loads(json.dumps(state))  # what a JSON store would give back
        self.saves += 1


def with_ledger(clock: FakeClock, ledger: BudgetLedger, quota: int = 100) -> RequestBudget:
    return RequestBudget(clock, daily_quota=quota, requests_per_second=10.0, ledger=ledger)


async def test_a_restart_remembers_the_days_usage() -> None:
    clock, ledger = FakeClock(), MemoryLedger()
    before = with_ledger(clock, ledger)
    for _ in range(75):
        await before.acquire("write")
    await before.flush()  # the daemon stops

    after = with_ledger(clock, ledger)  # and starts again: same quota window
    for _ in range(5):
        await after.acquire("write")
    with pytest.raises(SourceBudgetRefused, match="80 of 100"):
        await after.acquire("write")
    assert after.used == 80


async def test_saves_are_batched_and_a_crash_loses_at_most_a_few_requests() -> None:
    clock, ledger = FakeClock(), MemoryLedger()
    budget = with_ledger(clock, ledger, quota=1000)
    for _ in range(57):
        await budget.acquire()  # about 6 s: all in one minute
    assert ledger.saves == 6  # on the minute's first request, then every 10th: not each one
    crashed = with_ledger(clock, ledger, quota=1000)  # no flush: the process died
    await crashed.acquire()
    assert crashed.used == 51 + 1  # the last 6 of the 57 are forgotten


async def test_remembered_usage_ages_out_after_a_day() -> None:
    clock, ledger = FakeClock(), MemoryLedger()
    before = with_ledger(clock, ledger)
    for _ in range(80):
        await before.acquire()
    await before.flush()
    clock.advance(DAY_SECONDS + 60)
    after = with_ledger(clock, ledger)
    await after.acquire()
    assert after.used == 1


class BrokenLedger:
    async def load(self) -> Any:
        raise OSError("disk gone")

    async def save(self, state: Any) -> None:
        raise OSError("disk gone")


async def test_a_failing_ledger_never_stops_requests(caplog: pytest.LogCaptureFixture) -> None:
    budget = with_ledger(FakeClock(), BrokenLedger())
    for _ in range(25):
        await budget.acquire()
    await budget.flush()
    assert budget.used == 25
    assert "disk gone" in caplog.text


@pytest.mark.parametrize("state", [None, "junk", {"minutes": "x"}, {"minutes": [[1, "a"], [2]]}])
async def test_an_unreadable_saved_state_is_ignored(state: Any) -> None:
    ledger = MemoryLedger()
    ledger.state = state
    budget = with_ledger(FakeClock(), ledger)
    await budget.acquire()
    assert budget.used == 1


async def test_the_store_ledger_round_trips(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "x.db")
    try:
        clock = FakeClock()
        before = with_ledger(clock, StoreBudgetLedger(store))
        for _ in range(12):
            await before.acquire()
        await before.flush()
        after = with_ledger(clock, StoreBudgetLedger(store))
        await after.acquire()
        assert after.used == 13
    finally:
        await store.close()


async def test_the_source_saves_its_count_when_closed(sim: WisenetSim, clock: FakeClock) -> None:
    ledger = MemoryLedger()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sim.app)) as http:
        source = build_wisenet_source(wisenet_settings(), clock=clock, http=http, ledger=ledger)
        await collect(source, None)
        used = source.budget().used_today
        await source.aclose()
    assert used > 0
    assert sum(count for _, count in ledger.state["minutes"]) == used


async def test_a_request_holds_its_place_until_a_window_after_its_answer() -> None:
    clock = FakeClock()
    budget = make(clock)
    for _ in range(9):
        await budget.acquire()
    async with budget.request("write"):
        clock.advance(0.5)  # the answer takes half a second
    async with budget.request("write"):  # the first nine left the window at 1.0 s
        assert clock.monotonic() == pytest.approx(1.0)
    for _ in range(8):
        await budget.acquire()
    async with budget.request("write"):  # the slow one counts until 0.5 + 1.0 s
        assert clock.monotonic() == pytest.approx(1.5)


async def window_after_a_slow_request(clock: FakeClock, budget: RequestBudget) -> float:
    """One 300 ms request, nine more at its answer: when the eleventh may go, from the send."""
    clock.advance(2.0)  # an empty window
    start = clock.monotonic()
    async with budget.request("write"):
        await clock.sleep(0.3)
    for _ in range(9):
        await budget.acquire()
    await budget.acquire()
    return clock.monotonic() - start


async def test_the_fastest_round_trip_is_credited_once_enough_are_measured() -> None:
    clock = FakeClock()
    budget = make(clock)
    # Unmeasured: the slow request counts until a window after its answer.
    assert await window_after_a_slow_request(clock, budget) == pytest.approx(1.3)
    for _ in range(RTT_SAMPLES):
        async with budget.request("write"):
            await clock.sleep(0.3)  # a steady 300 ms round trip
    # The server saw it no earlier than the fastest round trip (less a margin) before its answer.
    assert await window_after_a_slow_request(clock, budget) == pytest.approx(
        1.0 + RTT_MARGIN_SECONDS
    )


async def test_a_full_window_of_requests_in_flight_waits_for_an_answer() -> None:
    clock = FakeClock()
    budget = make(clock, rps=2)
    order: list[str] = []

    async def slow(name: str) -> None:
        async with budget.request():
            order.append(name)
            await clock.sleep(5)

    async with anyio.create_task_group() as group:
        group.start_soon(slow, "a")
        group.start_soon(slow, "b")
        await anyio.wait_all_tasks_blocked()
        await budget.acquire()  # both in flight: room only a window after the first answer
        order.append("third")
    assert order == ["a", "b", "third"]
    assert clock.monotonic() >= 5 + 1.0
