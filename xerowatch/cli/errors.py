"""The CLI's one error style: `error: <what went wrong> — <the fix>` on stderr."""

from __future__ import annotations

import click

_CONFIG_PREFIX = "config error: "


def report_error(message: str) -> None:
    """Print one `error: …` line on stderr (the house style for every failure)."""
    text = " ".join(message.split())
    if text.startswith(_CONFIG_PREFIX):
        text = "config " + text[len(_CONFIG_PREFIX) :]
    elif text.startswith("error: "):
        text = text[len("error: ") :]
    click.echo(f"error: {text}", err=True)
