"""One write-back pass: one PUT per transaction and change, concurrent writers, batched books."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.sync.conftest import Env
from tests.sync.memory_source import learner
from tests.sync.wisenet_world import World, wisenet_world
from xerowatch.records import SourceTransaction
from xerowatch.store import transactions
from xerowatch.sync.online_urls import fetch_online_url
from xerowatch.sync.writeback import write_back


async def pulled(world: World, per_learner: int) -> list[str]:
    ids = world.add_invoices(per_learner)
    [tenant] = await world.rt.engine.tenants()
    await world.rt.engine.pull(tenant)
    return ids


async def test_an_online_link_alone_costs_no_second_put(tmp_path: Path) -> None:
    async with wisenet_world(tmp_path, learners=2) as world:
        ids = await pulled(world, per_learner=1)
        first = await world.rt.engine.write_back()
        assert first.written == world.puts() == 2
        [tenant] = await world.rt.engine.tenants()
        url = await fetch_online_url(world.rt.engine.ctx, tenant, ids[0])
        assert url  # the link is stored, and the invoice is due again in the store's eyes
        assert len(await transactions.pending_writes(world.rt.store)) == 1

        again = await world.rt.engine.write_back()

        assert world.puts() == 2  # Wisenet has no field for the link: nothing new to send
        assert (again.written, again.unchanged) == (0, 1)
        assert await transactions.pending_writes(world.rt.store) == []
        world.xero.update(world.tenant_id, "Invoices", ids[0], Status="VOIDED")
        world.clock.advance(60)
        await world.rt.engine.pull(tenant)
        voided = await world.rt.engine.write_back()
        assert (voided.written, world.puts()) == (1, 3)  # a real change is still sent


async def test_every_change_within_a_pass_is_one_write(env: Env) -> None:
    env.source.put(learner("R1"))
    await env.rt.engine.run_cycle()
    [contact] = env.sim.contacts(env.tenant_id)
    for total in (10, 20, 30):
        env.sim.add_invoice(env.tenant_id, contact["ContactID"], Total=total)
    env.clock.advance(60)
    [tenant] = await env.rt.engine.tenants()
    await env.rt.engine.pull(tenant)
    store, source = env.rt.store, env.source
    original = source.write_transaction
    changed: list[str] = []

    async def write_and_change(tx: SourceTransaction) -> None:
        await original(tx)
        if not changed:  # the transaction changes again while the pass is running
            changed.append(tx.xero_id)
            await transactions.set_online_url(store, env.tenant_id, tx.xero_id, "https://x/1")

    source.write_transaction = write_and_change  # type: ignore[method-assign]
    summary = await write_back(env.rt.engine.ctx, chunk=2, batch=1)

    per_invoice = Counter(tx.xero_id for tx in source.written)
    assert summary.written == 3 and set(per_invoice.values()) == {1}
    [left] = await transactions.pending_writes(store)  # its newest change: the next pass
    assert left.xero_id == changed[0]


async def test_write_backs_come_newest_first(env: Env) -> None:
    env.source.put(learner("R2"))
    await env.rt.engine.run_cycle()
    [contact] = env.sim.contacts(env.tenant_id)
    for day in ("2024-01-10", "2026-11-01", "2025-06-01"):
        env.sim.add_invoice(env.tenant_id, contact["ContactID"], Total=10, Date=day)
        env.clock.advance(60)  # each one updated later than the one before
    [tenant] = await env.rt.engine.tenants()
    await env.rt.engine.pull(tenant)
    await write_back(env.rt.engine.ctx)
    dates = [str(tx.date) for tx in env.source.written]
    assert dates == ["2025-06-01", "2026-11-01", "2024-01-10"]  # last changed first


async def timed_pass(tmp_path: Path, writers: int, jitter: float = 0.0) -> tuple[float, list[int]]:
    """Virtual seconds to write back 120 invoices at a 300 ms round trip; Wisenet's statuses."""
    async with wisenet_world(
        tmp_path / f"{writers}-{jitter}",
        learners=6,
        sync={"writeback_concurrency": writers},
        latency=0.3,
        jitter=jitter,
    ) as world:
        await pulled(world, per_learner=20)
        start, before = world.clock.monotonic(), len(world.wisenet.requests)
        summary = await world.rt.engine.write_back()
        assert summary.written == 120
        statuses = [r.status for r in world.wisenet.requests[before:] if r.method == "PUT"]
        return world.clock.monotonic() - start, statuses


async def test_concurrent_writers_share_the_budget_with_no_429(tmp_path: Path) -> None:
    alone, statuses_1 = await timed_pass(tmp_path, writers=1)
    together, statuses_3 = await timed_pass(tmp_path, writers=3)
    jittery, statuses_jitter = await timed_pass(tmp_path, writers=3, jitter=0.1)
    for statuses in (statuses_1, statuses_3, statuses_jitter):
        assert len(statuses) == 120 and set(statuses) == {200}  # one request each, no 429
    assert alone == pytest.approx(120 * 0.3)  # one at a time: a round trip each
    # Three writers fill the 10-a-second window (ramp-up and batch ends included).
    assert 120 / together >= 8.5
    assert together < jittery < alone  # jitter shrinks the credit the pacing may take


async def test_the_books_of_a_batch_are_two_transactions(tmp_path: Path) -> None:
    async with wisenet_world(tmp_path, learners=5) as world:
        await pulled(world, per_learner=20)
        statements: list[str] = []
        await world.rt.store.conn.set_trace_callback(statements.append)
        summary = await write_back(world.rt.engine.ctx, batch=50)  # 2 batches
        await world.rt.store.conn.set_trace_callback(None)  # type: ignore[arg-type]
        assert summary.written == 100
        commits = [s for s in statements if s.strip().upper() == "COMMIT"]
        # 2 batches x (attempts begun + results) + the one source-credential alert check
        assert len(commits) <= 5, len(commits)
