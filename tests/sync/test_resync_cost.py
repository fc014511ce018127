"""A resync re-reads and compares: it writes only what differs, and counts reads, writes, skips."""

from __future__ import annotations

from tests.sync.conftest import Env
from tests.sync.memory_source import learner
from xerowatch.store import command_queue, resyncs, transactions
from xerowatch.store.command_queue import Command
from xerowatch.sync.commands import execute


async def _resync(env: Env, types: list[str]) -> resyncs.Resync:
    await command_queue.enqueue(
        env.rt.store, "resync", {"from": "2020-01-01", "to": "2030-01-01", "types": types}
    )
    await env.rt.engine.run_cycle()
    [run] = await resyncs.recent(env.rt.store, 1)
    assert run.state == "done", run.message
    return run


async def _synced(env: Env, count: int) -> None:
    for n in range(1, count + 1):
        env.source.put(learner(f"R{n}"))
    await env.rt.engine.run_cycle()
    assert len(env.sim.contacts(env.tenant_id)) == count


async def test_a_learners_resync_with_nothing_changed_writes_nothing(env: Env) -> None:
    await _synced(env, 5)
    writes, written = env.writes(), len(env.source.written)
    run = await _resync(env, ["learners"])
    assert env.writes() == writes  # zero contact writes
    assert len(env.source.written) == written  # zero source writes
    assert "5 read" in run.message and "0 to write" in run.message and "5 unchanged" in run.message
    again = await env.rt.engine.run_cycle()
    assert env.writes() == writes and again.tenants[env.tenant_id].push.updated == 0


async def test_a_learners_resync_rewrites_only_the_contact_edited_in_xero(env: Env) -> None:
    await _synced(env, 4)
    edited = next(c for c in env.sim.contacts(env.tenant_id) if c["ContactNumber"] == "R2")
    env.sim.update(env.tenant_id, "contacts", edited["ContactID"], EmailAddress="typo@example")
    writes = env.writes()
    run = await _resync(env, ["learners"])
    assert "1 to write" in run.message and "3 unchanged" in run.message
    await env.rt.engine.run_cycle()  # the push after the resync writes what it queued
    assert env.writes() == writes + 1
    [fixed] = [c for c in env.sim.contacts(env.tenant_id) if c["ContactNumber"] == "R2"]
    assert fixed["EmailAddress"] == "ada2@example.edu.au"


async def test_an_invoices_resync_rewrites_nothing_unchanged(env: Env) -> None:
    await _synced(env, 2)
    [contact, _] = env.sim.contacts(env.tenant_id)
    for total in (10, 20, 30):
        env.sim.add_invoice(env.tenant_id, contact["ContactID"], Total=total, Date="2026-01-15")
    env.clock.advance(60)
    await env.rt.engine.run_cycle()
    written = len(env.source.written)
    assert written >= 3
    run = await _resync(env, ["invoices"])
    await env.rt.engine.run_cycle()
    assert len(env.source.written) == written
    assert "3 read" in run.message and "0 to write" in run.message and "3 unchanged" in run.message


async def test_an_online_link_is_written_back_once_and_only_when_new(env: Env) -> None:
    await _synced(env, 1)
    [contact] = env.sim.contacts(env.tenant_id)
    invoice = env.sim.add_invoice(
        env.tenant_id, contact["ContactID"], Total=10, Status="AUTHORISED"
    )
    env.clock.advance(60)
    await env.rt.engine.run_cycle()
    before = len(env.source.written)

    async def fetch() -> str:
        cmd = Command(
            0,
            "fetch_online_url",
            {"invoice_id": invoice["InvoiceID"]},
            "running",
            "",
            "",
            None,
            None,
            None,
        )
        return await execute(env.rt.engine, cmd)

    await fetch()
    await env.rt.engine.write_back()
    after_new = len(env.source.written)
    await fetch()
    await env.rt.engine.write_back()
    assert len(env.source.written) == after_new
    assert after_new - before <= 1
    [pending] = [await transactions.counts(env.rt.store)]
    assert pending["pending_write"] == 0
