"""Store → source: each matched transaction written back once per change, with retries."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from xerowatch.source.port import SourceError
from xerowatch.store import alerts, jobs, transactions
from xerowatch.store.history import HistoryEntry, add_entries
from xerowatch.store.transactions import PendingWrite
from xerowatch.sync.context import EngineContext

log = logging.getLogger(__name__)

JOB_KIND = "writeback"
WRITEBACK_ALERT = "writeback_failed"


@dataclass
class WritebackSummary:
    """What one write-back pass did."""

    written: int = 0
    retrying: int = 0
    failed: int = 0


async def write_back(ctx: EngineContext, *, chunk: int = 500) -> WritebackSummary:
    """Upsert every changed, matched transaction that is due into the source."""
    summary = WritebackSummary()
    while True:
        due = ctx.clock.now().isoformat()
        pending = await transactions.pending_writes(ctx.store, limit=chunk, due_at=due)
        for item in pending:
            await _write_one(ctx, item, summary)
        if len(pending) < chunk:
            return summary


async def _write_one(ctx: EngineContext, item: PendingWrite, summary: WritebackSummary) -> None:
    key = f"{item.kind}:{item.xero_id}"
    async with ctx.store.transaction() as conn:
        await jobs.begin_attempts(
            conn, item.tenant_id, JOB_KIND, [key], key, {key: {"hash": item.content_hash}}
        )
    try:
        await ctx.source.write_transaction(item.tx)
    except SourceError as exc:
        await _failed(ctx, item.tenant_id, key, item.tx.ref_internal, exc, exc.transient)
        summary.retrying += int(exc.transient)
        summary.failed += int(not exc.transient)
        return
    except Exception as exc:  # a source bug must not stop the other write-backs
        log.exception("write-back of %s failed", key)
        await _failed(ctx, item.tenant_id, key, item.tx.ref_internal, exc, True)
        summary.retrying += 1
        return
    await transactions.mark_written(
        ctx.store, item.tenant_id, item.kind, item.xero_id, item.content_hash
    )
    async with ctx.store.transaction() as conn:
        await jobs.finish(conn, item.tenant_id, JOB_KIND, [key])
        await add_entries(
            conn,
            [
                HistoryEntry(
                    key,
                    "write_back",
                    "ok",
                    "to_source",
                    item.tenant_id,
                    f"{item.tx.number or item.xero_id} {item.tx.status} → learner "
                    f"{item.tx.ref_internal}",
                ),
                HistoryEntry(
                    item.tx.ref_internal,
                    f"write_back_{item.kind}",
                    "ok",
                    "to_source",
                    item.tenant_id,
                    f"{item.tx.number or item.xero_id} {item.tx.status}",
                ),
            ],
        )
    await alerts.resolve_alerts(ctx.store, record=key, tenant_id=item.tenant_id)
    summary.written += 1


async def _failed(
    ctx: EngineContext, tenant_id: str, key: str, ref: str, exc: Exception, transient: bool
) -> None:
    job = await jobs.get_job(ctx.store, tenant_id, JOB_KIND, key)
    attempts = job.attempts if job else 1
    when = ctx.backoff.next_attempt(attempts, ctx.clock.now()) if transient else None
    async with ctx.store.transaction() as conn:
        await jobs.schedule_retry(
            conn, tenant_id, JOB_KIND, key, error=str(exc), next_attempt_at=when
        )
        await add_entries(
            conn,
            [
                HistoryEntry(
                    key,
                    "write_back",
                    "retry" if when else "error",
                    "to_source",
                    tenant_id,
                    f"learner {ref}: {exc}",
                )
            ],
        )
    if when is None:
        await alerts.raise_alert(
            ctx.store,
            WRITEBACK_ALERT,
            f"Could not write {key} back to learner {ref}: {exc}",
            fix=f"Fix the cause in the source system, then run `xerowatch retry {key}`",
            record=key,
            tenant_id=tenant_id,
        )
