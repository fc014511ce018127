"""The pending pane shows the write-back backlog with its forecast, and follows it live."""

from __future__ import annotations

from pathlib import Path

from tests.tui.helpers import dashboard, painted, shown, until
from tests.tui.world import BACKLOG, TENANT
from xerowatch.store import jobs, transactions
from xerowatch.store.db import open_store


async def write_back(path: Path, count: int) -> None:
    """What the daemon's write-back does to `count` of the backlog, from another connection."""
    store = await open_store(path)
    try:
        pending = await transactions.pending_writes(store, limit=count)
        keys = [f"{p.kind}:{p.xero_id}" for p in pending]
        async with store.transaction() as conn:
            await jobs.begin_each(conn, "writeback", [(TENANT, key, {}) for key in keys])
            await transactions.mark_written_many(
                conn, [(TENANT, p.kind, p.xero_id, p.content_hash) for p in pending]
            )
            await jobs.finish(conn, TENANT, "writeback", keys)
    finally:
        await store.close()


async def test_the_pending_pane_forecasts_the_write_back_backlog(world: Path) -> None:
    app = dashboard(world)
    async with app.run_test(size=(120, 30)) as pilot:
        await painted(pilot)
        assert shown(app, "#pending-backlog") == (
            f"transactions to write back: {BACKLOG:,} to write, done in ~1.0 days at your quota "
            "(8,000 write-backs a day)"
        )
        await write_back(world, 4_000)
        await until(
            pilot,
            lambda: "8,000 to write, done in ~1.0 days" in shown(app, "#pending-backlog"),
            "the smaller backlog",
        )
        await write_back(world, BACKLOG)
        await until(pilot, lambda: not app.screen.query_one("#pending-backlog").display, "none")
