"""Store → source: each matched transaction written back once per change, with retries.

A pass reads the due write-backs newest first, a chunk at a time, and sends each batch with
`writeback_concurrency` writers sharing the source's rate limit. The bookkeeping of a batch is
two transactions (its attempts begun, then its results), not two to five per write. A change
the source cannot hold (an online link for Wisenet) is marked written without a request, and a
transaction is written at most once per pass however often it changes meanwhile.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import anyio

from xerowatch.source.port import (
    SourceAuthError,
    SourceBudgetRefused,
    SourceError,
    WriteFingerprinter,
)
from xerowatch.store import alerts, jobs, transactions
from xerowatch.store.history import HistoryEntry, add_entries
from xerowatch.store.transactions import PendingWrite
from xerowatch.sync.context import EngineContext

log = logging.getLogger(__name__)

JOB_KIND = "writeback"
WRITEBACK_ALERT = "writeback_failed"
SOURCE_AUTH_ALERT = "source_auth"
BATCH = 100
"""Write-backs per bookkeeping transaction: at Wisenet's 10/s, ten seconds of requests."""


@dataclass
class WritebackSummary:
    """What one write-back pass did."""

    written: int = 0
    retrying: int = 0
    failed: int = 0
    unchanged: int = 0
    """Due only for a field the source does not hold (an online link): marked, not re-sent."""
    paused: str | None = None
    """Why the pass stopped early: the source refused the credential."""
    budget_refused: str | None = None
    """Why the pass stopped early: the source's request budget is spent (nothing was sent)."""


State = Literal["unsent", "written", "failed", "held"]


@dataclass
class _Outcome:
    item: PendingWrite
    state: State = "unsent"
    error: Exception | None = None
    transient: bool = True


def _key(item: PendingWrite) -> str:
    return f"{item.kind}:{item.xero_id}"


async def write_back(
    ctx: EngineContext, *, chunk: int = 500, batch: int = BATCH
) -> WritebackSummary:
    """Upsert every changed, matched transaction that is due into the source."""
    summary = WritebackSummary()
    seen: set[tuple[str, str]] = set()  # (tenant, key) taken this pass: one write per pass
    while True:
        due = ctx.clock.now().isoformat()
        pending = await transactions.pending_writes(ctx.store, limit=chunk, due_at=due)
        fresh = [item for item in pending if (item.tenant_id, _key(item)) not in seen]
        for start in range(0, len(fresh), batch):
            part = fresh[start : start + batch]
            probe = not seen  # the pass's first write goes alone: a refusal costs one request
            seen.update((item.tenant_id, _key(item)) for item in part)
            await _write_batch(ctx, part, summary, probe=probe)
            if summary.paused or summary.budget_refused:  # the rest would be refused alike
                return summary
        if len(pending) < chunk or not fresh:
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


def alert_record(item: PendingWrite) -> str:
    """How a write-back alert names its record: the learner's ref, then the transaction's number."""
    tx = item.tx
    return f"{tx.ref_internal} {tx.kind.replace('_', ' ')} {tx.number or tx.xero_id}"


async def _write_batch(
    ctx: EngineContext, items: list[PendingWrite], summary: WritebackSummary, *, probe: bool
) -> None:
    fingerprint: Callable[..., str | None] | None = None
    if isinstance(ctx.source, WriteFingerprinter):
        fingerprint = ctx.source.write_fingerprint
    to_send: list[tuple[PendingWrite, str | None]] = []
    unchanged: list[PendingWrite] = []
    for item in items:
        sent = fingerprint(item.tx) if fingerprint is not None else None
        if sent is not None and sent == item.sent_fingerprint:
            unchanged.append(item)  # what the source holds already: not new information
        else:
            to_send.append((item, sent))
    if to_send:
        async with ctx.store.transaction() as conn:
            await jobs.begin_each(
                conn,
                JOB_KIND,
                [
                    (item.tenant_id, _key(item), {"hash": item.content_hash, "sent": sent})
                    for item, sent in to_send
                ],
            )
    outcomes = await _send_all(ctx, [item for item, _ in to_send], probe=probe)
    await _record(ctx, outcomes, unchanged, summary)


async def _send_all(
    ctx: EngineContext, items: list[PendingWrite], *, probe: bool
) -> list[_Outcome]:
    """Send with up to `writeback_concurrency` writers; after a refusal nobody starts another.

    With `probe`, the first write goes alone, so a refused credential costs one request per
    pass rather than one per writer.
    """
    outcomes = [_Outcome(item) for item in items]
    work = iter(outcomes)  # shared: each outcome is taken by exactly one writer
    if probe and outcomes:
        await _send_one(ctx, next(work))
        if outcomes[0].state == "held":
            return outcomes
    stop = anyio.Event()

    async def writer() -> None:
        for outcome in work:
            if stop.is_set():
                return
            await _send_one(ctx, outcome)
            if outcome.state == "held":
                stop.set()

    writers = min(ctx.settings.writeback_concurrency, len(outcomes))
    async with anyio.create_task_group() as group:
        for _ in range(writers):
            group.start_soon(writer)
    return outcomes


async def _send_one(ctx: EngineContext, outcome: _Outcome) -> None:
    try:
        await ctx.source.write_transaction(outcome.item.tx)
    except (SourceAuthError, SourceBudgetRefused) as exc:
        outcome.state, outcome.error = "held", exc  # never had a chance: not an attempt
    except SourceError as exc:
        outcome.state, outcome.error, outcome.transient = "failed", exc, exc.transient
    except Exception as exc:  # a source bug must not stop the other write-backs
        log.exception("write-back of %s failed", _key(outcome.item))
        outcome.state, outcome.error = "failed", exc
    else:
        outcome.state = "written"


async def _record(
    ctx: EngineContext,
    outcomes: list[_Outcome],
    unchanged: list[PendingWrite],
    summary: WritebackSummary,
) -> None:
    """One transaction for the batch's results; then the alerts of permanent failures."""
    written = [o.item for o in outcomes if o.state == "written"]
    failed = [o for o in outcomes if o.state == "failed"]
    held = [o for o in outcomes if o.state in ("held", "unsent")]
    stopped = next((o.error for o in outcomes if o.state == "held"), None)
    dead: list[tuple[_Outcome, Exception]] = []
    async with ctx.store.transaction() as conn:
        await transactions.mark_written_many(
            conn, [(i.tenant_id, i.kind, i.xero_id, i.content_hash) for i in written + unchanged]
        )
        for tenant_id, keys in _by_tenant(written).items():
            await jobs.finish(conn, tenant_id, JOB_KIND, keys)
        for tenant_id, keys in _by_tenant([o.item for o in held]).items():
            await jobs.hold(conn, tenant_id, JOB_KIND, keys, error=str(stopped))
        attempts = await jobs.attempts_of(
            conn, JOB_KIND, [(o.item.tenant_id, _key(o.item)) for o in failed]
        )
        entries = [entry for item in written for entry in _written_entries(item)]
        for outcome in failed:
            item, error = outcome.item, outcome.error or Exception("unknown")
            tries = attempts.get((item.tenant_id, _key(item)), 1)
            when = ctx.backoff.next_attempt(tries, ctx.clock.now()) if outcome.transient else None
            await jobs.schedule_retry(
                conn, item.tenant_id, JOB_KIND, _key(item), error=str(error), next_attempt_at=when
            )
            entries.append(
                HistoryEntry(
                    _key(item),
                    "write_back",
                    "retry" if when else "error",
                    "to_source",
                    item.tenant_id,
                    f"learner {item.tx.ref_internal}: {error}",
                )
            )
            if when is None:
                dead.append((outcome, error))
        await add_entries(conn, entries)
        # `_key`: alerts raised before records had names
        await alerts.resolve_records(
            conn,
            [(i.tenant_id, record) for i in written for record in (alert_record(i), _key(i))],
        )
    if written and summary.written == 0:
        await alerts.resolve_alerts(ctx.store, record="", types=(SOURCE_AUTH_ALERT,))
    summary.written += len(written)
    summary.unchanged += len(unchanged)
    summary.retrying += len(failed) - len(dead)
    summary.failed += len(dead)
    for outcome, error in dead:
        await _raise_failed(ctx, outcome.item, error)
    if isinstance(stopped, SourceAuthError):
        log.warning("write-backs paused: %s", stopped)
        await source_auth_failed(ctx, stopped)
        summary.paused = str(stopped)
    elif isinstance(stopped, SourceBudgetRefused):
        log.info("write-backs wait for the source's budget: %s", stopped)
        summary.budget_refused = str(stopped)


def _by_tenant(items: list[PendingWrite]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for item in items:
        grouped.setdefault(item.tenant_id, []).append(_key(item))
    return grouped


def _written_entries(item: PendingWrite) -> list[HistoryEntry]:
    tx = item.tx
    return [
        HistoryEntry(
            _key(item),
            "write_back",
            "ok",
            "to_source",
            item.tenant_id,
            f"{tx.number or item.xero_id} {tx.status} → learner {tx.ref_internal}",
        ),
        HistoryEntry(
            tx.ref_internal,
            f"write_back_{item.kind}",
            "ok",
            "to_source",
            item.tenant_id,
            f"{tx.number or item.xero_id} {tx.status}",
        ),
    ]


async def _raise_failed(ctx: EngineContext, item: PendingWrite, exc: Exception) -> None:
    tx = item.tx
    await alerts.raise_alert(
        ctx.store,
        WRITEBACK_ALERT,
        f"Could not write {tx.kind.replace('_', ' ')} {tx.number or item.xero_id} "
        f"back to learner {tx.ref_internal} in {ctx.source_label}: {exc}",
        fix=f"Fix the cause in {ctx.source_label}, then run "
        f"`xerowatch retry {tx.number or _key(item)}`",
        record=alert_record(item),
        tenant_id=item.tenant_id,
    )
