"""`xerowatch sync --once`, `status`, `alerts`, `history`, `report`: run and read the sync."""

from __future__ import annotations

import csv
import io
import logging
import sys
from datetime import UTC, datetime
from typing import Any, NoReturn

import click

from xerowatch.cli.context import CliContext
from xerowatch.cli.errors import report_error
from xerowatch.cli.options import DAY, XerowatchGroup, check_range, json_option
from xerowatch.cli.params import ROW_COUNT
from xerowatch.cli.render import echo_json, money, table
from xerowatch.cli.status_text import render_status
from xerowatch.config import ConfigError, check_credentials
from xerowatch.daemon.lease import DaemonLease
from xerowatch.logs import redact
from xerowatch.store import alerts, history, transactions
from xerowatch.store.connectwise_view import label_of
from xerowatch.store.db import Store, StoreError
from xerowatch.store.overview import read_overview
from xerowatch.sync.connectwise_doc_stream import DocSummary
from xerowatch.sync.engine import CycleSummary

log = logging.getLogger(__name__)


def _connectwise_lines(summary: CycleSummary) -> list[str]:
    """Per organisation: what the ConnectWise stream read, held, sent, posted, paid back."""
    if not summary.connectwise and not summary.paused:
        return ["connectwise → xero: no organisation synced (see below)"]
    lines: list[str] = []
    for tenant_id, cw in summary.connectwise.items():
        pay = cw.payments
        lines += [
            f"connectwise → xero {tenant_id}:",
            f"  invoices: {cw.read} unposted read, {cw.held} held (see `xerowatch alerts`), "
            f"{cw.queued} queued for Xero",
            f"  customers → contacts: {cw.contacts_created} created, {cw.contacts_updated} updated",
            f"  in Xero: {cw.created} created, {cw.rejected} refused, {cw.in_doubt} in doubt; "
            f"{cw.posted} posted in ConnectWise",
            f"  payments back: {pay.posted + pay.found_after_doubt} posted, {pay.refused} refused, "
            f"{pay.credits_alerted} credit(s) to apply by hand",
            *(f"  stopped: {problem}" for problem in [*cw.problems, *pay.problems]),
        ]
        for kind, documents in cw.documents.items():
            lines += _document_lines(kind, documents)
    return lines


def _document_lines(kind: str, d: DocSummary) -> list[str]:
    """A ConnectWise document stream (expenses, ...) in one organisation, if it did anything."""
    if not (d.read or d.created or d.posted or d.rejected or d.problems):
        return []
    return [
        f"  {label_of(kind)}: {d.read} read, {d.queued} queued, {d.held} held; contacts "
        f"{d.contacts_created} created, {d.contacts_updated} updated; {d.created} in Xero, "
        f"{d.rejected} refused, {d.in_doubt} in doubt; {d.posted} posted in ConnectWise",
        *(f"  stopped: {problem}" for problem in d.problems),
    ]


def cycle_summary_lines(summary: CycleSummary, *, connectwise: bool = False) -> list[str]:
    """The text `sync --once` prints for one cycle, a line per part (ConnectWise's when it is
    the source)."""
    paused = ["sync is paused (xerowatch resume): only commands were processed"]
    head = paused if summary.paused else []
    if connectwise or summary.connectwise:
        return [*head, *_connectwise_lines(summary), *_summary_tail(summary)]
    src = summary.source
    lines = [
        *head,
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
    line = f"write-back: {wb.written} written, {wb.retrying} retrying, {wb.failed} failed"
    if wb.unchanged:
        line += f", {wb.unchanged} unchanged (not re-sent)"
    lines.append(line)
    if wb.budget_refused:
        lines.append(f"write-back stopped, nothing sent past this point: {wb.budget_refused}")
    if wb.paused:
        lines.append(f"write-back paused: {wb.paused}")
    lines.extend(f"resync: {line}" for line in summary.resyncs)
    return lines + _summary_tail(summary)


LEARNER_PARTS = ("source", "tenants", "writeback", "resyncs")
"""What `sync --once --json` leaves out when ConnectWise is the source (learner steps only)."""


def cycle_json(summary: CycleSummary, code: int, *, source_kind: str) -> dict[str, Any]:
    """What `sync --once --json` prints: the cycle, its exit code and `[source] kind`."""
    data = {**summary.to_dict(), "exit_code": code, "source_kind": source_kind}
    if source_kind == "connectwise":
        return {k: v for k, v in data.items() if k not in LEARNER_PARTS}
    return data


def _summary_tail(summary: CycleSummary) -> list[str]:
    lines = [f"command {line}" for line in summary.commands]
    total = sum(summary.calls.values())
    lines.append(f"xero calls: {total}" + (":" if summary.calls else ""))
    lines.extend(f"  {endpoint}: {count}" for endpoint, count in summary.calls.items())
    if summary.unreached_calls:
        lines.append(f"attempts that never reached Xero: {summary.unreached_calls}")
    lines.append(f"alerts: {summary.open_alerts} open ({summary.new_alerts} new)")
    return lines


SYNC_EXIT_CODES = (
    "Exit codes: 0 the cycle did its job · 1 it could not (no organisation connected, the "
    "source or Xero unreachable or refusing us; the reason and the fix are printed) · "
    "2 configuration error · 3 a daemon holds the store (without --force) · 4 done, but it "
    "raised new alerts (see `xerowatch alerts`)."
)
EXIT_DONE, EXIT_FAILED, EXIT_CONFIG, EXIT_DAEMON_RUNNING, EXIT_NEW_ALERTS = 0, 1, 2, 3, 4


def cycle_exit_code(summary: CycleSummary) -> int:
    """The exit code of `sync --once` for a finished cycle."""
    if summary.failures:
        return EXIT_FAILED
    return EXIT_NEW_ALERTS if summary.new_alerts else EXIT_DONE


@click.command("sync", epilog=SYNC_EXIT_CODES)
@click.option("--once", is_flag=True, help="Run one full cycle, print a summary and exit.")
@json_option
@click.option(
    "--force",
    is_flag=True,
    help="Run even while a daemon holds the store (both then spend the same Xero quota).",
)
@click.pass_obj
def sync_command(obj: CliContext, once: bool, as_json: bool, force: bool) -> None:
    """One full cycle: source changes, contact push, transaction pull, write-back."""
    if not once:
        _fail(
            as_json, EXIT_CONFIG, "use `xerowatch sync --once`, or `xerowatch run` to keep syncing"
        )
    try:
        summary = _sync_once(obj, force)
    except (ConfigError, StoreError) as exc:
        _fail(as_json, EXIT_CONFIG, str(exc))
    except DaemonRunning as exc:
        _fail(as_json, EXIT_DAEMON_RUNNING, str(exc))
    except Exception as exc:  # a failure outside what a cycle catches: still one line (and JSON)
        log.debug("sync --once failed", exc_info=exc)
        _fail(
            as_json,
            EXIT_FAILED,
            f"unexpected {type(exc).__name__}: {redact(str(exc))} — run again with "
            "--log-level DEBUG for the details",
        )
    code = cycle_exit_code(summary)
    kind = obj.settings.source.kind
    if as_json:
        echo_json(cycle_json(summary, code, source_kind=kind))
    else:
        click.echo("\n".join(cycle_summary_lines(summary, connectwise=kind == "connectwise")))
    for failure in summary.failures:
        report_error(failure)
    raise click.exceptions.Exit(code)


class DaemonRunning(Exception):
    """A live daemon holds the store's lease: a second writer would spend the quota twice."""


def _sync_once(obj: CliContext, force: bool) -> CycleSummary:
    from xerowatch.wiring import open_runtime

    settings = obj.settings
    check_credentials(settings)

    async def body() -> CycleSummary:
        async with open_runtime(settings) as rt:
            holder = await DaemonLease(rt.store, rt.clock).live_holder()
            if holder is not None:
                who = holder.describe(rt.clock.now())
                if not force:
                    raise DaemonRunning(
                        f"a xerowatch daemon is running on this store ({who}): it already syncs; "
                        "a second writer spends the same Xero quota twice — use `xerowatch "
                        "status`, or stop the daemon, or pass --force"
                    )
                log.warning("a daemon is running on this store (%s): syncing anyway", who)
            return await rt.engine.run_cycle()

    return obj.run(body)


def _fail(as_json: bool, code: int, message: str) -> NoReturn:
    if as_json:
        echo_json({"exit_code": code, "error": " ".join(message.split())})
    report_error(message)
    raise click.exceptions.Exit(code)


@click.command("status")
@json_option
@click.pass_obj
def status_command(obj: CliContext, as_json: bool) -> None:
    """Connection, quota, queue and alert status (works while the daemon runs)."""
    view = obj.read_store(lambda store: read_overview(store, datetime.now(UTC)))
    if as_json:
        echo_json(view.to_json())
        return
    connectwise = obj.settings.source.kind == "connectwise"
    click.echo(
        "\n".join(render_status(view, obj.settings.xero.daily_limit, connectwise=connectwise))
    )


@click.command("alerts")
@json_option
@click.option(
    "--type", "type_", metavar="TYPE", help="Only alerts of this type (e.g. learner_invalid)."
)
@click.pass_obj
def alerts_command(obj: CliContext, as_json: bool, type_: str | None) -> None:
    """Open event alerts, newest first, each with the fix."""

    async def query(store: Store) -> list[alerts.Alert]:
        if type_ is not None:
            known = await alerts.alert_types(store)
            if type_ not in known:
                raise click.BadParameter(
                    f"unknown alert type {type_!r}; the types are: {', '.join(known)}",
                    param_hint="--type",
                )
        return await alerts.open_alerts(store, type_=type_)

    found = obj.read_store(query)
    if as_json:
        echo_json([a.__dict__ for a in found])
        return
    click.echo(
        table(
            ["id", "type", "record", "count", "last seen", "message", "fix"],
            [(a.id, a.type, a.record, a.count, a.last_seen[:19], a.message, a.fix) for a in found],
            empty="no open alerts",
            whole={6},
        )
    )


@click.command("history")
@click.argument("ref", metavar="REF")
@json_option
@click.option(
    "--limit", type=ROW_COUNT, default=50, show_default=True, metavar="N", help="Rows to show."
)
@click.pass_obj
def history_command(obj: CliContext, ref: str, as_json: bool, limit: int) -> None:
    """Integration history of a learner or record, newest first.

    REF is a learner's RefInternal, an invoice or credit note number, or a record key such as
    invoice:<InvoiceID>.
    """

    async def query(store: Store) -> list[history.HistoryEntry]:
        keys = [ref, *await transactions.record_keys_numbered(store, ref)]
        rows = [row for key in keys for row in await history.for_record(store, key, limit)]
        return sorted(rows, key=lambda r: r.id, reverse=True)[:limit]

    rows = obj.read_store(query)
    if not rows:
        report_error(
            f"no history for {ref}: give a learner's RefInternal (as in `xerowatch alerts` or "
            "`report invoices`), an invoice number, or a record key such as invoice:<InvoiceID>"
        )
        raise click.exceptions.Exit(1)
    if as_json:
        echo_json([r.__dict__ for r in rows])
        return
    click.echo(
        table(
            ["at", "record", "direction", "action", "outcome", "http", "correlation id", "message"],
            [
                (
                    r.at[:19],
                    r.record,
                    r.direction,
                    r.action,
                    r.outcome,
                    r.http_status,
                    r.correlation_id,
                    r.message,
                )
                for r in rows
            ],
            whole={7},
        )
    )


@click.group("report", cls=XerowatchGroup)
def report_group() -> None:
    """Reports on what was synced (see `report invoices`)."""


REPORT_HEADERS = [
    "ref_internal",
    "kind",
    "number",
    "xero_id",
    "date",
    "status",
    "total",
    "amount_due",
    "written_back_at",
]


@report_group.command("invoices")
@click.option("--from", "date_from", required=True, type=DAY, help="First day (YYYY-MM-DD).")
@click.option("--to", "date_to", required=True, type=DAY, help="Day after the last (YYYY-MM-DD).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="Output format.",
)
@click.pass_obj
def report_invoices(obj: CliContext, date_from: datetime, date_to: datetime, fmt: str) -> None:
    """What was synced back per learner, dated from --from up to the day before --to."""
    check_range(date_from, date_to)
    rows = obj.read_store(
        lambda store: transactions.report(
            store, date_from=date_from.date().isoformat(), date_to=date_to.date().isoformat()
        )
    )
    records = [
        {**r.__dict__, "total": money(r.total), "amount_due": money(r.amount_due)} for r in rows
    ]
    values = [[record[h] for h in REPORT_HEADERS] for record in records]
    if fmt == "json":
        echo_json(records)
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(REPORT_HEADERS)
        writer.writerows(values)
        sys.stdout.write(buffer.getvalue())
    else:
        click.echo(table(REPORT_HEADERS, values, empty="nothing synced in that range"))


def register(group: click.Group) -> None:
    """Add the sync commands to the root group."""
    for command in (sync_command, status_command, alerts_command, history_command, report_group):
        group.add_command(command)
