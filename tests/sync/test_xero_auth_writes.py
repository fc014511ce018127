"""Xero refusing our token on the write path pauses the pushes with one alert; nothing goes dead."""

from __future__ import annotations

from tests.sync.conftest import Env
from tests.sync.memory_source import learner
from xerowatch.store import alerts, jobs

LEARNERS = 4


async def test_a_401_on_every_write_spends_no_attempt_and_the_push_resumes_by_itself(
    env: Env,
) -> None:
    env.source.put(*(learner(f"R{n}") for n in range(LEARNERS)))
    env.sim.faults.add("status", match="POST /Contacts", times=None, status=401)

    for _ in range(12):  # more cycles than attempts (8): before, every learner went dead
        cycle = await env.rt.engine.run_cycle()
        assert cycle.tenants[env.tenant_id].error is not None
        env.clock.advance(7 * 3600)  # past any backoff

    open_alerts = await alerts.open_alerts(env.rt.store)
    assert [a.type for a in open_alerts] == ["xero_auth"]
    assert await jobs.depth_by_state(env.rt.store) == {"pending": LEARNERS}
    assert env.sim.calls("POST", "*/Contacts") <= 12 * 2  # one batch (and one forced refresh)

    env.sim.faults.clear()  # the organisation is reconnected / Xero accepts the token again
    resumed = await env.rt.engine.run_cycle()

    assert resumed.tenants[env.tenant_id].push.created == LEARNERS
    assert len(env.sim.contacts(env.tenant_id)) == LEARNERS
    assert await alerts.open_alerts(env.rt.store) == []
    assert await jobs.depth_by_state(env.rt.store) == {"done": LEARNERS}
