"""Hot per-item queries read an index instead of sorting or scanning everything they could touch."""

from __future__ import annotations

from pathlib import Path

from xerowatch.store import alerts, transactions
from xerowatch.store.db import Store, open_store


async def plans_of(store: Store, statements: list[str], starting: str) -> list[str]:
    """The query plan of every traced statement that starts with `starting`."""
    details: list[str] = []
    for sql in statements:
        if sql.lstrip().upper().startswith(starting):
            rows = await store.fetchall("EXPLAIN QUERY PLAN " + sql)
            details.extend(str(row["detail"]) for row in rows)
    return details


async def test_pending_write_backs_come_from_an_index_in_age_order(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "x.db")
    try:
        statements: list[str] = []
        await store.conn.set_trace_callback(statements.append)
        await transactions.pending_writes(store, limit=500, due_at="2026-11-02T09:00:00+00:00")
        await store.conn.set_trace_callback(None)  # type: ignore[arg-type]  # None stops tracing
        plan = await plans_of(store, statements, "SELECT")
        assert any("transactions_pending_by_age" in step for step in plan), plan
        assert not any("TEMP B-TREE" in step for step in plan), plan  # no sort of the backlog
    finally:
        await store.close()


async def test_resolving_a_records_alerts_does_not_scan_every_alert(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "x.db")
    try:
        statements: list[str] = []
        await store.conn.set_trace_callback(statements.append)
        await alerts.resolve_alerts(store, record="DAU0000001")
        await alerts.resolve_alerts(store, record="DAU0000001", types=("learner_invalid",))
        await store.conn.set_trace_callback(None)  # type: ignore[arg-type]  # None stops tracing
        plan = await plans_of(store, statements, "UPDATE")
        assert len(plan) >= 2
        assert all(step.startswith("SEARCH") for step in plan), plan
    finally:
        await store.close()
