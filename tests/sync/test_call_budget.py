"""No Xero call is spent where nothing needs writing."""

from __future__ import annotations

from tests.sync.conftest import Env
from tests.sync.memory_source import learner
from xerowatch.store import links


async def test_toggling_sync_to_xero_off_and_on_costs_no_call(env: Env) -> None:
    env.source.put(learner("R1"))
    await env.rt.engine.run_cycle()
    env.source.put(learner("R1", sync_to_xero=False))
    await env.rt.engine.run_cycle()
    env.source.put(learner("R1"))  # ticked again, nothing else changed
    reads, writes = env.sim.calls("GET", "/Contacts"), env.writes()
    summary = await env.rt.engine.run_cycle()
    push = summary.tenants[env.tenant_id].push
    assert (push.unchanged, push.calls) == (1, 0)
    assert (env.sim.calls("GET", "/Contacts"), env.writes()) == (reads, writes)
    link = await links.get_link(env.rt.store, env.tenant_id, "R1")
    assert link is not None and link.state == "synced"
