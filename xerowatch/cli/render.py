"""Plain-text rendering for CLI output: aligned tables and JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import click


def money(value: str | Decimal | float | None) -> str | None:
    """An amount as money: two decimals (990 → "990.00"); None stays None."""
    if value is None or value == "":
        return None
    try:
        return f"{Decimal(str(value)):.2f}"
    except InvalidOperation:
        return str(value)


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    empty: str = "(none)",
    whole: frozenset[int] | set[int] = frozenset(),
) -> str:
    """Render rows as an aligned text table; columns in `whole` are never shortened.

    Other columns are cut at 80 characters (with …); the last column is never padded.
    """
    if not rows:
        return empty
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, value in enumerate(row):
            cap = 10**6 if i in whole else 80
            widths[i] = min(max(widths[i], len(value)), cap)
    lines = ["  ".join(h.upper().ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    for row in cells:
        lines.append(
            "  ".join(
                (v if len(v) <= w else v[: w - 1] + "…").ljust(w)
                for v, w in zip(row, widths, strict=True)
            ).rstrip()
        )
    return "\n".join(lines)


def echo_json(value: Any) -> None:
    """Print a value as indented JSON."""
    click.echo(json.dumps(value, indent=2, default=str, ensure_ascii=False))
