"""The seed scenarios against the simulator: duplicates, archived, merged, call budgets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from tests.sync.conftest import Env, sim_settings
from tests.sync.memory_source import MemorySource, learner
from xerowatch.clock import FakeClock
from xerowatch.sim.xero import XeroSim
from xerowatch.source.port import LearnerBatch
from xerowatch.store import alerts, history, links
from xerowatch.wiring import connect_custom_connection, open_runtime


async def open_alert_types(env: Env) -> dict[str, str]:
    return {a.record: a.type for a in await alerts.open_alerts(env.rt.store)}


async def test_1000_new_learners_cost_20_writes_and_one_directory_page(env: Env) -> None:
    env.source.put(*(learner(f"L{i:05d}") for i in range(1000)))
    summary = await env.rt.engine.run_cycle()
    assert summary.tenants[env.tenant_id].push.created == 1000
    assert env.sim.calls("POST", "/Contacts") == 20
    assert env.sim.calls("GET", "/Contacts") == 1
    assert env.sim.calls(status=429) == 0
    assert summary.calls["POST /Contacts"] == 20


async def test_pre_existing_duplicate_by_name_alerts_and_is_not_created(env: Env) -> None:
    env.sim.add_contact(env.tenant_id, Name="Ada Learner1 R1", EmailAddress="ada1@example.edu.au")
    env.source.put(learner("R1"), learner("R2"))
    await env.rt.engine.run_cycle()
    names = sorted(c["Name"] for c in env.sim.contacts(env.tenant_id))
    assert names == ["Ada Learner1 R1", "Ada Learner2 R2"]
    assert (await open_alert_types(env))["R1"] == "xero_duplicate_name"
    [alert] = [a for a in await alerts.open_alerts(env.rt.store) if a.record == "R1"]
    assert "Merge it in Xero keeping the xerowatch contact" in alert.fix
    link = await links.get_link(env.rt.store, env.tenant_id, "R1")
    assert link is not None and link.state == "blocked"


async def test_adopt_policy_takes_over_the_name_match(
    tmp_path: Path, sim: XeroSim, clock: FakeClock
) -> None:
    existing = sim.add_contact(sim.tenant_ids()[0], Name="Ada Learner1 R1")
    settings = sim_settings(tmp_path / "a.db", adopt_name_matches=True)
    source = MemorySource()
    source.put(learner("R1"))
    transport = httpx.ASGITransport(app=sim.app)
    async with open_runtime(settings, clock=clock, xero_transport=transport, source=source) as rt:
        await connect_custom_connection(rt)
        summary = await rt.engine.run_cycle()
    [contact] = sim.contacts(sim.tenant_ids()[0])
    assert contact["ContactID"] == existing["ContactID"]
    assert contact["ContactNumber"] == "R1"
    assert summary.tenants[sim.tenant_ids()[0]].push.updated == 1


async def test_pre_integration_person_contact_is_flagged_for_merging(env: Env) -> None:
    env.sim.add_contact(env.tenant_id, Name="Ada Learner3")
    env.source.put(learner("R3"))
    await env.rt.engine.run_cycle()
    assert len(env.sim.contacts(env.tenant_id)) == 2
    assert (await open_alert_types(env))["R3"] == "xero_possible_duplicate"


async def test_archived_contact_alerts_with_both_ways_out(env: Env) -> None:
    env.source.put(learner("R4"))
    await env.rt.engine.run_cycle()
    [contact] = env.sim.contacts(env.tenant_id)
    env.sim.archive_contact(env.tenant_id, contact["ContactID"])
    env.source.put(learner("R4", email="changed@example.com"))
    await env.rt.engine.run_cycle()
    [alert] = await alerts.open_alerts(env.rt.store)
    assert alert.type == "xero_contact_archived"
    assert "Re-activate" in alert.fix and "untick Sync to Xero" in alert.fix
    assert env.sim.contacts(env.tenant_id)[0]["EmailAddress"] == "ada4@example.edu.au"


async def test_reactivate_policy(tmp_path: Path, sim: XeroSim, clock: FakeClock) -> None:
    tenant_id = sim.tenant_ids()[0]
    archived = sim.add_contact(tenant_id, Name="Ada Learner5 R5", ContactNumber="R5")
    sim.archive_contact(tenant_id, archived["ContactID"])
    settings = sim_settings(tmp_path / "r.db", reactivate_archived=True)
    source = MemorySource()
    source.put(learner("R5"))
    transport = httpx.ASGITransport(app=sim.app)
    async with open_runtime(settings, clock=clock, xero_transport=transport, source=source) as rt:
        await connect_custom_connection(rt)
        await rt.engine.run_cycle()
    [contact] = sim.contacts(tenant_id)
    assert contact["ContactStatus"] == "ACTIVE"
    assert contact["EmailAddress"] == "ada5@example.edu.au"


async def test_merged_contact_is_relinked_and_recorded(env: Env) -> None:
    env.source.put(learner("R6"))
    await env.rt.engine.run_cycle()
    [ours] = env.sim.contacts(env.tenant_id)
    other = env.sim.add_contact(env.tenant_id, Name="Ada L. (merged)")
    env.sim.merge_contacts(env.tenant_id, other["ContactID"], ours["ContactID"])
    env.sim.update(env.tenant_id, "Contacts", other["ContactID"], ContactNumber="R6")
    env.source.put(learner("R6", email="after.merge@example.com"))
    await env.rt.engine.run_cycle()
    link = await links.get_link(env.rt.store, env.tenant_id, "R6")
    assert link is not None and link.contact_id == other["ContactID"]
    [contact] = env.sim.contacts(env.tenant_id)
    assert contact["EmailAddress"] == "after.merge@example.com"
    actions = [h.action for h in await history.for_record(env.rt.store, "R6")]
    assert "relink" in actions


async def test_unknown_country_and_missing_postcode_alert_per_learner(env: Env) -> None:
    from xerowatch.records import SourceAddress

    env.source.put(
        learner("R7", postal_address=SourceAddress(state="NSW", postcode="2000", country="Narnia")),
        learner("R8", postal_address=SourceAddress(state="VIC", country="Australia")),
        learner("R9"),
    )
    await env.rt.engine.run_cycle()
    found = {a.record: a.message for a in await alerts.open_alerts(env.rt.store)}
    assert found == {
        "R7": "Country unknown: Narnia",
        "R8": "Postal address has no postcode",
    }
    assert [c["ContactNumber"] for c in env.sim.contacts(env.tenant_id)] == ["R9"]


async def test_fixing_the_learner_resolves_the_alert_and_syncs(env: Env) -> None:
    env.source.put(learner("R10", email=None))
    await env.rt.engine.run_cycle()
    assert await alerts.count_open(env.rt.store) == 1
    env.source.put(learner("R10"))
    await env.rt.engine.run_cycle()
    assert await alerts.count_open(env.rt.store) == 0
    assert len(env.sim.contacts(env.tenant_id)) == 1


async def test_source_outage_is_an_alert_not_a_crash(env: Env, monkeypatch) -> None:
    from xerowatch.source.port import SourceError

    env.source.put(learner("R11"))
    await env.rt.engine.run_cycle()

    async def down(cursor: str | None) -> AsyncIterator[LearnerBatch]:
        raise SourceError("HTTP 503 from Wisenet", transient=True)
        yield  # pragma: no cover - makes this an async generator

    monkeypatch.setattr(env.source, "changed_learners", down)
    summary = await env.rt.engine.run_cycle()
    assert summary.source.seen == 0
    assert "source_unavailable" in {a.type for a in await alerts.open_alerts(env.rt.store)}
    monkeypatch.undo()
    await env.rt.engine.run_cycle()
    assert "source_unavailable" not in {a.type for a in await alerts.open_alerts(env.rt.store)}
