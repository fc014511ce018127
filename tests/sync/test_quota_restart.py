"""A restarted process remembers the calls of the current minute: it never meets a minute 429."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import anyio
import httpx

from tests.sync.conftest import sim_settings
from tests.sync.memory_source import MemorySource
from xerowatch.clock import FakeClock
from xerowatch.sim.xero import XeroSim
from xerowatch.wiring import Runtime, connect_custom_connection, open_runtime
from xerowatch.xero.paging import CONTACTS
from xerowatch.xero.quota import QuotaLimits, QuotaScheduler, RecentCalls
from xerowatch.xero.transport import TenantRef


async def list_contacts(rt: Runtime, tenant: TenantRef, times: int) -> None:
    """Make `times` one-page list calls, five at a time (Xero's concurrency limit)."""

    async def one() -> None:
        async for _ in rt.xero.iter_pages(CONTACTS, tenant=tenant):
            pass

    for start in range(0, times, 5):
        async with anyio.create_task_group() as group:
            for _ in range(min(5, times - start)):
                group.start_soon(one)


async def test_a_restart_in_the_middle_of_a_full_minute_meets_no_429(
    tmp_path: Path, sim: XeroSim, clock: FakeClock
) -> None:
    settings = sim_settings(tmp_path / "q.db")
    transport = httpx.ASGITransport(app=sim.app)
    async with open_runtime(
        settings, clock=clock, xero_transport=transport, source=MemorySource()
    ) as first:
        [t] = await connect_custom_connection(first)
        tenant = TenantRef(t.tenant_id, t.connection_id)
        await list_contacts(first, tenant, 60)  # the whole minute, within seconds
    assert sim.calls(status=429) == 0

    # A new process: a new scheduler over the same store, calling at once.
    async with open_runtime(
        settings, clock=clock, xero_transport=transport, source=MemorySource()
    ) as second:
        await list_contacts(second, tenant, 30)

    assert sim.calls(status=429) == 0
    assert sim.calls("GET", "*/Contacts", status=200) == 90


async def test_restore_converts_wall_times_to_the_new_process_clock() -> None:
    old = FakeClock()
    old.advance(1_000)
    new = FakeClock(start=old.now() + timedelta(seconds=10))  # monotonic starts at 0 again
    scheduler = QuotaScheduler(QuotaLimits(per_minute=3), new)
    scheduler.restore(
        "t1",
        RecentCalls(
            ended=(old.now() - timedelta(seconds=55), old.now() - timedelta(seconds=5)),
            started=(old.now(),),
            paused_until=None,
        ),
        max_call_s=30.0,
    )
    state = scheduler.snapshot().tenants["t1"]
    # the call that ended 65 s before now has left the window; the other two still count
    assert state.minute_used == 2
    new.advance(46)  # 56 s after the call that ended 5 s before the restart
    assert (
        scheduler.snapshot().tenants["t1"].minute_used == 1
    )  # the unanswered one counts from the restart
    new.advance(21)
    assert scheduler.snapshot().tenants["t1"].minute_used == 0
