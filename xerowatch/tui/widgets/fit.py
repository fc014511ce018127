"""Fitting a table's last (free-text) column to the width, so nothing scrolls sideways."""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable

SCROLLBAR = 2
MIN_TEXT = 16


def text_width(table: DataTable[Any], fixed: list[int]) -> int:
    """Cells left for the last column after the fixed ones, their padding and a scrollbar."""
    padding = 2 * table.cell_padding * (len(fixed) + 1)
    width = table.size.width or table.app.size.width
    return max(MIN_TEXT, width - sum(fixed) - padding - SCROLLBAR)


Columns = list[tuple[str, str, int | None]]
"""(label, key, width) of each column; None: as wide as its widest cell."""


def reset_columns(
    table: DataTable[Any], columns: Columns, *, last_width: int | None = None
) -> None:
    """Empty the table and lay its columns out afresh (DataTable never narrows a column that
    once held a wider cell, so a refit to a narrower screen needs new columns).

    `last_width` fixes the free-text column's width: an auto-sized column takes its width
    only when the table next measures its cells, so a screen drawn in between shows it cut.
    """
    table.clear(columns=True)
    for index, (label, key, width) in enumerate(columns):
        if index == len(columns) - 1 and last_width is not None:
            width = last_width
        table.add_column(label, key=key, width=width)
