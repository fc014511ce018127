"""Options and checks shared by several commands, so they read and behave the same everywhere."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import click

from xerowatch.sync.resync import RESYNC_TYPES

F = TypeVar("F", bound=Callable[..., Any])


class XerowatchGroup(click.Group):
    """A command group whose command list shows each command's whole first sentence, wrapped."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List the subcommands without cutting their help short."""
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=10_000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


class Day(click.DateTime):
    """A YYYY-MM-DD date, shown as such in help (not as strftime codes)."""

    name = "date"

    def __init__(self) -> None:
        super().__init__(["%Y-%m-%d"])

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        """The placeholder in help."""
        return "YYYY-MM-DD"


DAY = Day()
JSON_HELP = "Print JSON instead of text."


def json_option(func: F) -> F:
    """`--json`, worded the same on every command."""
    return click.option("--json", "as_json", is_flag=True, help=JSON_HELP)(func)


def tenant_option(help_text: str) -> Callable[[F], F]:
    """`--tenant TENANT_ID` (the id `xerowatch connections` lists)."""
    return click.option("--tenant", "tenant_id", default="", metavar="TENANT_ID", help=help_text)


types_option = click.option(
    "--types",
    multiple=True,
    metavar="TYPES",
    help=f"What to resync, a comma list or repeated: {', '.join(RESYNC_TYPES)} (default: all).",
)


def check_range(date_from: datetime, date_to: datetime) -> None:
    """Refuse a reversed or empty date range the same way in every command."""
    if date_to <= date_from:
        raise click.UsageError(
            f"--to {date_to:%Y-%m-%d} is not after --from {date_from:%Y-%m-%d}: the range is "
            "from --from up to the day before --to, so --to must be later"
        )
