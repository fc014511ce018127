"""The engine against the loopback Xero simulator: call counts, duplicates, seed scenarios."""

from __future__ import annotations

from tests.sync.conftest import Env
from tests.sync.memory_source import learner
from xerowatch.store import alerts, links


async def test_first_cycle_creates_contacts_in_batches_of_50(env: Env) -> None:
    env.source.put(*(learner(f"DAU{i:07d}") for i in range(120)))
    summary = await env.rt.engine.run_cycle()
    push = summary.tenants[env.tenant_id].push
    assert push.created == 120
    assert env.sim.calls("POST", "*/Contacts") == 3
    contacts = env.sim.contacts(env.tenant_id)
    assert len(contacts) == 120
    assert {c["ContactNumber"] for c in contacts} == {f"DAU{i:07d}" for i in range(120)}
    assert contacts[0]["Name"] == "Ada Learner0 DAU0000000"


async def test_second_cycle_without_changes_makes_no_write(env: Env) -> None:
    env.source.put(*(learner(f"R{i}") for i in range(10)))
    await env.rt.engine.run_cycle()
    writes = env.writes()
    summary = await env.rt.engine.run_cycle()
    assert env.writes() == writes
    assert summary.tenants[env.tenant_id].push.created == 0
    assert not any(endpoint.startswith(("POST", "PUT")) for endpoint in summary.calls)


async def test_changed_learner_updates_its_contact_by_id(env: Env) -> None:
    env.source.put(learner("R1"))
    await env.rt.engine.run_cycle()
    env.source.put(learner("R1", email="new.address@example.com"))
    summary = await env.rt.engine.run_cycle()
    assert summary.tenants[env.tenant_id].push.updated == 1
    [contact] = env.sim.contacts(env.tenant_id)
    assert contact["EmailAddress"] == "new.address@example.com"


async def test_invalid_learner_alerts_and_the_rest_of_the_batch_goes_on(env: Env) -> None:
    env.source.put(learner("R1"), learner("R2", email="a b@example.com"), learner("R3"))
    await env.rt.engine.run_cycle()
    assert len(env.sim.contacts(env.tenant_id)) == 2
    [alert] = await alerts.open_alerts(env.rt.store)
    assert (alert.type, alert.record) == ("learner_invalid", "R2")
    assert alert.message == "Email has blanks: 'a b@example.com'"
    link = await links.get_link(env.rt.store, env.tenant_id, "R2")
    assert link is not None and link.state == "invalid"


async def test_sync_off_is_not_synced(env: Env) -> None:
    env.source.put(learner("R1", sync_to_xero=False))
    await env.rt.engine.run_cycle()
    assert env.sim.contacts(env.tenant_id) == []
    assert env.writes() == 0
