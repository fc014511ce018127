"""Resync by date range and type: a job with progress (done/total, calls, ETA) and an end.

Xero types are re-read with `where=Date>=… AND Date<…` on the BULK lane, which the quota
scheduler serves only after operator and incremental work and never from the reserved share of
the daily budget — a resync cannot starve incremental sync. A resync re-reads and compares: a
learner's contact is written only where Xero holds something else than its mapped content, a
transaction is written back only where its mapped content differs from what was written. The
run's message counts what was read, what is to be written and what was already right.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from xerowatch.records import TransactionKind
from xerowatch.store import alerts, resyncs
from xerowatch.store.history import HistoryEntry, record
from xerowatch.store.resyncs import Resync
from xerowatch.store.tenants import active_tenants
from xerowatch.sync.context import EngineContext
from xerowatch.sync.pull import STREAM_BY_KIND, StreamSummary, date_range, store_page
from xerowatch.sync.resync_learners import resync_learners
from xerowatch.xero.errors import XeroAuthError, XeroError, XeroRateLimited, XeroTransientError
from xerowatch.xero.paging import ListQuery
from xerowatch.xero.quota import Lane
from xerowatch.xero.transport import TenantRef

log = logging.getLogger(__name__)

RESYNC_TYPES: dict[str, TransactionKind | None] = {
    "learners": None,
    "invoices": "invoice",
    "credit_notes": "credit_note",
    "overpayments": "overpayment",
    "prepayments": "prepayment",
    "payments": "payment",
}


RESYNC_FAILED_ALERT = "resync_failed"


class ResyncCancelled(Exception):
    """An operator cancelled the run."""


class ResyncHeld(Exception):
    """An operator paused the run: it stops at its checkpoint until resumed."""


@dataclass
class Progress:
    """Live progress of a run, and the stages finished before a pause (kept across resumes)."""

    done: int = 0
    total: int = 0
    calls: int = 0
    started_mono: float = 0.0
    resumed_done: int = 0
    read: int = 0
    to_write: int = 0
    unchanged: int = 0
    completed: list[str] = field(default_factory=list)
    checkpoint: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def resume(cls, run: Resync, now_mono: float) -> Progress:
        """Progress of a run starting or resuming: finished stages are not done again."""
        saved = run.progress.get("checkpoint") or {}
        progress = cls(started_mono=now_mono, calls=run.calls_used)
        try:
            progress.done = progress.resumed_done = int(saved.get("done", 0))
            progress.total = int(saved.get("total", 0))
            progress.read = int(saved.get("read", 0))
            progress.to_write = int(saved.get("to_write", 0))
            progress.unchanged = int(saved.get("unchanged", 0))
            progress.completed = [str(stage) for stage in saved.get("completed", [])]
        except (TypeError, ValueError):  # an unreadable checkpoint: start over
            progress = cls(started_mono=now_mono, calls=run.calls_used)
        progress.checkpoint = progress.snapshot()
        return progress

    def snapshot(self) -> dict[str, Any]:
        """What a resume starts from."""
        return {
            "done": self.done,
            "total": self.total,
            "read": self.read,
            "to_write": self.to_write,
            "unchanged": self.unchanged,
            "completed": list(self.completed),
        }

    def counts(self) -> str:
        """Reads, writes and skips, for the run's message."""
        return (
            f"{self.read} read, {self.to_write} to write, {self.unchanged} unchanged, "
            f"{self.calls} calls"
        )

    def stage_done(self, stage: str) -> None:
        """A stage is finished: a later resume skips it."""
        self.completed.append(stage)
        self.checkpoint = self.snapshot()

    def eta_seconds(self, now_mono: float) -> float | None:
        """Seconds left at the current rate, if it can be estimated."""
        if self.done <= self.resumed_done or self.total <= self.done:
            return None
        rate = (self.done - self.resumed_done) / max(now_mono - self.started_mono, 1e-6)
        return (self.total - self.done) / rate


def parse_types(text: str | list[str] | None) -> list[str]:
    """Validate resync types; empty means all."""
    if not text:
        return list(RESYNC_TYPES)
    items = text.split(",") if isinstance(text, str) else text
    names = [t.strip().lower().replace("-", "_") for t in items if t.strip()]
    unknown = [n for n in names if n not in RESYNC_TYPES]
    if unknown:
        raise ValueError(
            f"unknown resync type(s) {', '.join(unknown)}; choose from {', '.join(RESYNC_TYPES)}"
        )
    return names


async def _check_cancelled(ctx: EngineContext, run_id: int) -> None:
    current = await resyncs.get(ctx.store, run_id)
    if current is None or current.state == "cancelled":
        raise ResyncCancelled
    if run_id in await resyncs.held(ctx.store):
        raise ResyncHeld


async def _save(ctx: EngineContext, run: Resync, progress: Progress, stage: str) -> None:
    eta = progress.eta_seconds(ctx.clock.monotonic())
    await resyncs.update(
        ctx.store,
        run.id,
        done=progress.done,
        total=progress.total,
        calls_used=progress.calls,
        progress={
            "stage": stage,
            "eta_seconds": round(eta) if eta is not None else None,
            "checkpoint": progress.checkpoint,
        },
    )


async def _resync_learners(
    ctx: EngineContext, run: Resync, tenants: list[TenantRef], progress: Progress
) -> None:
    for tenant in tenants:
        before = ctx.calls.total
        counts = await resync_learners(ctx, tenant, run.date_from, run.date_to)
        progress.calls += ctx.calls.total - before
        handled = counts.to_write + counts.unchanged
        progress.total += handled
        progress.done += handled
        progress.read += counts.read
        progress.to_write += counts.to_write
        progress.unchanged += counts.unchanged


async def _resync_kind(
    ctx: EngineContext, run: Resync, tenant: TenantRef, kind: TransactionKind, progress: Progress
) -> None:
    stream = STREAM_BY_KIND[kind]
    query = ListQuery(
        where=date_range(date.fromisoformat(run.date_from), date.fromisoformat(run.date_to)),
        statuses=stream.statuses,
    )
    summary = StreamSummary()
    counted_total = False
    async for page in ctx.xero.iter_pages(stream.endpoint, query, tenant=tenant, lane=Lane.BULK):
        progress.calls += 1
        if not counted_total:
            item_count = page.pagination.item_count if page.pagination else None
            progress.total += item_count if item_count is not None else len(page.items)
            counted_total = True
        elif page.pagination is None or page.pagination.item_count is None:
            progress.total += len(page.items)
        before = (summary.changed_matched, summary.matched)
        await store_page(ctx, tenant.tenant_id, stream, page.items, summary)
        written = summary.changed_matched - before[0]
        progress.done += len(page.items)
        progress.read += len(page.items)
        progress.to_write += written
        progress.unchanged += summary.matched - before[1] - written
        await _save(ctx, run, progress, kind)
        await _check_cancelled(ctx, run.id)


async def run_resync(ctx: EngineContext, run: Resync) -> str:
    """Carry out one run to its end (done, cancelled, failed), or pause it to resume later."""
    progress = Progress.resume(run, ctx.clock.monotonic())
    await resyncs.update(ctx.store, run.id, state="running")
    tenants = [
        TenantRef(tid, cid)
        for tid, cid in await active_tenants(ctx.store)
        if not run.tenant_id or tid == run.tenant_id
    ]
    try:
        for name in run.types:
            kind = RESYNC_TYPES[name]
            if kind is None:
                if "learners" not in progress.completed:
                    await _check_cancelled(ctx, run.id)
                    await _resync_learners(ctx, run, tenants, progress)
                    progress.stage_done("learners")
                    await _save(ctx, run, progress, name)
                continue
            for tenant in tenants:
                stage = f"{name}:{tenant.tenant_id}"
                if stage not in progress.completed:
                    await _check_cancelled(ctx, run.id)
                    await _resync_kind(ctx, run, tenant, kind, progress)
                    progress.stage_done(stage)
                    await _save(ctx, run, progress, name)
    except ResyncCancelled:
        message = f"cancelled after {progress.counts()}"
        await _finish(ctx, run, "cancelled", message)
        return message
    except ResyncHeld:
        message = f"paused by operator after {progress.done} records, {progress.calls} calls"
        await resyncs.update(
            ctx.store, run.id, state="paused", message=message, calls_used=progress.calls
        )
        return message
    except (XeroRateLimited, XeroTransientError, XeroAuthError) as exc:
        # Budget, an outage or a lost connection: the run waits and resumes at its stage.
        message = f"paused: {exc} (resumes automatically)"
        await resyncs.update(
            ctx.store, run.id, state="paused", message=message, calls_used=progress.calls
        )
        return message
    except XeroError as exc:
        message = f"failed: {exc}"
        await _finish(ctx, run, "failed", message)
        await alerts.raise_alert(
            ctx.store,
            RESYNC_FAILED_ALERT,
            f"Resync {run.id} ({run.date_from}..{run.date_to}) {message}",
            fix="Check the date range and types, then start the resync again",
            record=f"resync:{run.id}",
            tenant_id=run.tenant_id,
        )
        return message
    message = (
        f"resync {run.date_from}..{run.date_to} ({', '.join(run.types)}) done: {progress.counts()}"
    )
    await _finish(ctx, run, "done", message)
    return message


async def _finish(ctx: EngineContext, run: Resync, state: str, message: str) -> None:
    await resyncs.update(ctx.store, run.id, state=state, message=message)
    await record(
        ctx.store,
        HistoryEntry(
            f"resync:{run.id}",
            "resync",
            "ok" if state == "done" else "info",
            "system",
            run.tenant_id,
            message,
        ),
    )
    log.info("resync %d %s: %s", run.id, state, message)
