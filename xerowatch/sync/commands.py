"""Carry out operator commands (retry, retry all, resync, pause, resume, acknowledge, …)."""

from __future__ import annotations

import logging
from datetime import date
from typing import TYPE_CHECKING

from xerowatch.store import alerts, commands, jobs, learners, links, resyncs, runtime
from xerowatch.store.commands import Command
from xerowatch.store.links import LinkState
from xerowatch.sync.online_urls import fetch_online_url
from xerowatch.sync.resync import parse_types

if TYPE_CHECKING:
    from xerowatch.sync.engine import SyncEngine

log = logging.getLogger(__name__)

RETRYABLE_LINK_STATES: tuple[LinkState, ...] = ("invalid", "blocked", "dead")


class CommandError(Exception):
    """A command that cannot be carried out as asked (bad arguments, unknown record)."""


async def _retry_ref(engine: SyncEngine, ref: str) -> str:
    store = engine.ctx.store
    failed = await jobs.failed_jobs(store, key=ref)
    await jobs.make_due_now(store, [job.id for job in failed])
    learner = await learners.get_by_ref(store, ref)
    if learner is None:
        if failed:
            return f"{len(failed)} job(s) of {ref} made due now"
        raise CommandError(f"no learner or job known as {ref}")
    tenants = [t.tenant_id for t in await engine.tenants()]
    for tenant_id in tenants:
        await links.mark_many_pending(store, tenant_id, [(ref, learner.learner.source_id)])
    return f"learner {ref} queued for its next push in {len(tenants)} tenant(s)"


async def _retry_all(engine: SyncEngine) -> str:
    store = engine.ctx.store
    failed = await jobs.failed_jobs(store)
    made_due = await jobs.make_due_now(store, [job.id for job in failed])
    stuck = await links.refs_in_state(store, RETRYABLE_LINK_STATES)
    by_tenant: dict[str, list[str]] = {}
    for tenant_id, ref in stuck:
        by_tenant.setdefault(tenant_id, []).append(ref)
    requeued = 0
    for tenant_id, refs in by_tenant.items():
        stored = await learners.get_many_by_ref(store, refs)
        pairs = [(ref, item.learner.source_id) for ref, item in stored.items()]
        await links.mark_many_pending(store, tenant_id, pairs)
        requeued += len(pairs)
    return f"{requeued} learner(s) requeued, {made_due} job(s) made due now"


def _date_arg(args: dict[str, object], name: str) -> str:
    value = args.get(name)
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise CommandError(f"{name} must be a date (YYYY-MM-DD), got {value!r}") from None


async def _resync(engine: SyncEngine, cmd: Command) -> str:
    date_from = _date_arg(cmd.args, "from")
    date_to = _date_arg(cmd.args, "to")
    if date_to <= date_from:
        raise CommandError("the end of the range must be after its start")
    try:
        types = parse_types(cmd.args.get("types"))
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    run_id = await resyncs.create(
        engine.ctx.store,
        tenant_id=str(cmd.args.get("tenant_id") or ""),
        types=types,
        date_from=date_from,
        date_to=date_to,
    )
    return f"resync {run_id} queued: {date_from}..{date_to} ({', '.join(types)})"


async def execute(engine: SyncEngine, cmd: Command) -> str:
    """Carry out one command; return a one-line result (raises CommandError on bad input)."""
    store = engine.ctx.store
    args = cmd.args
    if cmd.kind == "retry":
        return await _retry_ref(engine, str(args.get("ref", "")))
    if cmd.kind == "retry_all":
        return await _retry_all(engine)
    if cmd.kind == "resync":
        return await _resync(engine, cmd)
    if cmd.kind == "cancel_resync":
        run = await resyncs.get(store, int(str(args.get("id", 0))))
        if run is None or run.state not in resyncs.ACTIVE_STATES:
            raise CommandError(f"no active resync {args.get('id')}")
        await resyncs.update(store, run.id, state="cancelled", message="cancelled by operator")
        return f"resync {run.id} cancelled"
    if cmd.kind in ("pause", "resume"):
        tenant_id = str(args.get("tenant_id") or "")
        await runtime.set_paused(store, cmd.kind == "pause", tenant_id)
        return f"{'paused' if cmd.kind == 'pause' else 'resumed'} {tenant_id or 'all tenants'}"
    if cmd.kind == "acknowledge":
        ids = args.get("ids")
        count = await alerts.acknowledge(store, [int(i) for i in ids] if ids else None)
        return f"{count} alert(s) acknowledged"
    if cmd.kind == "fetch_online_url":
        tenants = {t.tenant_id: t for t in await engine.tenants()}
        tenant = tenants.get(str(args.get("tenant_id"))) or next(iter(tenants.values()), None)
        if tenant is None:
            raise CommandError("no connected Xero organisation")
        url = await fetch_online_url(engine.ctx, tenant, str(args.get("invoice_id")))
        return url or "Xero has no online invoice for it"
    if cmd.kind == "poke_learner":
        return await engine.poke_learner(str(args.get("source_id", "")))
    raise CommandError(f"unknown command {cmd.kind}")


async def process_pending(engine: SyncEngine, *, limit: int = 100) -> list[str]:
    """Run every pending command, oldest first; return their result lines."""
    results: list[str] = []
    for _ in range(limit):
        cmd = await commands.claim_next(engine.ctx.store)
        if cmd is None:
            break
        results.append(await run_command(engine, cmd))
    return results


async def run_command(engine: SyncEngine, cmd: Command) -> str:
    """Run one claimed command and record its outcome (never raises for bad input)."""
    try:
        result = await execute(engine, cmd)
    except CommandError as exc:
        await commands.complete(engine.ctx.store, cmd.id, ok=False, result=str(exc))
        return f"#{cmd.id} {cmd.kind}: failed: {exc}"
    except Exception as exc:
        log.exception("command %s failed", cmd.id)
        await commands.complete(engine.ctx.store, cmd.id, ok=False, result=f"error: {exc}")
        return f"#{cmd.id} {cmd.kind}: error: {exc}"
    await commands.complete(engine.ctx.store, cmd.id, ok=True, result=result)
    return f"#{cmd.id} {cmd.kind}: {result}"
