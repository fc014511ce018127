"""Store → source: each matched transaction written back once per change, with retries."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from xerowatch.source.port import SourceAuthError, SourceBudgetRefused, SourceError
from xerowatch.store import alerts, jobs, transactions
from xerowatch.store.history import HistoryEntry, add_entries
from xerowatch.store.transactions import PendingWrite
from xerowatch.sync.context import EngineContext

log = logging.getLogger(__name__)

JOB_KIND = "writeback"
WRITEBACK_ALERT = "writeback_failed"
SOURCE_AUTH_ALERT = "source_auth"


@dataclass
class WritebackSummary:
    """What one write-back pass did."""

    written: int = 0
    retrying: int = 0
    failed: int = 0
    paused: str | None = None
    """Why the pass stopped early: the source refused the credential."""
    budget_refused: str | None = None
    """Why the pass stopped early: the source's request budget is spent (nothing was sent)."""


async def write_back(ctx: EngineContext, *, chunk: int = 500) -> WritebackSummary:
    """Upsert every changed, matched transaction that is due into the source."""
    summary = WritebackSummary()
    while True:
        due = ctx.clock.now().isoformat()
        pending = await transactions.pending_writes(ctx.store, limit=chunk, due_at=due)
        for item in pending:
            await _write_one(ctx, item, summary)
            if summary.paused or summary.budget_refused:  # the rest would be refused alike
                return summary
            if summary.written == 1:
                await alerts.resolve_alerts(ctx.store, record="", types=(SOURCE_AUTH_ALERT,))
        if len(pending) < chunk:
            return summary


async def source_auth_failed(ctx: EngineContext, exc: SourceAuthError) -> None:
    """The one alert for a refused source credential (however many records wait on it)."""
    await alerts.raise_alert(
        ctx.store,
        SOURCE_AUTH_ALERT,
        str(exc),
        fix=(
            f"Correct the {ctx.source_label} credential in the config (or its environment "
            "variable) and reload; reads and write-backs are paused and resume by themselves"
        ),
    )


async def _write_one(ctx: EngineContext, item: PendingWrite, summary: WritebackSummary) -> None:
    key = f"{item.kind}:{item.xero_id}"
    async with ctx.store.transaction() as conn:
        await jobs.begin_attempts(
            conn, item.tenant_id, JOB_KIND, [key], key, {key: {"hash": item.content_hash}}
        )
    try:
        await ctx.source.write_transaction(item.tx)
    except SourceAuthError as exc:
        async with ctx.store.transaction() as conn:
            await jobs.hold(conn, item.tenant_id, JOB_KIND, [key], error=str(exc))
        log.warning("write-backs paused: %s", exc)
        await source_auth_failed(ctx, exc)
        summary.paused = str(exc)
        return
    except SourceBudgetRefused as exc:
        # Nothing was sent: give the attempt back and leave the job due, with no history row,
        # retry or alert; the pass stops because every other write would be refused alike.
        async with ctx.store.transaction() as conn:
            await jobs.hold(conn, item.tenant_id, JOB_KIND, [key], error=str(exc))
        log.info("write-backs wait for the source's budget: %s", exc)
        summary.budget_refused = str(exc)
        return
    except SourceError as exc:
        await _failed(ctx, item, key, exc, exc.transient)
        summary.retrying += int(exc.transient)
        summary.failed += int(not exc.transient)
        return
    except Exception as exc:  # a source bug must not stop the other write-backs
        log.exception("write-back of %s failed", key)
        await _failed(ctx, item, key, exc, True)
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
    for record in (alert_record(item), key):  # `key`: alerts raised before records had names
        await alerts.resolve_alerts(ctx.store, record=record, tenant_id=item.tenant_id)
    summary.written += 1


def alert_record(item: PendingWrite) -> str:
    """How a write-back alert names its record: the learner's ref, then the transaction's number."""
    tx = item.tx
    return f"{tx.ref_internal} {tx.kind.replace('_', ' ')} {tx.number or tx.xero_id}"


async def _failed(
    ctx: EngineContext, item: PendingWrite, key: str, exc: Exception, transient: bool
) -> None:
    tenant_id, ref = item.tenant_id, item.tx.ref_internal
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
            f"Could not write {item.tx.kind.replace('_', ' ')} {item.tx.number or item.xero_id} "
            f"back to learner {ref} in {ctx.source_label}: "
            f"{exc}",
            fix=f"Fix the cause in {ctx.source_label}, then run "
            f"`xerowatch retry {item.tx.number or key}`",
            record=alert_record(item),
            tenant_id=tenant_id,
        )
