"""`xerowatch sync --once`, `status`, `alerts`, `history`, `report`: run and read the sync."""

from __future__ import annotations

import csv
import io
import sys
from datetime import UTC, datetime

import click

from xerowatch.cli.context import CliContext
from xerowatch.cli.params import ROW_COUNT
from xerowatch.cli.render import echo_json, table
from xerowatch.cli.status_text import render_status
from xerowatch.store import alerts, history, transactions
from xerowatch.store.overview import read_overview
from xerowatch.sync.engine import CycleSummary


def _summary_lines(summary: CycleSummary) -> list[str]:
    src = summary.source
    lines = [
        f"source: {src.seen} learners read, {src.changed} changed, {src.invalid} invalid, "
        f"{src.skipped} not synced (Sync to Xero off), {src.problems} unreadable",
    ]
    for tenant_id, cycle in summary.tenants.items():
        push, pull = cycle.push, cycle.pull
        lines.append(
            f"xero {tenant_id}: contacts {push.created} created, {push.updated} updated, "
            f"{push.unchanged} unchanged, {push.rejected + push.blocked} need attention, "
            f"{push.retrying} retrying; transactions {pull.total('matched')} matched, "
            f"{pull.total('unmatched')} not ours (counted, not synced)"
            + (f"; stopped: {cycle.error}" if cycle.error else "")
        )
    wb = summary.writeback
    lines.append(f"write-back: {wb.written} written, {wb.retrying} retrying, {wb.failed} failed")
    lines.extend(f"resync: {line}" for line in summary.resyncs)
    lines.extend(f"command {line}" for line in summary.commands)
    total = sum(summary.calls.values())
    lines.append(f"xero calls: {total}" + (":" if summary.calls else ""))
    lines.extend(f"  {endpoint}: {count}" for endpoint, count in summary.calls.items())
    lines.append(f"alerts: {summary.open_alerts} open ({summary.new_alerts} new)")
    if summary.paused:
        lines.insert(0, "sync is paused (xerowatch resume): only commands were processed")
    return lines


@click.command("sync")
@click.option("--once", is_flag=True, help="Run one full cycle, print a summary and exit.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_obj
def sync_command(obj: CliContext, once: bool, as_json: bool) -> None:
    """One full cycle: source changes, contact push, transaction pull, write-back."""
    if not once:
        raise click.UsageError("use `xerowatch sync --once`, or `xerowatch run` to keep syncing")
    from xerowatch.wiring import open_runtime

    settings = obj.settings

    async def body() -> CycleSummary:
        async with open_runtime(settings) as rt:
            return await rt.engine.run_cycle()

    summary = obj.run(body)
    if as_json:
        echo_json(summary.to_dict())
    else:
        click.echo("\n".join(_summary_lines(summary)))


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def status_command(obj: CliContext, as_json: bool) -> None:
    """Connection, quota, queue and alert status (works while the daemon runs)."""
    view = obj.read_store(lambda store: read_overview(store, datetime.now(UTC)))
    if as_json:
        echo_json(view.to_json())
        return
    click.echo("\n".join(render_status(view, obj.settings.xero.daily_limit)))


@click.command("alerts")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--type", "type_", help="Only alerts of this type.")
@click.pass_obj
def alerts_command(obj: CliContext, as_json: bool, type_: str | None) -> None:
    """Open event alerts, newest first, each with the fix."""
    found = obj.read_store(lambda store: alerts.open_alerts(store, type_=type_))
    if as_json:
        echo_json([a.__dict__ for a in found])
        return
    click.echo(
        table(
            ["id", "type", "record", "count", "last seen", "message", "fix"],
            [(a.id, a.type, a.record, a.count, a.last_seen[:19], a.message, a.fix) for a in found],
            empty="no open alerts",
        )
    )


@click.command("history")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--limit", type=ROW_COUNT, default=50, show_default=True, help="Rows to show.")
@click.pass_obj
def history_command(obj: CliContext, ref: str, as_json: bool, limit: int) -> None:
    """Integration history of one learner (RefInternal) or record, newest first."""
    rows = obj.read_store(lambda store: history.for_record(store, ref, limit))
    if as_json:
        echo_json([r.__dict__ for r in rows])
        return
    click.echo(
        table(
            ["at", "direction", "action", "outcome", "http", "message"],
            [(r.at[:19], r.direction, r.action, r.outcome, r.http_status, r.message) for r in rows],
            empty=f"no history for {ref}",
        )
    )


@click.group("report")
def report_group() -> None:
    """Reports on what was synced (see `report invoices`)."""


@report_group.command("invoices")
@click.option("--from", "date_from", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--to", "date_to", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@click.pass_obj
def report_invoices(obj: CliContext, date_from: datetime, date_to: datetime, fmt: str) -> None:
    """What was synced back per learner, dated in [--from, --to)."""
    rows = obj.read_store(
        lambda store: transactions.report(
            store, date_from=date_from.date().isoformat(), date_to=date_to.date().isoformat()
        )
    )
    headers = [
        "ref_internal",
        "kind",
        "number",
        "date",
        "status",
        "total",
        "amount_due",
        "written_back_at",
    ]
    values = [[getattr(r, h) for h in headers] for r in rows]
    if fmt == "json":
        echo_json([r.__dict__ for r in rows])
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(headers)
        writer.writerows(values)
        sys.stdout.write(buffer.getvalue())
    else:
        click.echo(table(headers, values, empty="nothing synced in that range"))


def register(group: click.Group) -> None:
    """Add the sync commands to the root group."""
    for command in (sync_command, status_command, alerts_command, history_command, report_group):
        group.add_command(command)
