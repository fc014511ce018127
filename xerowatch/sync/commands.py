"""Operator commands (retry, resync, pause, acknowledge, …): one registry shared by the CLI,
the dashboard and the daemon — kind → typed arguments → handler → loops to wake.

Arguments are parsed when a command is queued (`enqueue`: a bad one never reaches the store) and
again when it is carried out (rows written by other tools or older versions).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeAlias, TypeVar
from uuid import UUID

from xerowatch.store import (
    alerts,
    command_queue,
    jobs,
    learners,
    links,
    resyncs,
    runtime_state,
    transactions,
)
from xerowatch.store.command_queue import Command
from xerowatch.store.db import Store, StoreDamagedError
from xerowatch.store.links import LinkState
from xerowatch.sync.command_args import (
    AcknowledgeArgs,
    CommandError,
    NoArgs,
    OnlineLinkArgs,
    PokeArgs,
    ResyncArgs,
    ResyncIdArgs,
    RetryArgs,
    TenantArgs,
)
from xerowatch.sync.online_urls import fetch_online_url
from xerowatch.sync.steps import SyncSteps

__all__ = ["COMMANDS", "CommandError", "CommandKind", "enqueue"]

log = logging.getLogger(__name__)

CommandKind: TypeAlias = str
"""A key of `COMMANDS`."""
A = TypeVar("A")
RETRYABLE_LINK_STATES: tuple[LinkState, ...] = ("invalid", "blocked", "dead")
SYNCING_LOOPS = ("poll_source", "push_contacts", "pull_transactions", "write_back", "connectwise")


@dataclass(frozen=True)
class CommandSpec(Generic[A]):
    """One kind of command: how its arguments parse, what carries it out, what to wake after."""

    parse: Callable[[dict[str, Any]], A]
    handler: Callable[[SyncSteps, A], Awaitable[str]]
    wakes: tuple[str, ...] = ()
    """Loop-name prefixes to wake once it is done, so its effect shows within a second."""


async def _tenant(steps: SyncSteps, tenant_id: str) -> str:
    """The tenant a command names ('' = all), which must be a connected one."""
    if tenant_id and tenant_id not in {t.tenant_id for t in await steps.tenants()}:
        raise CommandError(
            f"no connected Xero organisation {tenant_id}: see `xerowatch connections` for the "
            "tenant ids"
        )
    return tenant_id


async def _retry(steps: SyncSteps, args: RetryArgs) -> str:
    store, ref = steps.ctx.store, args.ref
    if steps.connectwise is not None:  # a ConnectWise record: cw-invoice:<id> or its number
        return await steps.connectwise.retry(ref)
    failed = await jobs.failed_jobs(store, key=ref)
    for key in await transactions.record_keys_numbered(store, ref):  # an invoice number
        failed += await jobs.failed_jobs(store, key=key)
    await jobs.make_due_now(store, [job.id for job in failed])
    learner = await learners.get_by_ref(store, ref)
    if learner is None:
        if failed:
            return f"{len(failed)} job(s) of {ref} made due now"
        raise CommandError(
            f"no learner or job known as {ref}: give a learner's RefInternal (as in "
            "`xerowatch alerts`) or a record key such as invoice:<InvoiceID>"
        )
    tenants = [t.tenant_id for t in await steps.tenants()]
    for tenant_id in tenants:
        await links.mark_many_pending(store, tenant_id, [(ref, learner.learner.source_id)])
    return f"learner {ref} queued for its next push in {len(tenants)} tenant(s)"


async def _retry_all(steps: SyncSteps, args: NoArgs) -> str:
    store = steps.ctx.store
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


async def _resync(steps: SyncSteps, args: ResyncArgs) -> str:
    run_id = await resyncs.create(
        steps.ctx.store,
        tenant_id=await _tenant(steps, args.tenant_id),
        types=args.types,
        date_from=args.date_from,
        date_to=args.date_to,
    )
    return f"resync {run_id} queued: {args.date_from}..{args.date_to} ({', '.join(args.types)})"


async def _active_run(store: Store, run_id: int, hint: str = "") -> resyncs.Resync:
    run = await resyncs.get(store, run_id)
    if run is None or run.state not in resyncs.ACTIVE_STATES:
        raise CommandError(f"no active resync {run_id}{hint}")
    return run


async def _cancel_resync(steps: SyncSteps, args: ResyncIdArgs) -> str:
    store = steps.ctx.store
    run = await _active_run(store, args.id, ": see `xerowatch status` for the runs")
    await resyncs.update(store, run.id, state="cancelled", message="cancelled by operator")
    return f"resync {run.id} cancelled"


async def _pause_resync(steps: SyncSteps, args: ResyncIdArgs) -> str:
    run = await _active_run(steps.ctx.store, args.id)
    await resyncs.hold(steps.ctx.store, run.id)
    return f"resync {run.id} paused (it stops at its next checkpoint)"


async def _resume_resync(steps: SyncSteps, args: ResyncIdArgs) -> str:
    run = await _active_run(steps.ctx.store, args.id)
    await resyncs.release(steps.ctx.store, run.id)
    return f"resync {run.id} resumed"


async def _sync_now(steps: SyncSteps, args: NoArgs) -> str:
    return "syncing is paused: resume first" if await steps.is_paused() else "sync started"


async def _set_paused(steps: SyncSteps, tenant_id: str, paused: bool) -> str:
    tenant_id = await _tenant(steps, tenant_id)
    await runtime_state.set_paused(steps.ctx.store, paused, tenant_id)
    return f"{'paused' if paused else 'resumed'} {tenant_id or 'all tenants'}"


async def _pause(steps: SyncSteps, args: TenantArgs) -> str:
    return await _set_paused(steps, args.tenant_id, True)


async def _resume(steps: SyncSteps, args: TenantArgs) -> str:
    return await _set_paused(steps, args.tenant_id, False)


async def _acknowledge(steps: SyncSteps, args: AcknowledgeArgs) -> str:
    store = steps.ctx.store
    if args.ids is not None:
        unknown = sorted(set(args.ids) - await alerts.open_ids(store, args.ids))
        if unknown:
            raise CommandError(
                f"no open alert {', '.join(map(str, unknown))}: see `xerowatch alerts` for "
                "the ids of open alerts (nothing was acknowledged)"
            )
    count = await alerts.acknowledge(store, args.ids)
    return f"{count} alert(s) acknowledged"


def _guid(text: str) -> str | None:
    try:
        return str(UUID(text))
    except ValueError:
        return None


async def _invoice_owners(steps: SyncSteps, given: str, tenant_id: str) -> tuple[str, list[str]]:
    """The InvoiceID an operator means (a GUID or an InvoiceNumber) and the tenants holding it."""
    store = steps.ctx.store
    invoice_id = _guid(given)
    if invoice_id is None:
        found = await transactions.invoices_numbered(store, given)
        if tenant_id:
            found = [(t, i) for t, i in found if t == tenant_id]
        ids = sorted({i for _, i in found})
        if len(ids) > 1:
            raise CommandError(
                f"invoice number {given} is on {len(ids)} invoices ({', '.join(ids)}): "
                "give the InvoiceID, or --tenant TENANT_ID"
            )
        if not ids:
            raise CommandError(
                f"no synced invoice numbered {given}: check the number in Xero (or give the "
                "InvoiceID); an invoice is known here once a sync has pulled it"
            )
        invoice_id = ids[0]
    # The invoice's own tenant: a guess would spend a call on an organisation that has not got it.
    owners = await transactions.tenants_of_invoice(store, invoice_id)
    if tenant_id:
        owners = [t for t in owners if t == tenant_id]
    if not owners:
        raise CommandError(
            f"no synced invoice {invoice_id}: check the InvoiceID (or give the invoice number); "
            "an invoice is known here once a sync has pulled it"
        )
    return invoice_id, owners


async def _online_link(steps: SyncSteps, args: OnlineLinkArgs) -> str:
    tenant_id = await _tenant(steps, args.tenant_id)
    invoice_id, owners = await _invoice_owners(steps, args.invoice, tenant_id)
    connected = {t.tenant_id: t for t in await steps.tenants()}
    tenant = connected.get(owners[0])
    if tenant is None:
        raise CommandError(f"the organisation of invoice {invoice_id} is no longer connected")
    url = await fetch_online_url(steps.ctx, tenant, invoice_id)
    return url or f"Xero has no online invoice for {invoice_id}"


async def _poke(steps: SyncSteps, args: PokeArgs) -> str:
    return await steps.poke_learner(args.source_id)


COMMANDS: dict[str, CommandSpec[Any]] = {
    "retry": CommandSpec(RetryArgs.parse, _retry, ("push_contacts", "write_back", "connectwise")),
    "retry_all": CommandSpec(NoArgs.parse, _retry_all, ("push_contacts", "write_back")),
    "resync": CommandSpec(ResyncArgs.parse, _resync, ("resyncs",)),
    "cancel_resync": CommandSpec(ResyncIdArgs.parse, _cancel_resync),
    "pause_resync": CommandSpec(ResyncIdArgs.parse, _pause_resync),
    "resume_resync": CommandSpec(ResyncIdArgs.parse, _resume_resync, ("resyncs",)),
    "sync_now": CommandSpec(NoArgs.parse, _sync_now, SYNCING_LOOPS),
    "pause": CommandSpec(TenantArgs.parse, _pause),
    "resume": CommandSpec(TenantArgs.parse, _resume, SYNCING_LOOPS),
    "acknowledge": CommandSpec(AcknowledgeArgs.parse, _acknowledge),
    "fetch_online_url": CommandSpec(OnlineLinkArgs.parse, _online_link, ("write_back",)),
    "poke_learner": CommandSpec(PokeArgs.parse, _poke, ("push_contacts",)),
}
"""Every command kind xerowatch carries out."""


def spec_of(kind: str) -> CommandSpec[Any]:
    """The registry entry of a kind (CommandError naming the known kinds if there is none)."""
    spec = COMMANDS.get(kind)
    if spec is None:
        raise CommandError(f"unknown command {kind}: the commands are {', '.join(COMMANDS)}")
    return spec


def check(kind: str, args: dict[str, Any]) -> None:
    """Refuse a command whose kind or arguments are wrong, with one line (CommandError)."""
    spec_of(kind).parse(args)


async def enqueue(
    store: Store, kind: str, args: dict[str, Any] | None = None, *, requested_by: str = ""
) -> int:
    """Check a command against the registry, then queue it; return its id."""
    check(kind, args or {})
    return await command_queue.enqueue(store, kind, args, requested_by=requested_by)


async def execute(steps: SyncSteps, cmd: Command) -> str:
    """Carry out one command; return a one-line result (raises CommandError on bad input)."""
    spec = spec_of(cmd.kind)
    return await spec.handler(steps, spec.parse(cmd.args))


def wakes_after(kind: str) -> tuple[str, ...]:
    """The loops to wake once a command of this kind is done."""
    spec = COMMANDS.get(kind)
    return spec.wakes if spec else ()


async def process_pending(steps: SyncSteps, *, limit: int = 100) -> list[str]:
    """Step: run every pending command, oldest first; return their result lines."""
    results: list[str] = []
    for _ in range(limit):
        cmd = await command_queue.claim_next(steps.ctx.store)
        if cmd is None:
            break
        results.append(await run_command(steps, cmd))
    return results


async def run_command(steps: SyncSteps, cmd: Command) -> str:
    """Run one claimed command and record its outcome (never raises for bad input)."""
    try:
        result = await execute(steps, cmd)
    except CommandError as exc:
        reason = failure_reason(exc)
        await command_queue.complete(steps.ctx.store, cmd.id, ok=False, result=reason)
        return f"#{cmd.id} {cmd.kind}: failed: {reason}"
    except StoreDamagedError:
        raise  # not this command's failure: the CLI and the daemon stop with one line
    except Exception as exc:
        log.exception("command %s failed", cmd.id)
        reason = failure_reason(exc)
        await command_queue.complete(steps.ctx.store, cmd.id, ok=False, result=reason)
        return f"#{cmd.id} {cmd.kind}: {reason}"
    result = one_line(result)
    await command_queue.complete(steps.ctx.store, cmd.id, ok=True, result=result)
    return f"#{cmd.id} {cmd.kind}: {result}"


def failure_reason(exc: Exception) -> str:
    """The recorded result of a failed command: the same line whoever carried it out."""
    if isinstance(exc, CommandError):
        return one_line(str(exc))
    return one_line(f"unexpected {type(exc).__name__}: {exc}")


def one_line(text: str) -> str:
    """A result as one line (an exception's text may span several)."""
    return " ".join(text.split())
