"""Transactions pulled before their contact was linked are written back once it is."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.sync.conftest import Env, sim_settings
from tests.sync.memory_source import MemorySource, learner
from xerowatch.clock import FakeClock
from xerowatch.sim.xero import XeroSim
from xerowatch.store import alerts
from xerowatch.sync.directory_sync import refresh_directory
from xerowatch.wiring import connect_custom_connection, open_runtime


async def settle_watermarks(env: Env) -> None:
    """Pull again after SETTLE so the next read starts exactly at the watermark (no overlap)."""
    env.clock.advance(200)
    await env.rt.engine.pull(env.tenant)


async def test_invoice_pulled_while_the_create_was_in_doubt_is_written_back_once_linked(
    env: Env,
) -> None:
    env.source.put(learner("R1"))
    # the create is applied at Xero but every answer is lost (max_retries=4 → 5 attempts)
    env.sim.faults.add("apply_then_503", match="POST /Contacts", times=5)
    first = await env.rt.engine.run_cycle()
    assert first.tenants[env.tenant_id].push.retrying == 1
    [contact] = env.sim.contacts(env.tenant_id)
    invoice = env.sim.add_invoice(env.tenant_id, contact["ContactID"], Total=120)
    env.clock.advance(1)
    pulled = await env.rt.engine.pull(env.tenant)  # before the retry: the invoice is unmatched
    assert pulled.total("unmatched") == 1
    await settle_watermarks(env)
    assert env.source.written == []

    await env.rt.engine.run_cycle()  # the learner is reconciled by ContactNumber and linked

    assert [(tx.xero_id, tx.ref_internal) for tx in env.source.written] == [
        (invoice["InvoiceID"], "R1")
    ]
    assert env.source.written[0].learner_source_id == "src-R1"
    again = await env.rt.engine.run_cycle()
    assert again.writeback.written == 0


async def test_adopted_contact_brings_its_earlier_invoices_to_the_learner(
    tmp_path: Path, sim: XeroSim, clock: FakeClock
) -> None:
    tenant_id = sim.tenant_ids()[0]
    existing = sim.add_contact(tenant_id, Name="Ada Learner1 R1")
    invoice = sim.add_invoice(tenant_id, existing["ContactID"], Total=75)
    settings = sim_settings(tmp_path / "a.db", adopt_name_matches=True)
    source = MemorySource()
    transport = httpx.ASGITransport(app=sim.app)
    async with open_runtime(settings, clock=clock, xero_transport=transport, source=source) as rt:
        await connect_custom_connection(rt)
        clock.advance(60)
        before = await rt.engine.run_cycle()  # no learner yet: a walk-in customer's invoice
        assert before.tenants[tenant_id].pull.total("unmatched") == 1
        clock.advance(200)
        await rt.engine.run_cycle()  # the watermark settles: the invoice is not re-read
        source.put(learner("R1"))
        clock.advance(60)
        await rt.engine.run_cycle()
    assert [(tx.xero_id, tx.ref_internal) for tx in source.written] == [
        (invoice["InvoiceID"], "R1")
    ]


async def test_merge_in_xero_brings_the_surviving_contacts_invoices_to_the_learner(
    env: Env,
) -> None:
    env.source.put(learner("R6"))
    await env.rt.engine.run_cycle()
    [ours] = env.sim.contacts(env.tenant_id)
    other = env.sim.add_contact(env.tenant_id, Name="Ada L.")
    invoice = env.sim.add_invoice(env.tenant_id, other["ContactID"], Total=42)
    env.clock.advance(60)
    await env.rt.engine.run_cycle()  # the invoice of a contact that is not a learner yet
    await settle_watermarks(env)
    assert env.source.written == []
    env.sim.merge_contacts(env.tenant_id, other["ContactID"], ours["ContactID"])
    env.sim.update(env.tenant_id, "Contacts", other["ContactID"], ContactNumber="R6")
    await refresh_directory(env.rt.engine.ctx, env.tenant)  # a CONTACT webhook's refresh
    await env.rt.engine.run_cycle()
    assert [(tx.xero_id, tx.ref_internal) for tx in env.source.written] == [
        (invoice["InvoiceID"], "R6")
    ]


async def test_invoice_moved_to_another_learner_is_written_to_that_learner(env: Env) -> None:
    env.source.put(learner("R7"), learner("R8"))
    await env.rt.engine.run_cycle()
    ids = {c["ContactNumber"]: c["ContactID"] for c in env.sim.contacts(env.tenant_id)}
    env.sim.add_invoice(env.tenant_id, ids["R7"], Total=50)
    env.clock.advance(60)
    await env.rt.engine.run_cycle()
    env.clock.advance(60)
    env.sim.merge_contacts(env.tenant_id, ids["R8"], ids["R7"])  # its documents move to R8
    await env.rt.engine.run_cycle()
    assert [tx.learner_source_id for tx in env.source.written] == ["src-R7", "src-R8"]


async def test_invoice_moved_away_from_every_learner_raises_an_alert(env: Env) -> None:
    env.source.put(learner("R9"))
    await env.rt.engine.run_cycle()
    [contact] = env.sim.contacts(env.tenant_id)
    env.sim.add_invoice(env.tenant_id, contact["ContactID"], Total=50, InvoiceNumber="INV-9")
    env.clock.advance(60)
    await env.rt.engine.run_cycle()
    stranger = env.sim.add_contact(env.tenant_id, Name="Walk-in customer")
    env.clock.advance(60)
    # merged the wrong way round: the kept contact has no Contact Code
    env.sim.merge_contacts(env.tenant_id, stranger["ContactID"], contact["ContactID"])
    await env.rt.engine.run_cycle()
    [alert] = await alerts.open_alerts(env.rt.store, type_="transaction_left_learner")
    assert "INV-9" in alert.message and "R9" in alert.message
    assert "Walk-in customer" in alert.message
    assert len(env.source.written) == 1  # nothing written to a learner it no longer belongs to
