"""Wisenet's day in the write-back: a refused request is not an attempt; reads keep a reserve."""

from __future__ import annotations

from pathlib import Path

from tests.sync.wisenet_world import wisenet_world
from xerowatch.store import jobs, transactions
from xerowatch.store.history import recent


async def test_with_the_day_spent_a_pass_sends_nothing_and_spends_no_attempt(
    tmp_path: Path,
) -> None:
    async with wisenet_world(tmp_path, learners=5, wisenet={"daily_quota": 60}) as world:
        world.add_invoices(per_learner=20)  # 100 invoices: more than the day allows
        [tenant] = await world.rt.engine.tenants()
        await world.rt.engine.pull(tenant)
        first = await world.rt.engine.write_back()
        sent = world.puts()
        assert first.written == sent > 0
        assert first.budget_refused is not None and "reading learners" in first.budget_refused
        assert first.retrying == first.failed == 0
        history_before = len(await recent(world.rt.store, 100_000))

        again = await world.rt.engine.write_back()

        assert world.puts() == sent  # nothing sent
        assert again.written == again.retrying == again.failed == 0
        assert again.budget_refused is not None
        assert len(await recent(world.rt.store, 100_000)) == history_before  # no history row
        depth = await jobs.depth_by_state(world.rt.store)
        assert depth.get("dead", 0) == depth.get("retry", 0) == depth.get("running", 0) == 0
        job_rows = await jobs.failed_jobs(world.rt.store)
        assert job_rows == []
        due = await transactions.pending_writes(
            world.rt.store, limit=1000, due_at=world.clock.now().isoformat()
        )
        assert len(due) == 100 - sent  # every unwritten one is still due, none waits a backoff
        for item in due:
            job = await jobs.get_job(
                world.rt.store, world.tenant_id, "writeback", f"{item.kind}:{item.xero_id}"
            )
            assert job is None or job.attempts == 0


async def test_a_write_back_backlog_leaves_the_reserve_for_reading_learners(
    tmp_path: Path,
) -> None:
    async with wisenet_world(tmp_path, learners=5, wisenet={"daily_quota": 100}) as world:
        world.add_invoices(per_learner=40)  # 200 write-backs: twice the whole day
        summary = await world.rt.engine.run_cycle()
        assert summary.writeback.budget_refused is not None
        budget = world.source.budget()
        assert budget.used_today <= 80  # write-backs stopped at the 20 % reserve
        contacts_before = len(world.xero.contacts(world.tenant_id))
        world.wisenet.seed_learners(1, seed=99)
        world.clock.advance(120)

        again = await world.rt.engine.run_cycle()

        assert again.source.seen >= 1  # polling still ran on the reserve
        assert len(world.xero.contacts(world.tenant_id)) == contacts_before + 1
        assert again.writeback.written == 0 and again.writeback.budget_refused
