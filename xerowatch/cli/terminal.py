"""The dashboard needs a terminal: say so instead of drawing into a pipe."""

from __future__ import annotations

import sys

import click


def require_terminal(instead: str) -> None:
    """Exit 2 with one line when stdin or stdout is not a terminal (a pipe, a service, cron)."""
    if sys.stdin.isatty() and sys.stdout.isatty():
        return
    raise click.UsageError(f"the dashboard needs a terminal (stdin and stdout); {instead}")
