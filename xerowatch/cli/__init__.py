"""The `xerowatch` command line: one group, subcommands registered from sibling modules."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from xerowatch import __version__
from xerowatch.cli.context import CliContext
from xerowatch.config import ConfigError
from xerowatch.store.db import StoreError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar="XEROWATCH_CONFIG",
    help="Path to xerowatch.toml (default: ./xerowatch.toml if present).",
)
@click.option("--log-level", default="WARNING", show_default=True, help="Log level.")
@click.version_option(__version__, prog_name="xerowatch")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, log_level: str) -> None:
    """Keep Wisenet LRM learners and Xero accounting in step."""
    ctx.obj = CliContext(config_path=config_path, log_level=log_level)


def _register() -> None:
    from xerowatch.cli import (
        auth_cmds,
        control_cmds,
        daemon_cmds,
        demo_cmds,
        store_cmds,
        sync_cmds,
        wisenet_cmds,
    )

    auth_cmds.register(cli)
    sync_cmds.register(cli)
    control_cmds.register(cli)
    daemon_cmds.register(cli)
    demo_cmds.register(cli)
    store_cmds.register(cli)
    wisenet_cmds.register(cli)


_register()


def main() -> None:
    """Entry point: run the CLI, turning config and store problems into one line and exit 2."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except (ConfigError, StoreError) as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
