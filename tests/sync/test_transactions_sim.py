"""Xero → learner: every transaction type and status, unmatched contacts, resync, online links."""

from __future__ import annotations

from collections import Counter

from tests.sync.conftest import Env
from tests.sync.memory_source import learner
from xerowatch.store import command_queue, resyncs
from xerowatch.xero.quota import QuotaLimits


async def synced_contact(env: Env, ref: str) -> str:
    env.source.put(learner(ref))
    await env.rt.engine.run_cycle()
    [contact] = [c for c in env.sim.contacts(env.tenant_id) if c.get("ContactNumber") == ref]
    return str(contact["ContactID"])


EVERY_KIND_AND_STATUS_WRITTEN = Counter(
    {
        ("invoice", "AUTHORISED"): 2,
        ("invoice", "PAID"): 1,
        ("invoice", "VOIDED"): 1,
        ("invoice", "DELETED"): 1,
        ("credit_note", "PAID"): 1,
        ("overpayment", "AUTHORISED"): 1,
        ("prepayment", "AUTHORISED"): 1,
        ("payment", "AUTHORISED"): 1,
    }
)
"""What the every-kind scenario writes back; the parity test expects the same of the other Xero."""


def written(env: Env) -> Counter[tuple[str, str]]:
    return Counter((tx.kind, tx.status) for tx in env.source.written)


async def test_every_kind_and_status_is_written_back_once(env: Env) -> None:
    cid = await synced_contact(env, "R1")
    sim, tid = env.sim, env.tenant_id
    sim.add_invoice(tid, cid, Total=200)
    paid = sim.add_invoice(tid, cid, Total=150)
    sim.add_payment(tid, paid["InvoiceID"], 150)
    voided = sim.add_invoice(tid, cid, Total=80)
    sim.update(tid, "Invoices", voided["InvoiceID"], Status="VOIDED")
    deleted = sim.add_invoice(tid, cid, Total=60, Status="DRAFT")
    sim.update(tid, "Invoices", deleted["InvoiceID"], Status="DELETED")
    credited = sim.add_invoice(tid, cid, Total=100)
    sim.add_credit_note(tid, cid, allocations=[(credited["InvoiceID"], 40)], Total=40)
    sim.add_overpayment(tid, cid, Total=25)
    sim.add_prepayment(tid, cid, Total=300)
    sim.add_invoice(tid, cid, Total=999, Status="DRAFT")  # drafts are not synced
    stranger = sim.add_contact(tid, Name="Walk-in customer")
    sim.add_invoice(tid, stranger["ContactID"], Total=10)  # not a xerowatch contact
    env.clock.advance(60)

    summary = await env.rt.engine.run_cycle()

    pull = summary.tenants[tid].pull
    assert pull.total("unmatched") == 1
    assert written(env) == EVERY_KIND_AND_STATUS_WRITTEN
    assert {tx.ref_internal for tx in env.source.written} == {"R1"}
    assert summary.writeback.written == 9

    again = await env.rt.engine.run_cycle()
    assert again.writeback.written == 0  # once per change


async def test_a_void_after_write_back_propagates(env: Env) -> None:
    cid = await synced_contact(env, "R2")
    invoice = env.sim.add_invoice(env.tenant_id, cid, Total=120)
    env.clock.advance(60)
    await env.rt.engine.run_cycle()
    env.clock.advance(60)
    env.sim.update(env.tenant_id, "Invoices", invoice["InvoiceID"], Status="VOIDED")
    await env.rt.engine.run_cycle()
    statuses = [tx.status for tx in env.source.written if tx.xero_id == invoice["InvoiceID"]]
    assert statuses == ["AUTHORISED", "VOIDED"]


async def test_incremental_pull_reads_only_changes(env: Env) -> None:
    cid = await synced_contact(env, "R3")
    env.sim.add_invoice(env.tenant_id, cid, Total=10)
    env.clock.advance(60)
    await env.rt.engine.run_cycle()
    before = env.sim.calls("GET", "/Invoices")
    await env.rt.engine.run_cycle()
    assert env.sim.calls("GET", "/Invoices") == before + 1  # one page, nothing new
    last = [r for r in env.sim.requests if r.path == "/Invoices"][-1]
    assert last.query["pageSize"] == "1000"


async def test_failed_write_back_retries_then_succeeds(env: Env) -> None:
    cid = await synced_contact(env, "R4")
    env.sim.add_invoice(env.tenant_id, cid, Total=10)
    env.source.fail_writes = 1
    env.clock.advance(60)
    summary = await env.rt.engine.run_cycle()
    assert summary.writeback.retrying == 1 and env.source.written == []
    env.clock.advance(3600)
    summary = await env.rt.engine.run_cycle()
    assert summary.writeback.written == 1


async def test_resync_by_date_range_rereads_only_that_range(env: Env) -> None:
    cid = await synced_contact(env, "R5")
    env.sim.add_invoice(env.tenant_id, cid, Total=10, Date="2026-01-15")
    env.sim.add_invoice(env.tenant_id, cid, Total=20, Date="2026-03-15")
    env.clock.advance(60)
    await env.rt.engine.run_cycle()
    env.source.written.clear()
    await command_queue.enqueue(
        env.rt.store, "resync", {"from": "2026-01-01", "to": "2026-02-01", "types": ["invoices"]}
    )
    summary = await env.rt.engine.run_cycle()
    assert any("done" in line for line in summary.resyncs)
    [run] = await resyncs.recent(env.rt.store, 1)
    assert (run.state, run.done, run.total) == ("done", 1, 1)
    ranged = [r for r in env.sim.requests if r.path == "/Invoices" and "where" in r.query]
    assert "DateTime(2026,01,01)" in ranged[0].query["where"]
    assert "1 read, 0 to write, 1 unchanged" in run.message
    assert env.source.written == []  # unchanged since its write-back: not written again


async def test_online_invoice_link_on_demand_is_written_back(env: Env) -> None:
    ctx = env.rt.engine.ctx
    ctx.settings = ctx.settings.model_copy(update={"fetch_online_invoice_urls": False})
    cid = await synced_contact(env, "R6")
    invoice = env.sim.add_invoice(env.tenant_id, cid, Total=10)
    env.clock.advance(60)
    await env.rt.engine.run_cycle()
    assert env.sim.calls("GET", "/Invoices/*/OnlineInvoice") == 0  # not fetched unasked
    assert env.source.written[-1].online_invoice_url is None
    await command_queue.enqueue(
        env.rt.store,
        "fetch_online_url",
        {"invoice_id": invoice["InvoiceID"], "tenant_id": env.tenant_id},
    )
    await env.rt.engine.run_cycle()
    links = [
        tx.online_invoice_url for tx in env.source.written if tx.xero_id == invoice["InvoiceID"]
    ]
    assert links[-1] is not None and links[-1].startswith("https://in.xero.com/")


async def test_one_cycle_writes_back_more_than_one_chunk(env: Env) -> None:
    cid = await synced_contact(env, "R7")
    for _ in range(620):
        env.sim.add_invoice(env.tenant_id, cid, Total=5)
    env.clock.advance(60)
    summary = await env.rt.engine.run_cycle()
    assert summary.writeback.written == 620
    assert env.sim.calls("GET", "/Invoices") == 2  # pages of 1,000: nothing re-read


async def test_background_links_take_only_free_room_and_never_wait(env: Env) -> None:
    cid = await synced_contact(env, "R8")
    for _ in range(80):
        env.sim.add_invoice(env.tenant_id, cid, Total=5)
    env.clock.advance(60)
    started = env.clock.monotonic()
    first = await env.rt.engine.run_cycle()
    assert env.clock.monotonic() == started  # no wait on Xero's minute window
    room = QuotaLimits.from_settings(env.settings.xero).background_minute_room  # 48 of 60
    assert sum(first.calls.values()) == room  # links filled the free room, no more
    assert 0 < first.tenants[env.tenant_id].online_urls < 80
    assert first.writeback.written >= 80  # the write-back did not queue behind the links
    again = await env.rt.engine.run_cycle()  # right after: the minute has no free room
    assert again.tenants[env.tenant_id].online_urls == 0
    assert env.clock.monotonic() == started
    env.clock.advance(61)
    later = await env.rt.engine.run_cycle()
    assert later.tenants[env.tenant_id].online_urls > 0
