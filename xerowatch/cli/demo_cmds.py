"""`xerowatch demo`: the whole product against the built-in loopback simulators, no accounts."""

from __future__ import annotations

import shutil
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import click

from xerowatch.cli.context import CliContext
from xerowatch.cli.daemon_cmds import _serve
from xerowatch.cli.status import collect_status
from xerowatch.config import load_settings
from xerowatch.logs import setup_logging
from xerowatch.store.db import open_store
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
    return f"""
xerowatch demo — everything on 127.0.0.1, nothing leaves this machine
  Xero simulator     {world.xero_url}   (organisation "Demo RTO Pty Ltd")
  Wisenet simulator  {world.wisenet_url}/v1
  config             {world.config}

The daemon is starting. In another shell, try:
  {env} status
  {env} alerts
  {env} history DAU0001001
  {env} retry --all
  {env} resync --from 2020-01-01 --to 2030-01-01 --types invoices
  curl -s http://127.0.0.1:{http_port}/metrics | grep xerowatch_
Ctrl-C stops it cleanly.
"""


async def _status_line(store_path: Path) -> str:
    store = await open_store(store_path)
    try:
        data = await collect_status(store)
    finally:
        await store.close()
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


async def _run(world: DemoWorld) -> int:
    settings = load_settings(world.config)
    async with open_runtime(settings) as rt:
        [tenant] = await connect_custom_connection(rt)
    click.echo(f"connected to {tenant.name} ({tenant.tenant_id})")
    code = 0

    async def daemon() -> None:
        nonlocal code
        code = await _serve(settings, world.config)
        scope.cancel()

    async with anyio.create_task_group() as tg:
        scope = tg.cancel_scope
        tg.start_soon(daemon)
        while True:
            await anyio.sleep(STATUS_EVERY_S)
            click.echo(await _status_line(settings.store.path))
    return code


@click.command("demo")
@click.option(
    "--dir",
    "world_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("demo-state"),
    show_default=True,
    help="Where the demo keeps its config and store (started afresh each time).",
)
@click.option(
    "--learners", default=150, show_default=True, help="Learners in the Wisenet simulator."
)
@click.pass_obj
def demo_command(obj: CliContext, world_dir: Path, learners: int) -> None:
    """Run the daemon against built-in Xero and Wisenet simulators (no accounts needed)."""
    from xerowatch.sim.demo import demo_world

    setup_logging(level=obj.log_level)
    if world_dir.exists():
        shutil.rmtree(world_dir)
    http_port = _free_port()
    with demo_world(world_dir.resolve(), learners=learners, http_port=http_port) as world:
        click.echo(_intro(world, http_port))
        code = anyio.run(_run, world)
    click.echo(f"demo stopped (exit code {code}); its store and config stay in {world_dir}")
    if code:
        raise click.exceptions.Exit(code)


def register(group: click.Group) -> None:
    """Add the demo command to the root group."""
    group.add_command(demo_command)
