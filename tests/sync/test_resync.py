"""Resync runs: a paused run resumes where it stopped; a Xero failure never stops the cycle."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.sync.conftest import Env
from tests.sync.memory_source import learner
from xerowatch.store import alerts, command_queue, resyncs
from xerowatch.xero.errors import XeroRateLimited
from xerowatch.xero.paging import CREDIT_NOTES, ListQuery


async def ranged_reads(env: Env, path: str) -> int:
    return len([r for r in env.sim.requests if r.path == path and "where" in r.query])


async def seeded(env: Env) -> None:
    env.source.put(learner("R1"))
    await env.rt.engine.run_cycle()
    [contact] = env.sim.contacts(env.tenant_id)
    cid = contact["ContactID"]
    env.sim.add_invoice(env.tenant_id, cid, Total=10, Date="2026-01-15")
    env.sim.add_credit_note(env.tenant_id, cid, Total=5, Date="2026-01-20")
    env.clock.advance(60)
    await env.rt.engine.run_cycle()
    await command_queue.enqueue(
        env.rt.store,
        "resync",
        {"from": "2026-01-01", "to": "2026-02-01", "types": ["invoices", "credit_notes"]},
    )


async def test_a_run_paused_by_the_day_limit_resumes_where_it_stopped(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seeded(env)
    real = env.rt.xero.iter_pages
    limited = [True]

    def iter_pages(endpoint: Any, query: ListQuery, **kwargs: Any) -> AsyncIterator[Any]:
        if endpoint is CREDIT_NOTES and query.where is not None and limited[0]:
            limited[0] = False
            raise XeroRateLimited("day limit reached", problem="day", retry_after=3600)
        return real(endpoint, query, **kwargs)

    monkeypatch.setattr(env.rt.xero, "iter_pages", iter_pages)
    first = await env.rt.engine.run_cycle()
    assert any("paused" in line for line in first.resyncs)
    [run] = await resyncs.recent(env.rt.store, 1)
    assert (run.state, run.done) == ("paused", 1)

    second = await env.rt.engine.run_cycle()
    assert any("done" in line for line in second.resyncs)
    assert await ranged_reads(env, "/Invoices") == 1  # not read again on resuming
    assert await ranged_reads(env, "/CreditNotes") == 1
    [run] = await resyncs.recent(env.rt.store, 1)
    assert (run.state, run.done, run.total, run.calls_used) == ("done", 2, 2, 2)


async def test_a_xero_outage_pauses_the_run_and_the_cycle_carries_on(env: Env) -> None:
    await seeded(env)
    env.sim.faults.add("status", match="GET /CreditNotes", times=None, status=500)
    summary = await env.rt.engine.run_cycle()  # must not raise
    assert any("paused" in line for line in summary.resyncs)
    [run] = await resyncs.recent(env.rt.store, 1)
    assert run.state == "paused" and "500" in run.message
    env.sim.faults.clear()
    await env.rt.engine.run_cycle()
    [run] = await resyncs.recent(env.rt.store, 1)
    assert run.state == "done"


async def test_a_refused_range_fails_the_run_with_an_alert(env: Env) -> None:
    await seeded(env)
    # the cycle's own pull reads /Invoices first; the resync's ranged read is refused
    env.sim.faults.add("status", match="GET /Invoices", times=1, status=404, skip=1)
    summary = await env.rt.engine.run_cycle()
    assert any("failed" in line for line in summary.resyncs)
    [run] = await resyncs.recent(env.rt.store, 1)
    assert run.state == "failed"
    assert "resync_failed" in {a.type for a in await alerts.open_alerts(env.rt.store)}
