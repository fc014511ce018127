"""Carry out operator commands (retry, retry all, resync, pause, resume, acknowledge, …)."""

from __future__ import annotations

import logging
from datetime import date
from typing import TYPE_CHECKING
from uuid import UUID

from xerowatch.store import alerts, commands, jobs, learners, links, resyncs, runtime, transactions
from xerowatch.store.commands import Command
from xerowatch.store.db import Store, StoreDamagedError
from xerowatch.store.links import LinkState
from xerowatch.sync.online_urls import fetch_online_url
from xerowatch.sync.resync import parse_types

if TYPE_CHECKING:
    from xerowatch.sync.engine import SyncEngine

log = logging.getLogger(__name__)

RETRYABLE_LINK_STATES: tuple[LinkState, ...] = ("invalid", "blocked", "dead")
SQLITE_INT_MAX = 2**63 - 1
"""Ids beyond this cannot even be looked up: sqlite3 raises OverflowError binding them."""


class CommandError(Exception):
    """A command that cannot be carried out as asked (bad arguments, unknown record)."""


async def _retry_ref(engine: SyncEngine, ref: str) -> str:
    store = engine.ctx.store
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


def _text_arg(args: dict[str, object], name: str, what: str) -> str:
    value = args.get(name)
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise CommandError(f"needs {what} ({name})")
    return value.strip()


def _int_arg(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise CommandError(f"{what} must be a number, got {value!r}")
    try:
        number = int(value)
    except ValueError:
        raise CommandError(f"{what} must be a number, got {str(value)[:40]!r}") from None
    if not 1 <= number <= SQLITE_INT_MAX:
        raise CommandError(f"{what} is out of range: {str(number)[:40]} (ids go from 1 up)")
    return number


def _alert_ids(args: dict[str, object]) -> list[int] | None:
    ids = args.get("ids")
    if ids is None:
        return None
    if not isinstance(ids, list):
        raise CommandError(f"ids must be a list of alert numbers, got {ids!r}")
    try:
        return [_int_arg(i, "an alert id") for i in ids]
    except CommandError:
        raise CommandError(f"ids must be a list of alert numbers, got {str(ids)[:80]}") from None


def _types_arg(value: object) -> list[str]:
    if value is not None and not isinstance(value, str | list):
        raise CommandError(f"types must be a list of names, got {value!r}")
    if isinstance(value, list) and not all(isinstance(item, str) for item in value):
        raise CommandError(f"types must be a list of names, got {value!r}")
    try:
        return parse_types(value)
    except ValueError as exc:
        raise CommandError(str(exc)) from None


async def _tenant_arg(engine: SyncEngine, args: dict[str, object]) -> str:
    """The tenant a command names ('' = all), which must be a connected one."""
    tenant_id = str(args.get("tenant_id") or "")
    if tenant_id and tenant_id not in {t.tenant_id for t in await engine.tenants()}:
        raise CommandError(
            f"no connected Xero organisation {tenant_id}: see `xerowatch connections` for the "
            "tenant ids"
        )
    return tenant_id


async def _resync(engine: SyncEngine, cmd: Command) -> str:
    date_from = _date_arg(cmd.args, "from")
    date_to = _date_arg(cmd.args, "to")
    if date_to <= date_from:
        raise CommandError("the end of the range must be after its start")
    types = _types_arg(cmd.args.get("types"))
    run_id = await resyncs.create(
        engine.ctx.store,
        tenant_id=await _tenant_arg(engine, cmd.args),
        types=types,
        date_from=date_from,
        date_to=date_to,
    )
    return f"resync {run_id} queued: {date_from}..{date_to} ({', '.join(types)})"


def _guid(text: str) -> str | None:
    try:
        return str(UUID(text))
    except ValueError:
        return None


async def _invoice_owners(engine: SyncEngine, given: str, tenant_id: str) -> tuple[str, list[str]]:
    """The InvoiceID an operator means (a GUID or an InvoiceNumber) and the tenants holding it."""
    store = engine.ctx.store
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


async def _online_link(engine: SyncEngine, args: dict[str, object]) -> str:
    given = _text_arg(args, "invoice_id", "an invoice number or InvoiceID")
    tenant_id = await _tenant_arg(engine, args)
    invoice_id, owners = await _invoice_owners(engine, given, tenant_id)
    connected = {t.tenant_id: t for t in await engine.tenants()}
    tenant = connected.get(owners[0])
    if tenant is None:
        raise CommandError(f"the organisation of invoice {invoice_id} is no longer connected")
    url = await fetch_online_url(engine.ctx, tenant, invoice_id)
    return url or f"Xero has no online invoice for {invoice_id}"


async def _hold_resync(store: Store, cmd: Command) -> str:
    run_id = _int_arg(cmd.args.get("id"), "the resync id")
    run = await resyncs.get(store, run_id)
    if run is None or run.state not in resyncs.ACTIVE_STATES:
        raise CommandError(f"no active resync {run_id}")
    if cmd.kind == "pause_resync":
        await resyncs.hold(store, run.id)
        return f"resync {run.id} paused (it stops at its next checkpoint)"
    await resyncs.release(store, run.id)
    return f"resync {run.id} resumed"


async def execute(engine: SyncEngine, cmd: Command) -> str:
    """Carry out one command; return a one-line result (raises CommandError on bad input)."""
    store = engine.ctx.store
    args = cmd.args
    if cmd.kind == "retry":
        return await _retry_ref(engine, _text_arg(args, "ref", "a RefInternal"))
    if cmd.kind == "retry_all":
        return await _retry_all(engine)
    if cmd.kind == "resync":
        return await _resync(engine, cmd)
    if cmd.kind == "cancel_resync":
        run_id = _int_arg(args.get("id"), "the resync id")
        run = await resyncs.get(store, run_id)
        if run is None or run.state not in resyncs.ACTIVE_STATES:
            raise CommandError(f"no active resync {run_id}: see `xerowatch status` for the runs")
        await resyncs.update(store, run.id, state="cancelled", message="cancelled by operator")
        return f"resync {run.id} cancelled"
    if cmd.kind in ("pause_resync", "resume_resync"):
        return await _hold_resync(store, cmd)
    if cmd.kind == "sync_now":
        paused = await runtime.is_paused(store)
        return "syncing is paused: resume first" if paused else "sync started"
    if cmd.kind in ("pause", "resume"):
        tenant_id = await _tenant_arg(engine, args)
        await runtime.set_paused(store, cmd.kind == "pause", tenant_id)
        return f"{'paused' if cmd.kind == 'pause' else 'resumed'} {tenant_id or 'all tenants'}"
    if cmd.kind == "acknowledge":
        ids = _alert_ids(args)
        if ids is not None:
            unknown = sorted(set(ids) - await alerts.open_ids(store, ids))
            if unknown:
                raise CommandError(
                    f"no open alert {', '.join(map(str, unknown))}: see `xerowatch alerts` for "
                    "the ids of open alerts (nothing was acknowledged)"
                )
        count = await alerts.acknowledge(store, ids)
        return f"{count} alert(s) acknowledged"
    if cmd.kind == "fetch_online_url":
        return await _online_link(engine, args)
    if cmd.kind == "poke_learner":
        return await engine.poke_learner(_text_arg(args, "source_id", "a learner id"))
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
        reason = failure_reason(exc)
        await commands.complete(engine.ctx.store, cmd.id, ok=False, result=reason)
        return f"#{cmd.id} {cmd.kind}: failed: {reason}"
    except StoreDamagedError:
        raise  # not this command's failure: the CLI and the daemon stop with one line
    except Exception as exc:
        log.exception("command %s failed", cmd.id)
        reason = failure_reason(exc)
        await commands.complete(engine.ctx.store, cmd.id, ok=False, result=reason)
        return f"#{cmd.id} {cmd.kind}: {reason}"
    result = one_line(result)
    await commands.complete(engine.ctx.store, cmd.id, ok=True, result=result)
    return f"#{cmd.id} {cmd.kind}: {result}"


def failure_reason(exc: Exception) -> str:
    """The recorded result of a failed command: the same line whoever carried it out."""
    if isinstance(exc, CommandError):
        return one_line(str(exc))
    return one_line(f"unexpected {type(exc).__name__}: {exc}")


def one_line(text: str) -> str:
    """A result as one line (an exception's text may span several)."""
    return " ".join(text.split())
