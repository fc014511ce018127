"""The `xerowatch` command line: one group, subcommands registered from sibling modules."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from xerowatch import __version__
from xerowatch.cli.context import LOG_LEVELS, CliContext
from xerowatch.cli.errors import report_error
from xerowatch.cli.options import XerowatchGroup
from xerowatch.config import ConfigError
from xerowatch.logs import redact
from xerowatch.store.db import StoreError


@click.group(cls=XerowatchGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar="XEROWATCH_CONFIG",
    help="Path to xerowatch.toml (default: ./xerowatch.toml if present).",
)
@click.option(
    "--log-level",
    type=click.Choice(LOG_LEVELS, case_sensitive=False),
    default=None,
    help="Log level [default: INFO for `run`, WARNING otherwise].",
)
@click.version_option(__version__, prog_name="xerowatch")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, log_level: str | None) -> None:
    """Keep Wisenet LRM learners and Xero accounting in step."""
    ctx.obj = CliContext(config_path=config_path, chosen_log_level=log_level)


def _register() -> None:
    from xerowatch.cli import (
        auth_cmds,
        control_cmds,
        daemon_cmds,
        demo_cmds,
        store_cmds,
        sync_cmds,
        tui_cmds,
        wisenet_cmds,
    )

    auth_cmds.register(cli)
    sync_cmds.register(cli)
    control_cmds.register(cli)
    daemon_cmds.register(cli)
    demo_cmds.register(cli)
    store_cmds.register(cli)
    wisenet_cmds.register(cli)
    tui_cmds.register(cli)


_register()


def main() -> None:
    """Entry point: run the CLI and exit with its code; every failure is one `error: …` line.

    Exit codes: 0 done · 1 failed · 2 usage or configuration error (or a store that cannot be
    opened) · 3 another daemon holds the store · 4 `sync --once` finished with new alerts ·
    130 interrupted.
    """
    sys.exit(run_cli(sys.argv[1:]))


def run_cli(args: list[str]) -> int:
    """Run the command line on `args` and return the process exit code (never raises)."""
    try:
        code = cli.main(args=args, prog_name="xerowatch", standalone_mode=False)
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("aborted", err=True)
        return 130
    except click.UsageError as exc:
        _usage_error(exc)
        return exc.exit_code
    except click.ClickException as exc:
        report_error(exc.format_message())
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except (ConfigError, StoreError) as exc:
        report_error(str(exc))
        return 2
    except Exception as exc:  # never a traceback for the operator; the log keeps it
        logging.getLogger("xerowatch").debug("unexpected failure", exc_info=exc)
        report_error(
            f"unexpected {type(exc).__name__}: {redact(str(exc))} — run again with "
            "--log-level DEBUG for the details, and report it if it persists"
        )
        return 1
    # standalone_mode=False hands back what raised click's Exit (e.g. `run`'s 3) as a value.
    return code if isinstance(code, int) else 0


def _usage_error(exc: click.UsageError) -> None:
    if exc.ctx is not None:
        name = exc.ctx.command_path
        hint = f" (see `{name} --help`)"
    else:
        hint = " (see `xerowatch --help`)"
    report_error(exc.format_message() + hint)
