"""`xerowatch run` (the headless daemon) and `xerowatch service install` (its systemd unit)."""

from __future__ import annotations

import logging
from pathlib import Path

import anyio
import click

from xerowatch.cli.context import CliContext
from xerowatch.cli.options import XerowatchGroup
from xerowatch.config import Settings, check_credentials
from xerowatch.daemon.assembly import daemon_runner, load_daemon_settings
from xerowatch.daemon.service import (
    UnitOptions,
    credential_warnings,
    enable_commands,
    install_notes,
    render_unit,
    write_unit,
)
from xerowatch.daemon.startup import log_startup
from xerowatch.logs import setup_logging

log = logging.getLogger(__name__)


async def _serve(settings: Settings, config_path: Path | None) -> int:
    async with daemon_runner(settings, config_path, on_start=log_startup) as runner:
        return await runner.serve()


@click.command("run")
@click.pass_obj
def run_cmd(obj: CliContext) -> None:
    """Run the headless sync daemon (SIGTERM stops it, SIGHUP reloads the config).

    Exit codes: 0 stopped cleanly, 1 failed, 2 configuration error, 3 another daemon holds
    the store.
    """
    settings = load_daemon_settings(obj.config_path)
    check_credentials(settings)
    setup_logging(level=obj.log_level_or("INFO"), json_lines=settings.daemon.log_json)
    code = anyio.run(_serve, settings, obj.config_path)
    if code:
        raise click.exceptions.Exit(code)


@click.group("service", cls=XerowatchGroup)
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
    for warning in credential_warnings(options):
        click.echo(warning, err=True)
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
