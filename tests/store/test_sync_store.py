"""Store modules the engine relies on: alerts, commands, outbox jobs, transactions, retention."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from xerowatch.records import SourceTransaction
from xerowatch.store import alerts, commands, jobs, retention, runtime, transactions
from xerowatch.store.db import Store, open_store
from xerowatch.store.history import HistoryEntry, record
from xerowatch.store.transactions import TransactionRow


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await open_store(tmp_path / "s.db")
    yield opened
    await opened.close()


async def test_alert_repeats_bump_and_reopen(store: Store) -> None:
    first = await alerts.raise_alert(
        store, "learner_invalid", "Email missing", fix="x", record="R1"
    )
    again = await alerts.raise_alert(
        store, "learner_invalid", "Email missing", fix="x", record="R1"
    )
    assert first == again
    [alert] = await alerts.open_alerts(store)
    assert alert.count == 2
    assert await alerts.acknowledge(store, [alert.id]) == 1
    assert await alerts.count_open(store) == 0
    await alerts.raise_alert(store, "learner_invalid", "Email missing", fix="x", record="R1")
    assert await alerts.count_open(store) == 1  # a new occurrence re-opens it
    assert await alerts.resolve_alerts(store, record="R1") == 1
    assert await alerts.count_open(store) == 0


async def test_commands_are_claimed_once_in_order(store: Store) -> None:
    a = await commands.enqueue(store, "pause", {"tenant_id": ""})
    b = await commands.enqueue(store, "resume", {})
    first = await commands.claim_next(store)
    second = await commands.claim_next(store)
    assert (first and first.id, second and second.id) == (a, b)
    assert await commands.claim_next(store) is None
    await commands.complete(store, a, ok=True, result="paused all tenants")
    done = await commands.get(store, a)
    assert done is not None and done.state == "done" and done.result == "paused all tenants"
    assert await commands.requeue_stale_running(store) == 1  # b was left running


async def test_a_command_with_unreadable_arguments_fails_at_claim(store: Store) -> None:
    await store.execute(
        "INSERT INTO commands (kind, args_json, created_at) VALUES ('retry', '{oops', 'now')"
    )
    good = await commands.enqueue(store, "pause", {})
    claimed = await commands.claim_next(store)
    assert claimed is not None and claimed.id == good
    [_, bad] = await commands.recent(store, 2)
    assert bad.state == "failed" and "unreadable arguments" in (bad.result or "")


async def test_outbox_job_lifecycle(store: Store) -> None:
    async with store.transaction() as conn:
        await jobs.begin_attempts(conn, "t1", "contact", ["R1", "R2"], "scope-1")
    assert [j.key for j in await jobs.in_doubt(store, "t1", "contact")] == ["R1", "R2"]
    later = datetime.now(UTC) + timedelta(hours=1)
    async with store.transaction() as conn:
        await jobs.finish(conn, "t1", "contact", ["R1"])
        await jobs.schedule_retry(conn, "t1", "contact", "R2", error="503", next_attempt_at=later)
    assert await jobs.in_doubt(store, "t1", "contact") == []
    job = await jobs.get_job(store, "t1", "contact", "R2")
    assert job is not None and job.state == "retry" and job.attempts == 1
    assert await jobs.due(store, "t1", "contact", datetime.now(UTC).isoformat()) == []
    async with store.transaction() as conn:
        await jobs.schedule_retry(conn, "t1", "contact", "R2", error="503", next_attempt_at=None)
    assert (await jobs.depth_by_state(store)) == {"done": 1, "dead": 1}
    assert await jobs.make_due_now(store, [job.id]) == 1
    assert [
        j.key for j in await jobs.due(store, "t1", "contact", datetime.now(UTC).isoformat())
    ] == ["R2"]


def _invoice(status: str = "AUTHORISED", url: str | None = None) -> SourceTransaction:
    return SourceTransaction(
        xero_id="11111111-1111-1111-1111-111111111111",
        kind="invoice",
        learner_source_id="src-R1",
        ref_internal="R1",
        number="INV-1",
        xero_type="ACCREC",
        status=status,
        date=date(2026, 10, 1),
        total=Decimal("100.00"),
        online_invoice_url=url,
    )


async def test_transactions_change_detection_and_online_link(store: Store) -> None:
    async with store.transaction() as conn:
        assert (
            await transactions.upsert_transactions(
                conn, [TransactionRow("t", "c", True, _invoice())]
            )
            == 1
        )
        assert (
            await transactions.upsert_transactions(
                conn, [TransactionRow("t", "c", True, _invoice())]
            )
            == 0
        )
    [pending] = await transactions.pending_writes(store)
    await transactions.mark_written(store, "t", "invoice", pending.xero_id, pending.content_hash)
    assert await transactions.pending_writes(store) == []
    assert await transactions.needing_online_url(store, "t", 10) == [pending.xero_id]
    await transactions.set_online_url(store, "t", pending.xero_id, "https://in.xero.com/abc")
    [with_link] = await transactions.pending_writes(store)  # the link is written back too
    assert with_link.tx.online_invoice_url == "https://in.xero.com/abc"
    async with store.transaction() as conn:  # a re-read without the link keeps it
        assert (
            await transactions.upsert_transactions(
                conn, [TransactionRow("t", "c", True, _invoice())]
            )
            == 0
        )
    async with store.transaction() as conn:
        assert (
            await transactions.upsert_transactions(
                conn, [TransactionRow("t", "c", True, _invoice("PAID"))]
            )
            == 1
        )
    [paid] = await transactions.pending_writes(store)
    assert paid.tx.status == "PAID" and paid.tx.online_invoice_url == "https://in.xero.com/abc"


async def test_retention_prunes_only_old_rows(store: Store) -> None:
    old = (datetime.now(UTC) - timedelta(days=120)).isoformat()
    await record(store, HistoryEntry("R1", "write", "ok", "to_xero", at=old))
    await record(store, HistoryEntry("R1", "write", "ok", "to_xero"))
    removed = await retention.prune(store, retention_days=90)
    assert removed["history"] == 1
    rows = await store.fetchall("SELECT COUNT(*) FROM history")
    assert rows[0][0] == 1


async def test_pause_flags(store: Store) -> None:
    assert not await runtime.is_paused(store, "t1")
    await runtime.set_paused(store, True, "t1")
    assert await runtime.is_paused(store, "t1") and not await runtime.is_paused(store, "t2")
    await runtime.set_paused(store, True)
    assert await runtime.is_paused(store, "t2")
    await runtime.set_paused(store, False)
    await runtime.set_paused(store, False, "t1")
    assert not await runtime.is_paused(store, "t1")
