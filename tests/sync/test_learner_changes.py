"""Learners that change identity in the source: a new RefInternal, a shared one, a toggle."""

from __future__ import annotations

from tests.sync.conftest import Env
from tests.sync.memory_source import learner
from xerowatch.store import alerts, history, links


async def open_alerts(env: Env) -> dict[str, str]:
    return {a.record: a.type for a in await alerts.open_alerts(env.rt.store)}


async def test_a_new_ref_internal_renumbers_the_learners_contact_instead_of_creating_one(
    env: Env,
) -> None:
    env.source.put(learner("R1"))
    await env.rt.engine.run_cycle()
    [before] = env.sim.contacts(env.tenant_id)
    invoice = env.sim.add_invoice(env.tenant_id, before["ContactID"], Total=30)

    env.source.put(learner("R1", ref_internal="R1B"))  # same learner (source id), new number
    env.clock.advance(60)
    summary = await env.rt.engine.run_cycle()

    [after] = env.sim.contacts(env.tenant_id)
    assert after["ContactID"] == before["ContactID"]
    assert (after["ContactNumber"], after["Name"]) == ("R1B", "Ada Learner1 R1B")
    assert summary.tenants[env.tenant_id].push.created == 0
    link = await links.get_link(env.rt.store, env.tenant_id, "R1B")
    assert link is not None and link.contact_id == before["ContactID"]
    assert await links.get_link(env.rt.store, env.tenant_id, "R1") is None
    assert (await open_alerts(env))["R1B"] == "learner_ref_changed"
    assert "renumber" in [h.action for h in await history.for_record(env.rt.store, "R1B")]
    # the learner's transactions still reach it
    assert [tx.xero_id for tx in env.source.written] == [invoice["InvoiceID"]]


async def test_a_new_ref_internal_already_in_xero_alerts_about_the_old_contact(env: Env) -> None:
    env.source.put(learner("R2"))
    await env.rt.engine.run_cycle()
    [old] = env.sim.contacts(env.tenant_id)
    taken = env.sim.add_contact(env.tenant_id, Name="Ada Learner2 R2B", ContactNumber="R2B")

    env.source.put(learner("R2", ref_internal="R2B"))
    await env.rt.engine.run_cycle()

    link = await links.get_link(env.rt.store, env.tenant_id, "R2B")
    assert link is not None and link.contact_id == taken["ContactID"]
    assert len(env.sim.contacts(env.tenant_id)) == 2
    [alert] = [a for a in await alerts.open_alerts(env.rt.store) if a.record == "R2B"]
    assert alert.type == "learner_ref_changed"
    assert old["ContactID"] in alert.message and "Merge" in alert.fix


async def test_two_learners_sharing_a_ref_internal_are_held_with_an_alert(env: Env) -> None:
    env.source.put(learner("R3"), learner("R3", source_id="src-other", first_name="Bea"))
    summary = await env.rt.engine.run_cycle()
    assert env.sim.contacts(env.tenant_id) == []
    assert summary.tenants[env.tenant_id].push.blocked == 1
    [alert] = [a for a in await alerts.open_alerts(env.rt.store) if a.record == "R3"]
    assert alert.type == "learner_ref_shared"
    assert "src-R3" in alert.message and "src-other" in alert.message
    # the source is corrected: the contact is written once, the alert resolves
    env.source.put(learner("R4", source_id="src-other", first_name="Bea"))
    await env.rt.engine.run_cycle()
    assert sorted(c["ContactNumber"] for c in env.sim.contacts(env.tenant_id)) == ["R3", "R4"]
    assert "R3" not in await open_alerts(env)


async def test_a_ref_internal_of_a_deleted_learner_goes_to_the_learner_holding_it_now(
    env: Env,
) -> None:
    env.source.put(learner("R9", source_id="src-new"), learner("R5", source_id="src-gone"))
    await env.rt.engine.run_cycle()
    await env.rt.store.execute(
        "UPDATE learners SET deleted_at = '2026-11-02' WHERE source_id = 'src-gone'"
    )
    env.source.put(learner("R5", source_id="src-new"))  # takes over the deleted one's number
    await env.rt.engine.run_cycle()
    link = await links.get_link(env.rt.store, env.tenant_id, "R5")
    assert link is not None and (link.state, link.source_id) == ("synced", "src-new")
    assert sorted(c["ContactNumber"] for c in env.sim.contacts(env.tenant_id)) == ["R5", "R9"]


async def test_a_page_of_learners_is_stored_in_one_commit(env: Env) -> None:
    env.source.put(*(learner(f"P{i}") for i in range(20)))
    statements: list[str] = []
    await env.rt.store.conn.set_trace_callback(statements.append)
    summary = await env.rt.engine.ingest_source()
    await env.rt.store.conn.set_trace_callback(None)  # type: ignore[arg-type]  # None stops tracing
    assert summary.changed == 20
    assert statements.count("COMMIT") == 1  # 20 learners, their links and the cursor
