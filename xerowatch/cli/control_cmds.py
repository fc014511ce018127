"""`retry`, `resync`, `pause`, `resume`, `ack`, `online-link`: commands written to the store.

A running daemon picks them up within a second; with no daemon running, the command is carried
out right here, so the CLI works the same either way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import anyio
import click

from xerowatch.cli.context import CliContext
from xerowatch.cli.errors import report_error
from xerowatch.cli.options import DAY, check_range, tenant_option, types_option
from xerowatch.cli.params import ALERT_ID, RESYNC_ID
from xerowatch.cli.status import daemon_state
from xerowatch.store import commands
from xerowatch.store.db import open_store
from xerowatch.sync.commands import CommandError, CommandKind, check, enqueue
from xerowatch.sync.resync import parse_types

WAIT_FOR_DAEMON_S = 10.0


def submit(obj: CliContext, kind: CommandKind, args: dict[str, Any]) -> None:
    """Queue a command, then wait for the daemon to finish it or run it inline.

    The command registry checks the arguments first: a bad one never reaches the store.
    """
    settings = obj.settings
    try:
        check(kind, args)
    except CommandError as exc:
        raise click.UsageError(str(exc)) from None

    async def body() -> tuple[bool, str]:
        store = await open_store(settings.store.path)
        try:
            command_id = await enqueue(store, kind, args, requested_by="cli")
            if await daemon_state(store) is not None:
                with anyio.move_on_after(WAIT_FOR_DAEMON_S):
                    while True:
                        done = await commands.get(store, command_id)
                        if done is not None and done.state in ("done", "failed"):
                            return done.state == "done", done.result or ""
                        await anyio.sleep(0.1)
                return True, f"queued as command {command_id}; the daemon has not finished it yet"
            from xerowatch.sync.commands import run_command
            from xerowatch.wiring import open_runtime

            async with open_runtime(settings, store=store) as rt:
                claimed = await commands.claim_next(store)
                while claimed is not None and claimed.id != command_id:
                    await run_command(rt.engine, claimed)  # older queued commands go first
                    claimed = await commands.claim_next(store)
                if claimed is None:
                    return False, f"command {command_id} was taken by another process"
                await run_command(rt.engine, claimed)
            finished = await commands.get(store, command_id)
            assert finished is not None
            return finished.state == "done", finished.result or ""
        finally:
            await store.close()

    ok, result = obj.run(body)
    if not ok:  # the same line whether the daemon or this process carried the command out
        report_error(result)
        raise click.exceptions.Exit(1)
    click.echo(result)


@click.command("retry")
@click.argument("ref", required=False, metavar="[REF]")
@click.option("--all", "retry_all", is_flag=True, help="Retry every failed learner and job.")
@click.pass_obj
def retry_command(obj: CliContext, ref: str | None, retry_all: bool) -> None:
    """Retry one learner (RefInternal) or record now, or --all failed ones."""
    if bool(ref) == retry_all:
        raise click.UsageError("give a RefInternal, or --all")
    if retry_all:
        submit(obj, "retry_all", {})
    else:
        submit(obj, "retry", {"ref": ref})


@click.command("resync")
@click.option("--from", "date_from", type=DAY, help="First day (YYYY-MM-DD).")
@click.option("--to", "date_to", type=DAY, help="Day after the last (YYYY-MM-DD).")
@types_option
@tenant_option("Only this Xero organisation (default: all).")
@click.option("--cancel", "cancel_id", type=RESYNC_ID, metavar="ID", help="Cancel the resync ID.")
@click.pass_obj
def resync_command(
    obj: CliContext,
    date_from: datetime | None,
    date_to: datetime | None,
    types: tuple[str, ...],
    tenant_id: str,
    cancel_id: int | None,
) -> None:
    """Re-read a date range and write only what differs, as a job with progress."""
    if cancel_id is not None:
        submit(obj, "cancel_resync", {"id": cancel_id})
        return
    if date_from is None or date_to is None:
        raise click.UsageError("give --from and --to (YYYY-MM-DD), or --cancel ID")
    check_range(date_from, date_to)
    try:
        names = parse_types(",".join(types))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    submit(
        obj,
        "resync",
        {
            "from": date_from.date().isoformat(),
            "to": date_to.date().isoformat(),
            "types": names,
            "tenant_id": tenant_id,
        },
    )


@click.command("pause")
@tenant_option("Only this Xero organisation (default: all).")
@click.pass_obj
def pause_command(obj: CliContext, tenant_id: str) -> None:
    """Pause syncing (commands still run)."""
    submit(obj, "pause", {"tenant_id": tenant_id})


@click.command("resume")
@tenant_option("Only this Xero organisation (default: all).")
@click.pass_obj
def resume_command(obj: CliContext, tenant_id: str) -> None:
    """Resume syncing."""
    submit(obj, "resume", {"tenant_id": tenant_id})


@click.command("ack")
@click.argument("alert_ids", nargs=-1, type=ALERT_ID, metavar="[ALERT_ID]...")
@click.option("--all", "ack_all", is_flag=True, help="Acknowledge every open alert.")
@click.pass_obj
def ack_command(obj: CliContext, alert_ids: tuple[int, ...], ack_all: bool) -> None:
    """Acknowledge event alerts by id (see `xerowatch alerts`), or --all."""
    if bool(alert_ids) == ack_all:
        raise click.UsageError("give alert ids, or --all")
    submit(obj, "acknowledge", {"ids": list(alert_ids) if alert_ids else None})


@click.command("online-link")
@click.argument("invoice", metavar="INVOICE")
@tenant_option("The organisation of the invoice (when its number is used in several).")
@click.pass_obj
def online_link_command(obj: CliContext, invoice: str, tenant_id: str) -> None:
    """Fetch an invoice's online link now (one Xero call) and write it back.

    INVOICE is its number (e.g. INV-0042) or its InvoiceID.
    """
    invoice_id = invoice
    submit(obj, "fetch_online_url", {"invoice_id": invoice_id, "tenant_id": tenant_id})


def register(group: click.Group) -> None:
    """Add the control commands to the root group."""
    for command in (
        retry_command,
        resync_command,
        pause_command,
        resume_command,
        ack_command,
        online_link_command,
    ):
        group.add_command(command)
