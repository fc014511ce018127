"""The daemon publishes its live state for attached dashboards; the dashboard's commands."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import anyio
import pytest

from tests.daemon.engine_world import EngineWorld, open_engine_world
from tests.daemon.test_engine_loops import daemon, wake_until
from tests.sync.memory_source import learner
from xerowatch.daemon.engine_loops import EngineWiring
from xerowatch.daemon.live_publisher import PUBLISHER_LOOP, LivePublisher, build_live_state
from xerowatch.daemon.supervisor import LoopHealth
from xerowatch.store import commands, live, overview, resyncs, runtime
from xerowatch.store.db import Store
from xerowatch.store.live import LiveState
from xerowatch.sync.commands import COMMANDS, CommandError
from xerowatch.xero.quota import QuotaSnapshot, TenantQuotaState


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[EngineWorld]:
    opened = await open_engine_world(tmp_path)
    try:
        yield opened
    finally:
        await opened.aclose()


async def test_a_running_daemon_publishes_quota_and_loops_that_the_overview_reads(
    world: EngineWorld,
) -> None:
    world.source.put(learner("DAU1"))
    wiring = EngineWiring(world.host())
    runner = daemon(world, wiring)
    published: list[LiveState] = []

    async def watch() -> None:
        while True:
            state = await live.read(world.store)
            if state and state.tenants.get(world.tenant_id, None) and state.loops:
                quota = state.tenants[world.tenant_id]
                if quota.day_used > 0:
                    published.append(state)
                    return
            await anyio.sleep(0.01)

    async with anyio.create_task_group() as tg:
        tg.start_soon(runner.serve)
        await wake_until(runner, "push_contacts", lambda: world.sim.calls("POST", "/Contacts") > 0)
        with anyio.fail_after(30):
            while not published:
                if runner.supervisor is not None:
                    runner.supervisor.wake(PUBLISHER_LOOP)
                await watch()
        seen = await overview.read_overview(world.store, world.clock.now())
        runner.request_stop()
    [state] = published
    quota = state.tenants[world.tenant_id]
    assert (quota.minute_limit, quota.day_limit) == (
        world.settings.xero.minute_limit,
        world.settings.xero.daily_limit,
    )
    assert PUBLISHER_LOOP not in state.loops  # its own clock would make every second a change
    assert "push_contacts[" + world.tenant_id + "]" in state.loops
    assert seen.daemon is not None and seen.daemon.pid == 7
    assert seen.tenants[0].quota is not None


def _snapshot(minute_used: int) -> QuotaSnapshot:
    now = datetime(2026, 12, 3, tzinfo=UTC)
    tenant = TenantQuotaState(
        "t1", 0, minute_used, 60 - minute_used, 9, 4991, None, None, None, None
    )
    return QuotaSnapshot(
        tenants={"t1": tenant}, app_minute_used=1, app_minute_remaining=9999, taken_at=now
    )


async def test_the_publisher_writes_only_when_something_changed(world: EngineWorld) -> None:
    figures = {"minute_used": 3}
    health = {
        "write_back": LoopHealth("write_back", "", True, False, None, 0, 0, None),
        "commands": LoopHealth("commands", "", True, False, None, 0, 0, None),
    }
    publisher = LivePublisher(
        world.store,
        lambda: build_live_state(
            settings=world.settings,
            quota=_snapshot(figures["minute_used"]),
            budget=None,
            health=health,
        ),
    )
    assert await publisher.publish() is True
    assert await publisher.publish() is False  # same figures: no write, nothing to re-read
    health["commands"] = LoopHealth("commands", "", True, True, datetime.now(UTC), 0, 0, None)
    assert await publisher.publish() is False  # the 4-a-second command poll is no news
    figures["minute_used"] = 4
    assert await publisher.publish() is True
    state = await live.read(world.store)
    assert state is not None and state.tenants["t1"].minute_used == 4


async def _run(wiring: EngineWiring, store: Store, kind: str, args: dict[str, object]) -> str:
    await commands.enqueue(store, kind, args)
    command = await commands.claim_next(store)
    assert command is not None
    return await wiring.executor(command)


async def test_sync_now_wakes_every_syncing_loop(world: EngineWorld) -> None:
    woken: list[str] = []
    wiring = EngineWiring(world.host())
    wiring.loops_factory(world.context(wake=woken.append))
    assert await _run(wiring, world.store, "sync_now", {}) == "sync started"
    assert woken == list(COMMANDS["sync_now"].wakes)
    await runtime.set_paused(world.store, True)
    assert "resume first" in await _run(wiring, world.store, "sync_now", {})


async def test_an_operator_paused_resync_waits_until_resumed(world: EngineWorld) -> None:
    wiring = EngineWiring(world.host())
    wiring.loops_factory(world.context())
    run_id = await resyncs.create(
        world.store, tenant_id="", types=["invoices"], date_from="2020-01-01", date_to="2030-01-01"
    )
    assert "paused" in await _run(wiring, world.store, "pause_resync", {"id": run_id})
    rt = await wiring.host.runtime()
    assert await rt.engine.run_resyncs() == []  # held: not picked up, not resumed by itself
    held = await resyncs.get(world.store, run_id)
    assert held is not None and held.state == "paused"
    assert "resumed" in await _run(wiring, world.store, "resume_resync", {"id": run_id})
    [message] = await rt.engine.run_resyncs()
    assert "done" in message
    finished = await resyncs.get(world.store, run_id)
    assert finished is not None and finished.state == "done"
    with pytest.raises(CommandError, match=f"no active resync {run_id}"):
        await _run(wiring, world.store, "pause_resync", {"id": run_id})
