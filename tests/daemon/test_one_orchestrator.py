"""`sync --once` is the daemon's loops, once: same steps, same alert for the same failure."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.daemon.engine_world import EngineWorld, open_engine_world
from tests.sync.memory_source import learner
from xerowatch.daemon.engine_loops import EngineWiring
from xerowatch.daemon.webhooks import (
    WisenetWebhookEvent,
    XeroWebhookEvent,
    enqueue_wisenet_poke,
    enqueue_xero_events,
)
from xerowatch.store import alerts, learners, webhook_events
from xerowatch.wiring import Runtime
from xerowatch.xero.errors import XeroError


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[EngineWorld]:
    opened = await open_engine_world(tmp_path)
    try:
        yield opened
    finally:
        await opened.aclose()


async def _runtime(world: EngineWorld, wiring: EngineWiring) -> Runtime:
    wiring.loops_factory(world.context())
    return await wiring.host.runtime()


async def _open_alerts(world: EngineWorld) -> set[tuple[str, str]]:
    return {(a.type, a.tenant_id) for a in await alerts.open_alerts(world.store)}


@pytest.mark.parametrize("runner", ["daemon loop", "sync --once"])
async def test_a_xero_outage_raises_the_same_alert_whoever_runs_the_pull(
    world: EngineWorld, runner: str
) -> None:
    world.sim.faults.add("status", "GET /CreditNotes", times=None, status=500)
    wiring = EngineWiring(world.host())
    rt = await _runtime(world, wiring)

    if runner == "daemon loop":
        [pull] = [
            s
            for s in wiring.loops_factory(world.context())
            if s.name == f"pull_transactions[{world.tenant_id}]"
        ]
        with pytest.raises(XeroError):
            await pull.body()  # the supervisor backs it off
        assert issubclass(XeroError, pull.alerted)  # so no second, loop_failed, alert
    else:
        summary = await rt.engine.run_cycle()
        assert summary.failures and "retried on the next cycle" in summary.failures[0]

    assert await _open_alerts(world) == {("xero_error", world.tenant_id)}


async def test_sync_once_carries_out_the_webhooks_the_daemon_would(world: EngineWorld) -> None:
    world.source.put(learner("R1"))
    invoice = XeroWebhookEvent(world.tenant_id, "inv-1", "INVOICE", "UPDATE", "2026-11-02T09:00Z")
    contact = XeroWebhookEvent(world.tenant_id, "c-1", "CONTACT", "UPDATE", "2026-11-02T09:00Z")
    assert await enqueue_xero_events(world.store, world.clock, [invoice, contact])
    poke = WisenetWebhookEvent("ACC1", "src-R1", "", "Learner", "Updated")
    assert await enqueue_wisenet_poke(world.store, world.clock, poke)
    rt = await _runtime(world, EngineWiring(world.host()))

    summary = await rt.engine.run_cycle()

    assert summary.failures == []
    assert await webhook_events.pending_pokes(world.store) == []
    for categories in (("INVOICE",), ("CONTACT",)):
        assert (
            await webhook_events.pending_xero_events(world.store, world.tenant_id, categories) == []
        )
    assert await learners.get_by_source_id(world.store, "src-R1") is not None
