"""`xerowatch run` (the headless daemon) and `xerowatch service install` (its systemd unit)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import anyio
import click

from xerowatch.cli.context import CliContext
from xerowatch.clock import Clock, SystemClock
from xerowatch.config import Settings, load_settings
from xerowatch.daemon.commands_loop import CommandExecutor
from xerowatch.daemon.credentials import credential_overrides
from xerowatch.daemon.engine_loops import engine_wiring
from xerowatch.daemon.metrics import CallMetrics, MetricsSource
from xerowatch.daemon.notify import StatusText
from xerowatch.daemon.runner import DaemonRunner, LoopsFactory
from xerowatch.daemon.service import (
    UnitOptions,
    enable_commands,
    install_notes,
    render_unit,
    write_unit,
)
from xerowatch.logs import setup_logging
from xerowatch.store.db import Store, open_store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EngineParts:
    """What the sync engine plugs into the daemon."""

    loops_factory: LoopsFactory
    executor: CommandExecutor | None = None
    metrics_source: MetricsSource | None = None
    status_text: StatusText | None = None


@asynccontextmanager
async def engine_parts(
    settings: Settings, store: Store, clock: Clock, calls: CallMetrics
) -> AsyncIterator[EngineParts]:
    """Open the sync engine for the daemon's lifetime; its Xero calls feed `calls`."""
    async with engine_wiring(store, clock, calls) as wiring:
        yield EngineParts(
            loops_factory=wiring.loops_factory,
            executor=wiring.executor,
            metrics_source=wiring.host,
            status_text=wiring.status_text,
        )


def load_daemon_settings(config_path: Path | None) -> Settings:
    """Load settings, with secrets from systemd credentials taking precedence."""
    return load_settings(config_path, **credential_overrides())


@asynccontextmanager
async def daemon_runner(
    settings: Settings, config_path: Path | None, *, handle_signals: bool = True
) -> AsyncIterator[DaemonRunner]:
    """The daemon `xerowatch run` serves, with its store and engine open until the block ends."""
    store = await open_store(settings.store.path)
    try:
        clock = SystemClock()
        calls = CallMetrics()
        async with engine_parts(settings, store, clock, calls) as parts:
            yield DaemonRunner(
                settings=settings,
                store=store,
                clock=clock,
                loops_factory=parts.loops_factory,
                metrics_source=parts.metrics_source,
                executor=parts.executor,
                status_text=parts.status_text,
                settings_loader=partial(load_daemon_settings, config_path),
                call_metrics=calls,
                handle_signals=handle_signals,
            )
    finally:
        await store.close()


async def _serve(settings: Settings, config_path: Path | None) -> int:
    async with daemon_runner(settings, config_path) as runner:
        return await runner.serve()


@click.command("run")
@click.pass_obj
def run_cmd(obj: CliContext) -> None:
    """Run the headless sync daemon (SIGTERM stops it, SIGHUP reloads the config).

    Exit codes: 0 stopped cleanly, 1 failed, 2 configuration error, 3 another daemon holds
    the store.
    """
    settings = load_daemon_settings(obj.config_path)
    setup_logging(level=obj.log_level, json_lines=settings.daemon.log_json)
    code = anyio.run(_serve, settings, obj.config_path)
    if code:
        raise click.exceptions.Exit(code)


@click.group("service")
def service_group() -> None:
    """Run xerowatch as a systemd service."""


@service_group.command("install")
@click.option("--user", "user_mode", is_flag=True, help="Install a `systemctl --user` unit.")
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
    help="Where to write the unit ('-' prints it; default: where systemd looks).",
)
@click.option(
    "--run-as",
    metavar="ACCOUNT",
    help="Run as this existing account instead of a DynamicUser (system units).",
)
@click.option(
    "--credentials-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Directory of secret files (default /etc/xerowatch/credentials).",
)
def install_cmd(
    user_mode: bool, output: Path | None, run_as: str | None, credentials_dir: Path | None
) -> None:
    """Write a hardened systemd unit for `xerowatch run` and print how to enable it."""
    if user_mode and run_as:
        raise click.UsageError("--run-as applies to system units, not --user ones")
    options = UnitOptions(user_mode=user_mode, run_as=run_as, credentials_dir=credentials_dir)
    text = render_unit(options)
    if output is not None and str(output) == "-":
        click.echo(text, nl=False)
        return
    target = output or options.default_unit_path()
    try:
        write_unit(text, target)
    except PermissionError:
        raise click.ClickException(
            f"cannot write {target}: permission denied (run with sudo, use --user, "
            "or --output PATH)"
        ) from None
    click.echo(f"wrote {target}")
    for note in install_notes(options):
        click.echo(f"  {note}")
    click.echo("then:")
    for command in enable_commands(options):
        click.echo(f"  {command}")


def register(group: click.Group) -> None:
    """Add `run` and `service` to the root group."""
    group.add_command(run_cmd)
    group.add_command(service_group)
