"""The engine's loops as `xerowatch run` wires them, in-process against the Xero simulator."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import AsyncIterator, Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

import anyio
import anyio.abc
import anyio.lowlevel
import httpx
import pytest

from tests.daemon.engine_world import EngineWorld, GatedTransport, open_engine_world
from tests.daemon.helpers import HANG_GUARD_SECONDS, StillClock, wait_until
from tests.sync.memory_source import MemorySource, learner
from xerowatch.daemon.engine_loops import EngineWiring
from xerowatch.daemon.lease import DaemonLease
from xerowatch.daemon.metrics import render_metrics
from xerowatch.daemon.notify import SystemdNotifier
from xerowatch.daemon.pacing import MIN_EARLY_PULL_GAP_S, pull_interval
from xerowatch.daemon.runner import EXIT_OK, DaemonRunner
from xerowatch.daemon.supervisor import LoopSpec
from xerowatch.daemon.webhooks import (
    WisenetWebhookEvent,
    XeroWebhookEvent,
    enqueue_wisenet_poke,
    enqueue_xero_events,
)
from xerowatch.records import SourceLearner
from xerowatch.source.port import SourceError
from xerowatch.store import commands, jobs, learners, links, runtime
from xerowatch.store.tenants import TenantInfo, deactivate_tenant, upsert_tenants
from xerowatch.xero.errors import XeroError


def daemon(world: EngineWorld, wiring: EngineWiring, **options: Any) -> DaemonRunner:
    """`xerowatch run` on the world's store; its pauses end only when a loop is woken."""
    return DaemonRunner(
        settings=world.settings,
        store=world.store,
        clock=StillClock(),
        loops_factory=wiring.loops_factory,
        executor=wiring.executor,
        status_text=wiring.status_text,
        metrics_source=wiring.host,
        notifier=SystemdNotifier(None),
        lease=DaemonLease(world.store, world.clock, pid=7, host="test-host"),
        handle_signals=False,
        **options,
    )


async def wait_for(event: anyio.Event) -> None:
    with anyio.fail_after(HANG_GUARD_SECONDS):
        await event.wait()


def wake(runner: DaemonRunner, prefix: str) -> None:
    supervisor = runner.supervisor
    assert supervisor is not None
    supervisor.wake(prefix)


async def wake_until(runner: DaemonRunner, prefix: str, condition: Callable[[], bool]) -> None:
    """Wake matching loops until `condition()` holds (a wake before a loop's first run is lost)."""
    with anyio.fail_after(HANG_GUARD_SECONDS):
        while not condition():
            if runner.supervisor is not None:
                runner.supervisor.wake(prefix)
            await anyio.sleep(0.001)


def loop_names(runner: DaemonRunner) -> set[str]:
    supervisor = runner.supervisor
    return set(supervisor.health()) if supervisor else set()


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[EngineWorld]:
    opened = await open_engine_world(tmp_path)
    try:
        yield opened
    finally:
        await opened.aclose()


async def test_a_command_claimed_before_any_loop_opened_the_engine_is_carried_out(
    world: EngineWorld,
) -> None:
    wiring = EngineWiring(world.host())
    wiring.loops_factory(world.context())  # the generation exists; no loop has run yet
    await commands.enqueue(world.store, "pause")
    command = await commands.claim_next(world.store)
    assert command is not None

    result = await wiring.executor(command)

    assert result == "paused all tenants"
    assert await runtime.is_paused(world.store)


async def test_a_tenant_connected_while_running_gets_loops_and_a_disconnected_one_loses_them(
    world: EngineWorld,
) -> None:
    first = world.tenant.tenant_id
    second = "0d3c9a51-7a0c-4c1e-9d62-9a3b1f2c4e77"
    await runtime.set_paused(world.store, True, second)  # its loops run, but call nobody
    runner = daemon(world, EngineWiring(world.host()))
    codes: list[int] = []
    async with anyio.create_task_group() as tg:

        async def serve() -> None:
            codes.append(await runner.serve())

        tg.start_soon(serve)
        await runner.ready.wait()
        assert f"push_contacts[{first}]" in loop_names(runner)

        # `xerowatch connect` in another process stores a second organisation
        info = TenantInfo(second, "Second RTO", "ORGANISATION", None)
        await upsert_tenants(world.store, world.tenant.connection_id, [info])
        await wake_until(
            runner, "watch_tenants", lambda: f"pull_transactions[{second}]" in loop_names(runner)
        )
        assert f"pull_transactions[{first}]" in loop_names(runner)

        # `xerowatch disconnect` of the first one
        await deactivate_tenant(world.store, first)
        await wake_until(
            runner, "watch_tenants", lambda: f"pull_transactions[{first}]" not in loop_names(runner)
        )
        assert f"pull_transactions[{second}]" in loop_names(runner)
        runner.request_stop()

    assert codes == [EXIT_OK]
    assert len(world.opened) == 1  # same configuration: the engine's runtime was kept


async def test_a_store_path_with_uri_characters_still_gets_its_tenants_loops(
    tmp_path: Path,
) -> None:
    odd = await open_engine_world(tmp_path / "state #1 ?x=%41")
    try:
        specs = EngineWiring(odd.host()).loops_factory(odd.context())
    finally:
        await odd.aclose()

    assert f"push_contacts[{odd.tenant.tenant_id}]" in {spec.name for spec in specs}


async def serve_in(tg: anyio.abc.TaskGroup, runner: DaemonRunner, codes: list[int]) -> None:
    async def serve() -> None:
        codes.append(await runner.serve())

    tg.start_soon(serve)
    await runner.ready.wait()


async def test_reload_keeps_the_runtime_when_nothing_changed_and_closes_it_after_the_old_loops(
    world: EngineWorld,
) -> None:
    gate = GatedTransport(httpx.ASGITransport(app=world.sim.app), "GET", "/Invoices", after=False)
    world.transport = gate
    same = world.settings.model_copy()
    changed = world.settings.model_copy(
        update={"sync": world.settings.sync.model_copy(update={"poll_seconds": 30.0})}
    )
    answers = [same, changed]
    runner = daemon(world, EngineWiring(world.host()), settings_loader=lambda: answers.pop(0))
    codes: list[int] = []
    async with anyio.create_task_group() as tg:
        await serve_in(tg, runner, codes)
        await wait_for(gate.entered)  # the first pull is in flight
        gate.release.set()
        assert runner.request_reload()  # the file was re-read, with nothing changed
        await wait_until(lambda: runner.generation == 2)
        assert len(world.opened) == 1  # its quota scheduler (minute window, parked day) kept

        gate.entered, gate.release = anyio.Event(), anyio.Event()
        world.clock.advance(MIN_EARLY_PULL_GAP_S)  # an early pull may run again
        wake(runner, "pull_transactions")
        await wait_for(gate.entered)  # a pull of the running configuration is in flight
        assert runner.request_reload()  # poll_seconds changed
        for _ in range(50):
            await anyio.lowlevel.checkpoint()
        [old] = world.opened
        assert not old.http.is_closed  # still in use by the in-flight pull
        gate.release.set()
        await wait_until(lambda: runner.generation == 3 and len(world.opened) == 2)
        assert old.http.is_closed
        assert not world.opened[1].http.is_closed
        assert world.opened[1].settings.sync.poll_seconds == 30.0
        runner.request_stop()

    assert codes == [EXIT_OK]


@pytest.mark.parametrize("after", [False, True], ids=["before-xero-saw-it", "answer-lost"])
async def test_stop_cancelling_a_contact_batch_mid_call_never_duplicates_after_restart(
    world: EngineWorld, after: bool
) -> None:
    world.source.put(*(learner(f"R{i}") for i in range(60)))
    gate = GatedTransport(httpx.ASGITransport(app=world.sim.app), "POST", "/Contacts", after=after)
    world.transport = gate
    first = daemon(world, EngineWiring(world.host()), shutdown_grace=0.0)
    codes: list[int] = []
    async with anyio.create_task_group() as tg:
        await serve_in(tg, first, codes)
        await wait_for(gate.entered)  # a batch of 50 is on the wire
        first.request_stop()  # no grace: cancelled right there

    assert codes == [EXIT_OK]
    assert len(world.sim.contacts(world.tenant_id)) == (50 if after else 0)
    assert len(await jobs.in_doubt(world.store, world.tenant_id, "contact")) == 50

    world.transport = None  # a fresh process: new clients, same store
    second = daemon(world, EngineWiring(world.host()))
    async with anyio.create_task_group() as tg:
        await serve_in(tg, second, codes)
        await wait_until(lambda: len(world.sim.contacts(world.tenant_id)) >= 60)
        second.request_stop()  # the push that wrote them finishes first

    assert codes == [EXIT_OK, EXIT_OK]
    numbers = Counter(c["ContactNumber"] for c in world.sim.contacts(world.tenant_id))
    assert numbers == Counter({f"R{i}": 1 for i in range(60)})
    assert (await links.count_by_state(world.store)).get("synced") == 60
    assert await jobs.in_doubt(world.store, world.tenant_id, "contact") == []


def spec_named(world: EngineWorld, wiring: EngineWiring, name: str) -> LoopSpec:
    [spec] = [s for s in wiring.loops_factory(world.context()) if s.name == name]
    return spec


async def test_wakes_cannot_pull_more_than_the_budget_allows(world: EngineWorld) -> None:
    pull = spec_named(world, EngineWiring(world.host()), f"pull_transactions[{world.tenant_id}]")
    interval = pull_interval(world.settings)  # 216 s at 5,000 calls a day
    burst = int(3600 // interval)  # an hour's worth of pulls may run early
    pulled_at: list[float] = []
    waits: list[float] = []
    for _ in range(240):  # a webhook (or a push) wakes the puller every 5 s for 20 minutes
        before = world.pulls()
        wait = await pull.body()
        if world.pulls() > before:
            pulled_at.append(world.clock.monotonic())
        elif wait is not None:
            waits.append(wait)
        world.clock.advance(5)

    gaps = [later - earlier for earlier, later in pairwise(pulled_at)]
    assert min(gaps) >= MIN_EARLY_PULL_GAP_S == 30  # at most 10 of the minute's 60 calls
    assert len(pulled_at) <= burst + 1200 / interval  # the day's share, plus the hour's burst
    assert max(gaps) <= interval  # still followed at least at the routine pace
    assert all(0 < wait <= interval for wait in waits)  # the pause ends when a pull may run


class PickySource(MemorySource):
    """A source with records it cannot read (data that fails mapping, a 400 from Wisenet)."""

    def __init__(self) -> None:
        super().__init__()
        self.unreadable: set[str] = set()

    async def get_learner(self, source_id: str) -> SourceLearner | None:
        if source_id in self.unreadable:
            raise SourceError(f"learner {source_id}: DateOfBirth is not a date", transient=False)
        return await super().get_learner(source_id)


async def poke(world: EngineWorld, record_id: str) -> None:
    event = WisenetWebhookEvent("ACC1", record_id, "", "Learner", "Updated")
    assert await enqueue_wisenet_poke(world.store, world.clock, event)


async def test_a_poke_that_cannot_be_read_does_not_block_the_pokes_behind_it(
    world: EngineWorld, caplog: pytest.LogCaptureFixture
) -> None:
    world.source = source = PickySource()
    source.put(learner("R2"))
    source.unreadable.add("src-R1")
    for record_id in ("src-R1", "src-R2", "src-gone"):  # unreadable, known, unknown
        await poke(world, record_id)
    pokes = spec_named(world, EngineWiring(world.host()), "poke_learners")

    with caplog.at_level(logging.WARNING):
        await pokes.body()

    pending = await world.store.fetchall(
        "SELECT resource_id FROM webhook_events WHERE processed_at IS NULL"
    )
    assert pending == []
    assert await learners.get_by_source_id(world.store, "src-R2") is not None
    assert await learners.get_by_source_id(world.store, "src-gone") is None
    assert any(
        "src-R1" in r.getMessage() and "DateOfBirth" in r.getMessage() for r in caplog.records
    )


async def test_a_poke_meeting_a_source_outage_stays_pending_for_the_next_try(
    world: EngineWorld,
) -> None:
    world.source = source = PickySource()
    source.put(learner("R2"))
    await poke(world, "src-R2")
    pokes = spec_named(world, EngineWiring(world.host()), "poke_learners")

    async def outage(source_id: str) -> SourceLearner | None:
        raise SourceError("503 from Wisenet", transient=True)

    source.get_learner = outage  # type: ignore[method-assign]
    with pytest.raises(SourceError):
        await pokes.body()  # the supervisor retries the loop with backoff

    pending = await world.store.fetchall(
        "SELECT resource_id FROM webhook_events WHERE processed_at IS NULL"
    )
    assert [row[0] for row in pending] == ["src-R2"]


async def xero_event(world: EngineWorld, tenant_id: str, category: str = "INVOICE") -> None:
    event = XeroWebhookEvent(tenant_id, "inv-1", category, "UPDATE", "2026-11-02T09:00:00")
    assert await enqueue_xero_events(world.store, world.clock, [event])


async def pending_xero_events(world: EngineWorld) -> list[str]:
    rows = await world.store.fetchall(
        "SELECT tenant_id FROM webhook_events WHERE source = 'xero' AND processed_at IS NULL"
    )
    return [str(row[0]) for row in rows]


async def test_invoice_events_are_marked_processed_only_once_a_pull_succeeded(
    world: EngineWorld,
) -> None:
    await xero_event(world, world.tenant_id)
    pull = spec_named(world, EngineWiring(world.host()), f"pull_transactions[{world.tenant_id}]")
    world.sim.faults.add("status", "GET /CreditNotes", times=None, status=500)

    with pytest.raises(XeroError):
        await pull.body()
    assert await pending_xero_events(world) == [world.tenant_id]

    world.sim.faults.clear()
    await pull.body()
    assert await pending_xero_events(world) == []


async def test_events_of_organisations_not_connected_do_not_stay_pending_forever(
    world: EngineWorld,
) -> None:
    stranger = "6f1a8c52-31b4-4e0e-a1de-5b0d3c7e9f10"  # the app is also connected elsewhere
    await xero_event(world, stranger)
    await xero_event(world, world.tenant_id)
    housekeeping = spec_named(world, EngineWiring(world.host()), "housekeeping")

    await housekeeping.body()

    assert await pending_xero_events(world) == [world.tenant_id]  # left for its puller


async def test_metrics_and_status_line_work_with_no_organisation_and_no_engine_yet(
    world: EngineWorld,
) -> None:
    await deactivate_tenant(world.store, world.tenant_id)
    wiring = EngineWiring(world.host())
    specs = wiring.loops_factory(world.context())
    assert not [spec.name for spec in specs if spec.tenant_id]

    before = await render_metrics(
        store=world.store, now=world.clock.now(), calls=world.calls, source=wiring.host, loops={}
    )
    assert await wiring.status_text() == "starting"
    await spec_named(world, wiring, "housekeeping").body()  # opens the engine
    after = await render_metrics(
        store=world.store, now=world.clock.now(), calls=world.calls, source=wiring.host, loops={}
    )

    for text in (before, after):
        assert b"xerowatch_commands_pending 0.0" in text
        assert b"xerowatch_xero_quota_day_remaining{" not in text
    assert await wiring.status_text() == "0 synced · 0 alerts"
