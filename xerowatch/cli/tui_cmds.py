"""`xerowatch tui`: the live dashboard, attached to a running daemon or hosting one itself."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from xerowatch.cli.context import CliContext
from xerowatch.cli.terminal import require_terminal
from xerowatch.config import load_settings
from xerowatch.daemon.credentials import credential_overrides
from xerowatch.daemon.service import service_paths
from xerowatch.logs import setup_logging

if TYPE_CHECKING:  # textual loads only when the dashboard opens
    from xerowatch.tui.hosting import Mode


@click.command("tui")
@click.option(
    "--attach-only", "attach_only", is_flag=True, help="Refuse to run the daemon embedded."
)
@click.option(
    "--embedded", is_flag=True, help="Refuse to attach: run the daemon's loops in this process."
)
@click.option(
    "--service",
    "service",
    is_flag=True,
    help="Attach to the daemon `xerowatch service install` set up (its config and store; "
    "as root: the system unit's, otherwise your user unit's).",
)
@click.pass_obj
def tui_command(obj: CliContext, attach_only: bool, embedded: bool, service: bool) -> None:
    """Live dashboard: attaches to the daemon holding the store, or runs it embedded.

    Keys: s sync now · r retry · R retry all · a/A acknowledge · y resync · p pause ·
    / search · f filter · enter detail · tab next pane · c connection · ? help · q quit.

    Exit codes: 0 quit, 1 failed (or --attach-only with no daemon), 2 configuration,
    3 --embedded while another daemon holds the store.
    """
    from xerowatch.tui import run_dashboard  # textual loads only for the dashboard

    if attach_only and embedded:
        raise click.UsageError("--attach-only and --embedded exclude each other")
    require_terminal("run it from an SSH session or tmux, or use `xerowatch status`")
    config_path = obj.config_path
    overrides: dict[str, object] = {}
    if service:
        config_path, store_path = service_paths(user_mode=os.geteuid() != 0)
        overrides["store"] = {"path": store_path}
        attach_only = True
    settings = load_settings(config_path, **credential_overrides(), **overrides)
    if service and not Path(settings.store.path).exists():
        raise click.ClickException(
            f"no store at {settings.store.path}: is the service installed and started? "
            "(`xerowatch service install`, then `systemctl start xerowatch`)"
        )
    mode: Mode = "attach" if attach_only else "embedded" if embedded else "auto"
    setup_logging(level=obj.log_level_or("INFO"), json_lines=settings.daemon.log_json)
    code = run_dashboard(settings, config_path, mode=mode)
    if code:
        raise click.exceptions.Exit(code)


def register(group: click.Group) -> None:
    """Add `tui` to the root group."""
    group.add_command(tui_command)
