"""`xerowatch demo`: the whole product against the built-in loopback simulators, no accounts."""

from __future__ import annotations

import shutil
import signal
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import click

from xerowatch.cli.context import CliContext
from xerowatch.cli.params import LEARNER_COUNT
from xerowatch.cli.status import collect_status
from xerowatch.cli.terminal import require_terminal
from xerowatch.config import load_settings
from xerowatch.daemon.assembly import daemon_runner
from xerowatch.daemon.runner import DaemonRunner
from xerowatch.logs import setup_logging
from xerowatch.store import connectwise_records
from xerowatch.store.db import Store
from xerowatch.wiring import connect_custom_connection, open_runtime

if TYPE_CHECKING:  # the simulators load only when the demo runs
    from xerowatch.sim.demo import DemoWorld

STATUS_EVERY_S = 5.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _command_name() -> str:
    """How to run xerowatch from another shell: the installed script, wherever it is."""
    here = Path(sys.argv[0])
    if here.name == "xerowatch" and here.exists():
        return str(here if here.is_absolute() or here.parent != Path() else here.name)
    return shutil.which("xerowatch") or f"{sys.executable} -m xerowatch"


def _intro(world: DemoWorld, http_port: int) -> str:
    env = f"XEROWATCH_CONFIG={world.config} {_command_name()}"
    if world.connectwise is not None:
        return f"""
xerowatch demo — ConnectWise → Xero, everything on 127.0.0.1, nothing leaves this machine
  Xero simulator        {world.xero_url}   (organisation "{world.organisation}")
  ConnectWise simulator {world.source_url}
  config                {world.config}

The daemon is starting: customers become Xero contacts, unposted invoices Xero invoices,
each posted in ConnectWise once Xero has it. In another shell, try:
  {env} status
  {env} alerts
  {env} sync --once --force
"""
    return f"""
xerowatch demo — everything on 127.0.0.1, nothing leaves this machine
  Xero simulator     {world.xero_url}   (organisation "{world.organisation}")
  Wisenet simulator  {world.source_url}/v1
  config             {world.config}

The daemon is starting. In another shell, try:
  {env} status
  {env} alerts
  {env} history DAU0001001
  {env} retry --all
  {env} resync --from 2020-01-01 --to 2030-01-01 --types invoices
  curl -s http://127.0.0.1:{http_port}/metrics | grep xerowatch_
Xero calls are budgeted as for a real organisation (60 a minute, 5,000 a day): new invoices
come back within 30 s of their webhook, pulls spaced out further once webhooks keep coming.
Ctrl-C stops it cleanly.
"""


async def _connectwise_line(store: Store) -> str:
    """The ConnectWise stream's records by state, or "" before it has any."""
    counts = await connectwise_records.counts(store)
    if not counts:
        return ""
    invoices = {state: n for (kind, state), n in counts.items() if kind == "invoice"}
    customers = {state: n for (kind, state), n in counts.items() if kind == "customer"}
    expenses = {state: n for (kind, state), n in counts.items() if kind == "expense"}
    expense_part = (
        f"expenses posted {expenses.get('posted', 0)}, held {expenses.get('held', 0)} · "
        if expenses
        else ""
    )
    return (
        f"connectwise: customers in Xero {customers.get('done', 0)} · invoices posted "
        f"{invoices.get('posted', 0)}, in Xero not yet posted {invoices.get('in_xero', 0)}, "
        f"queued {invoices.get('queued', 0)}, held {invoices.get('held', 0)}, refused "
        f"{invoices.get('rejected', 0)} · {expense_part}"
    )


async def _status_line(store: Store) -> str:
    data = await collect_status(store)
    connectwise = await _connectwise_line(store)
    if connectwise:
        return f"{connectwise}alerts {data['open_alerts']}"
    contacts = data["contacts"]
    tx = data["transactions"]
    quota = "; ".join(
        f"{s['calls']} calls this minute, {s['day_remaining']} left today"
        for s in data["quota"].values()
    )
    return (
        f"learners {data['learners']} · contacts synced {contacts.get('synced', 0)}, "
        f"need attention {contacts.get('invalid', 0) + contacts.get('blocked', 0)} · "
        f"transactions back to Wisenet {tx['matched'] - tx['pending_write']}"
        f"/{tx['matched']} (not ours: {tx['unmatched']}) · alerts {data['open_alerts']}"
        + (f" · {quota}" if quota else "")
    )


async def print_status_every(store: Store, seconds: float) -> None:
    """Forever: print the demo's status line (a line saying why when it cannot be read)."""
    while True:
        await anyio.sleep(seconds)
        try:
            line = await _status_line(store)
        except Exception as exc:  # a status glitch must never stop the demo
            line = f"status unavailable: {exc}"
        click.echo(line)


async def _run(world: DemoWorld, http_port: int) -> int:
    """Connect, then run the daemon; Ctrl-C (SIGINT) or SIGTERM stops it, a second one at once."""
    settings = load_settings(world.config)
    runner: DaemonRunner | None = None
    stop_early = False
    code = 0
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        click.echo(_intro(world, http_port))  # from here on Ctrl-C is ours to handle

        async def forward_signals() -> None:
            nonlocal stop_early
            async for _ in signals:
                if runner is None:
                    stop_early = True  # still connecting: stop before the daemon starts
                elif runner.stop_requested:
                    click.echo("stopping now")
                    runner.force_stop()
                else:
                    click.echo("stopping (Ctrl-C again to stop at once)")
                    runner.request_stop()

        async with anyio.create_task_group() as tg:
            tg.start_soon(forward_signals)
            async with open_runtime(settings) as rt:
                [tenant] = await connect_custom_connection(rt)
            click.echo(f"connected to {tenant.name} ({tenant.tenant_id})")
            async with daemon_runner(settings, world.config, handle_signals=False) as runner:
                if stop_early:
                    runner.request_stop()
                tg.start_soon(print_status_every, runner.store, STATUS_EVERY_S)
                code = await runner.serve()
            tg.cancel_scope.cancel()
    return code


@click.command("demo")
@click.option(
    "--dir",
    "world_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("demo-state"),
    show_default=True,
    metavar="DIR",
    help="Where the demo keeps its config and store (wiped and started afresh each time).",
)
@click.option(
    "--learners",
    type=LEARNER_COUNT,
    default=150,
    show_default=True,
    metavar="N",
    help="Learners in the Wisenet simulator.",
)
@click.option(
    "--source",
    type=click.Choice(["wisenet", "connectwise"]),
    default="wisenet",
    show_default=True,
    help="Which source system's simulator to serve (ConnectWise: 50 customers, 300 invoices).",
)
@click.option(
    "--headless",
    is_flag=True,
    help="No dashboard: run the daemon and print a status line every few seconds.",
)
@click.pass_obj
def demo_command(
    obj: CliContext, world_dir: Path, learners: int, source: str, headless: bool
) -> None:
    """Open the live dashboard over the daemon and built-in Xero and Wisenet (or ConnectWise)
    simulators.

    No accounts needed; everything stays on 127.0.0.1. The demo starts afresh each time:
    DIR is wiped first.
    """
    from xerowatch.sim.demo import demo_world
    from xerowatch.sim.demo_connectwise import connectwise_demo_world

    if not headless:
        require_terminal("use `xerowatch demo --headless` for a status line instead")
    if world_dir.exists():
        shutil.rmtree(world_dir)
    http_port = _free_port()
    world_cm = (
        connectwise_demo_world(world_dir.resolve(), http_port=http_port)
        if source == "connectwise"
        else demo_world(world_dir.resolve(), learners=learners, http_port=http_port)
    )
    with world_cm as world:
        if headless:
            setup_logging(level=obj.log_level)
            code = anyio.run(_run, world, http_port)
        else:
            setup_logging(level=obj.log_level_or("INFO"))  # to a file once the dashboard starts
            code = _dashboard(world)
    click.echo(f"demo stopped (exit code {code}); its store and config stay in {world_dir}")
    if code:
        raise click.exceptions.Exit(code)


def _dashboard(world: DemoWorld) -> int:
    """Connect to the simulated organisation, then open the dashboard with the daemon inside."""
    from xerowatch.tui import run_dashboard

    settings = load_settings(world.config)

    async def connect() -> None:
        async with open_runtime(settings) as rt:
            await connect_custom_connection(rt)

    anyio.run(connect)
    return run_dashboard(settings, world.config, mode="embedded")


def register(group: click.Group) -> None:
    """Add the demo command to the root group."""
    group.add_command(demo_command)
