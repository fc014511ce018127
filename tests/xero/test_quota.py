"""QuotaScheduler in virtual time: lanes, reserve, day parking and window, header re-sync."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import timedelta

import anyio
import pytest

from xerowatch.clock import FakeClock
from xerowatch.config import XeroSettings
from xerowatch.xero.errors import XeroRateLimited
from xerowatch.xero.quota import DAY_PROBE_S, DAY_S, Lane, QuotaLimits, QuotaScheduler

T = "tenant-acme"


def scheduler(**limits: float) -> tuple[QuotaScheduler, FakeClock]:
    clock = FakeClock()
    return QuotaScheduler(QuotaLimits(**limits), clock), clock  # type: ignore[arg-type]


async def call(quota: QuotaScheduler, tenant: str = T, lane: Lane = Lane.INCREMENTAL) -> None:
    async with quota.slot(tenant, lane):
        pass


async def hold(quota: QuotaScheduler, n: int) -> list[AbstractAsyncContextManager[None]]:
    held = [quota.slot(T, Lane.OPERATOR) for _ in range(n)]
    for slot in held:
        await slot.__aenter__()
    return held


async def release(slot: AbstractAsyncContextManager[None]) -> None:
    await slot.__aexit__(None, None, None)


def test_limits_from_settings() -> None:
    settings = XeroSettings(
        concurrent_limit=3, minute_limit=50, daily_limit=1000, reserve_share=0.3
    )
    limits = QuotaLimits.from_settings(settings)
    assert limits == QuotaLimits(
        concurrent=3, per_minute=50, per_day=1000, app_per_minute=10_000, reserve_share=0.3
    )
    assert limits.day_reserve == 300


# --- lanes ---------------------------------------------------------------------------------------


async def test_an_operator_waiter_goes_before_earlier_bulk_waiters() -> None:
    quota, _ = scheduler()
    held = await hold(quota, 5)
    served: list[str] = []

    async def waiter(name: str, lane: Lane) -> None:
        async with quota.slot(T, lane):
            served.append(name)

    async with anyio.create_task_group() as group:
        for name in ("bulk-1", "bulk-2", "bulk-3"):
            group.start_soon(waiter, name, Lane.BULK)
            await anyio.wait_all_tasks_blocked()
        group.start_soon(waiter, "operator", Lane.OPERATOR)
        group.start_soon(waiter, "incremental", Lane.INCREMENTAL)
        await anyio.wait_all_tasks_blocked()
        assert served == []  # saturated: everyone waits
        await release(held[0])
    assert served == ["operator", "incremental", "bulk-1", "bulk-2", "bulk-3"]
    for slot in held[1:]:
        await release(slot)


async def test_background_is_refused_at_once_while_the_tenant_is_saturated() -> None:
    quota, clock = scheduler()
    held = await hold(quota, 5)
    with pytest.raises(XeroRateLimited) as caught:
        await call(quota, lane=Lane.BACKGROUND)
    assert caught.value.problem == "busy"
    assert clock.monotonic() == 0.0  # no wait: background work takes only room free now
    for slot in held:
        await release(slot)


async def test_background_never_jumps_ahead_of_waiting_work() -> None:
    quota, clock = scheduler()
    held = await hold(quota, 5)
    served: list[str] = []

    async def incremental() -> None:
        async with quota.slot(T, Lane.INCREMENTAL):
            served.append("incremental")

    async with anyio.create_task_group() as group:
        group.start_soon(incremental)
        await anyio.wait_all_tasks_blocked()
        await release(held[0])  # a slot is free, but the incremental call is first in line
        with pytest.raises(XeroRateLimited) as caught:
            await call(quota, lane=Lane.BACKGROUND)
        assert caught.value.problem == "busy"
    assert served == ["incremental"]
    assert clock.monotonic() == 0.0
    for slot in held[1:]:
        await release(slot)


async def test_background_takes_free_minute_room_and_leaves_headroom() -> None:
    quota, clock = scheduler(per_minute=10, reserve_share=0.2)
    for _ in range(8):  # 10 a minute, 2 kept for foreground work
        await call(quota, lane=Lane.BACKGROUND)
    with pytest.raises(XeroRateLimited) as caught:
        await call(quota, lane=Lane.BACKGROUND)
    assert caught.value.problem == "busy"
    assert caught.value.retry_after is None
    await call(quota)  # foreground work still goes now: nothing waits behind the background
    await call(quota, lane=Lane.OPERATOR)
    assert clock.monotonic() == 0.0
    clock.advance(61)
    await call(quota, lane=Lane.BACKGROUND)  # the next window has room again


async def test_bulk_is_refused_inside_the_reserve_and_operators_are_not() -> None:
    quota, _ = scheduler(per_day=100, reserve_share=0.2)
    await call(quota)
    quota.observe(T, {"X-DayLimit-Remaining": "21"})
    assert quota.spare_daily_budget(T) == 1
    await call(quota, lane=Lane.BULK)  # 21 left > reserve of 20
    with pytest.raises(XeroRateLimited) as caught:
        await call(quota, lane=Lane.BULK)
    assert caught.value.problem == "reserve"
    assert caught.value.retry_after == pytest.approx(DAY_S)  # until the day window ends
    await call(quota, lane=Lane.OPERATOR)
    await call(quota, lane=Lane.INCREMENTAL)
    assert quota.snapshot().tenants[T].day_remaining == 18


async def test_background_only_runs_from_spare_budget() -> None:
    quota, _ = scheduler(per_day=50, reserve_share=0.1)
    assert quota.spare_daily_budget(T) == 45
    for _ in range(45):
        await call(quota, lane=Lane.BACKGROUND)
    assert quota.spare_daily_budget(T) == 0
    with pytest.raises(XeroRateLimited) as caught:
        await call(quota, lane=Lane.BACKGROUND)
    assert caught.value.problem == "reserve"
    await call(quota, lane=Lane.OPERATOR)  # the reserve is still there for operators


async def test_reserve_is_unknown_before_the_first_call() -> None:
    quota, _ = scheduler(per_day=10, reserve_share=1.0)
    with pytest.raises(XeroRateLimited) as caught:
        await call(quota, lane=Lane.BULK)
    assert caught.value.retry_after is None


# --- minute and concurrency ----------------------------------------------------------------------


async def test_minute_remaining_zero_holds_the_next_call_for_a_window() -> None:
    quota, clock = scheduler()
    clock.advance(10)
    async with quota.slot(T, Lane.OPERATOR):
        quota.observe(T, {"x-minlimit-remaining": "0"})  # another process used the minute
    assert quota.snapshot().tenants[T].minute_remaining == 0
    await call(quota)
    assert clock.monotonic() >= 70


async def test_a_higher_minute_remaining_never_loosens_the_sliding_log() -> None:
    quota, clock = scheduler(per_minute=3)
    for _ in range(3):
        async with quota.slot(T, Lane.OPERATOR):
            quota.observe(T, {"X-MinLimit-Remaining": "59"})
    await call(quota)
    assert clock.monotonic() >= 60


async def test_minute_pause_holds_the_tenant_until_retry_after() -> None:
    quota, clock = scheduler()
    quota.on_rate_limited(T, "MINUTE", 25)
    state = quota.snapshot().tenants[T]
    assert state.paused_until == clock.now() + timedelta(seconds=25)
    assert state.last_problem == "minute"
    await call(quota, "other-tenant")
    assert clock.monotonic() == 0  # other tenants are not paused
    await call(quota)
    assert clock.monotonic() >= 25


async def test_concurrency_is_per_tenant_and_a_release_admits_the_next() -> None:
    quota, _ = scheduler(concurrent=2)
    held = await hold(quota, 2)
    admitted = anyio.Event()

    async def third() -> None:
        async with quota.slot(T, Lane.OPERATOR):
            admitted.set()

    async with anyio.create_task_group() as group:
        group.start_soon(third)
        await anyio.wait_all_tasks_blocked()
        assert not admitted.is_set()
        await call(quota, "other-tenant")  # not blocked by T's slots
        await release(held[0])
    assert admitted.is_set()
    await release(held[1])
    assert quota.snapshot().tenants[T].in_flight == 0


async def test_app_minute_limit_spans_all_tenants() -> None:
    quota, clock = scheduler(app_per_minute=3)
    for tenant in ("a", "b", "c"):
        await call(quota, tenant)
    assert quota.snapshot().app_minute_remaining == 0
    await call(quota, "d")
    assert clock.monotonic() >= 60


async def test_app_minute_header_resync() -> None:
    quota, clock = scheduler()
    async with quota.slot(T, Lane.OPERATOR):
        quota.observe(T, {"X-AppMinLimit-Remaining": "0"})
    await call(quota, "another-tenant")
    assert clock.monotonic() >= 60


async def test_a_cancelled_waiter_leaves_the_queue_and_a_cancelled_holder_its_slot() -> None:
    quota, _ = scheduler(concurrent=1)
    [held] = await hold(quota, 1)
    served: list[str] = []

    async def waiter(name: str) -> None:
        async with quota.slot(T, Lane.OPERATOR):
            served.append(name)

    async with anyio.create_task_group() as group:
        group.start_soon(waiter, "first")
        await anyio.wait_all_tasks_blocked()
        async with anyio.create_task_group() as inner:
            inner.start_soon(waiter, "cancelled")
            await anyio.wait_all_tasks_blocked()
            inner.cancel_scope.cancel()
        group.start_soon(waiter, "last")
        await anyio.wait_all_tasks_blocked()
        await release(held)
    assert served == ["first", "last"]

    async with anyio.create_task_group() as group:

        async def hold_forever() -> None:
            async with quota.slot(T, Lane.OPERATOR):
                await anyio.sleep_forever()

        group.start_soon(hold_forever)
        await anyio.wait_all_tasks_blocked()
        assert quota.snapshot().tenants[T].in_flight == 1
        group.cancel_scope.cancel()
    assert quota.snapshot().tenants[T].in_flight == 0


# --- day limit -----------------------------------------------------------------------------------


async def test_day_429_parks_until_retry_after_and_then_resets_the_day() -> None:
    quota, clock = scheduler()
    await call(quota)
    quota.on_rate_limited(T, "day", 3600)
    assert quota.is_parked(T)
    assert quota.spare_daily_budget(T) == 0
    state = quota.snapshot().tenants[T]
    assert state.parked_until == clock.now() + timedelta(seconds=3600)
    assert state.day_resets_at == state.parked_until  # learned from Retry-After
    assert state.day_remaining == 0
    with pytest.raises(XeroRateLimited) as caught:
        await call(quota, lane=Lane.OPERATOR)
    assert (caught.value.problem, caught.value.retry_after) == ("day", 3600)
    await call(quota, "other-tenant")
    clock.advance(3600)
    assert not quota.is_parked(T)
    await call(quota)
    assert quota.snapshot().tenants[T].day_used == 1


async def test_a_parked_tenant_fails_its_queued_waiters_at_once() -> None:
    quota, _ = scheduler(concurrent=1)
    [held] = await hold(quota, 1)
    outcomes: list[str] = []

    async def waiter() -> None:
        try:
            await call(quota)
        except XeroRateLimited as exc:
            outcomes.append(exc.problem)

    async with anyio.create_task_group() as group:
        for _ in range(3):
            group.start_soon(waiter)
        await anyio.wait_all_tasks_blocked()
        quota.on_rate_limited(T, "day", 100)
    assert outcomes == ["day", "day", "day"]
    await release(held)


async def test_the_day_window_rolls_a_day_after_the_first_call() -> None:
    quota, clock = scheduler(per_day=5)
    clock.advance(123)
    await call(quota)
    first = clock.now()
    clock.advance(3600)
    await call(quota)
    state = quota.snapshot().tenants[T]
    assert (state.day_used, state.day_resets_at) == (2, first + timedelta(days=1))
    clock.advance(DAY_S - 3600)
    state = quota.snapshot().tenants[T]
    assert (state.day_used, state.day_resets_at) == (0, None)


async def test_our_own_count_parks_the_tenant_and_probes_xero_later() -> None:
    quota, clock = scheduler(per_day=100, reserve_share=0.0)
    async with quota.slot(T, Lane.OPERATOR):
        quota.observe(T, {"X-DayLimit-Remaining": "0"})
    assert quota.is_parked(T)
    with pytest.raises(XeroRateLimited) as caught:
        await call(quota)
    assert caught.value.problem == "day"
    assert caught.value.retry_after == pytest.approx(DAY_PROBE_S)  # the reset is only a guess
    clock.advance(DAY_PROBE_S)
    async with quota.slot(T, Lane.OPERATOR):  # one probe call
        quota.observe(T, {"X-DayLimit-Remaining": "98"})  # Xero's day had restarted
    assert not quota.is_parked(T)
    assert quota.snapshot().tenants[T].day_used == 2


async def test_probe_that_finds_the_day_still_spent_parks_again() -> None:
    quota, clock = scheduler(per_day=100)
    async with quota.slot(T, Lane.OPERATOR):
        quota.observe(T, {"X-DayLimit-Remaining": "0"})
    clock.advance(DAY_PROBE_S)
    await call(quota)
    with pytest.raises(XeroRateLimited):
        await call(quota)


async def test_day_429_without_retry_after_parks_for_a_probe_interval() -> None:
    quota, clock = scheduler()
    await call(quota)
    quota.on_rate_limited(T, "day", None)
    assert quota.snapshot().tenants[T].parked_until == clock.now() + timedelta(seconds=DAY_PROBE_S)


async def test_day_header_resync_counts_unseen_calls_and_ignores_reordering() -> None:
    quota, _ = scheduler(per_day=5000)
    async with quota.slot(T, Lane.OPERATOR):
        quota.observe(T, {"X-DayLimit-Remaining": "4000"})
    assert quota.snapshot().tenants[T].day_used == 1000
    for remaining in ("3998", "4001"):  # a late, older answer is not a reset
        async with quota.slot(T, Lane.OPERATOR):
            quota.observe(T, {"X-DayLimit-Remaining": remaining})
    assert quota.snapshot().tenants[T].day_used == 1003
    async with quota.slot(T, Lane.OPERATOR):
        quota.observe(T, {"X-DayLimit-Remaining": "4990"})  # Xero's day restarted
    assert quota.snapshot().tenants[T].day_used == 10


@pytest.mark.parametrize("value", ["", "abc", "-1", "1.5"])
async def test_malformed_remaining_headers_are_ignored(value: str) -> None:
    quota, _ = scheduler()
    async with quota.slot(T, Lane.OPERATOR):
        quota.observe(T, {"X-DayLimit-Remaining": value, "X-MinLimit-Remaining": value})
    state = quota.snapshot().tenants[T]
    assert (state.day_used, state.minute_used) == (1, 1)


async def test_snapshot_reports_every_tenant() -> None:
    quota, clock = scheduler(per_minute=60, per_day=1000, app_per_minute=100)
    await call(quota, "a")
    async with quota.slot("b", Lane.OPERATOR):
        snap = quota.snapshot()
    assert set(snap.tenants) == {"a", "b"}
    b = snap.tenants["b"]
    assert (b.in_flight, b.minute_used, b.minute_remaining) == (1, 1, 59)
    assert (b.day_used, b.day_remaining, b.parked_until, b.paused_until) == (1, 999, None, None)
    assert (snap.app_minute_used, snap.app_minute_remaining) == (2, 98)
    assert snap.taken_at == clock.now()
    clock.advance(60)
    assert quota.snapshot().tenants["a"].minute_used == 0


async def test_lanes_also_order_waiters_held_back_by_the_minute_window() -> None:
    quota, clock = scheduler(per_minute=1)
    await call(quota)
    served: list[str] = []

    async def waiter(name: str, lane: Lane) -> None:
        async with quota.slot(T, lane):
            served.append(name)

    async with anyio.create_task_group() as group:
        # Both queue at virtual t=0 (a FakeClock sleep never blocks, so no pause in between).
        group.start_soon(waiter, "bulk", Lane.BULK)
        group.start_soon(waiter, "operator", Lane.OPERATOR)
    assert served == ["operator", "bulk"]
    assert clock.monotonic() >= 120  # one call per window
