"""The integration-history pane: a live tail, newest at the bottom, filterable by record."""

from __future__ import annotations

from datetime import datetime, tzinfo

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from xerowatch.store.history import HistoryEntry
from xerowatch.tui.feed import HISTORY_KEEP, HistoryBatch
from xerowatch.tui.text import shorten, stamp
from xerowatch.tui.widgets.fit import Columns, reset_columns, text_width

COLUMNS: Columns = [
    ("time", "at", 8),
    ("dir", "direction", 5),
    ("record", "record", 11),
    ("out", "outcome", 5),
    ("http", "http", 4),
]
CORRELATION_NARROW = 8
CORRELATION_WIDE = 36
"""A whole UUID correlation id from this table width up; its first 8 characters below."""
WIDE_FROM = 110
OUTCOME_SHORT = {"skipped": "skip"}

OUTCOME_STYLE = {"ok": "green", "error": "bold red", "retry": "yellow", "skipped": "dim"}
DIRECTION = {
    "to_xero": "→xero",
    "from_xero": "←xero",
    "to_source": "→src",
    "from_source": "←src",
    "system": "sys",
}


class HistoryPane(Vertical):
    """Filter line and the tail (it follows new rows while the cursor is on the last one)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.entries: list[HistoryEntry] = []
        self._clock: tuple[datetime, tzinfo | None] | None = None
        self._record = ""

        self._correlation = CORRELATION_NARROW

    def on_resize(self) -> None:
        """Refit every row to the new width."""
        self.refit()

    def refit(self) -> None:
        """Show the rows again, fitted to the width (the correlation id widens on wide ones)."""
        table: DataTable[str | Text] = self.query_one("#history-table", DataTable)
        width = table.size.width or self.size.width
        self._correlation = CORRELATION_WIDE if width >= WIDE_FROM else CORRELATION_NARROW
        reset_columns(table, self._columns())
        if self._clock is not None:
            entries, self.entries = self.entries, []
            self.show_batch(HistoryBatch(self._record, entries, reset=False), *self._clock)

    def compose(self) -> ComposeResult:
        """Summary and table."""
        yield Static(id="history-summary", classes="pane-summary")
        table: DataTable[str | Text] = DataTable(id="history-table", cursor_type="row")
        reset_columns(table, self._columns())
        yield table

    def _columns(self) -> Columns:
        return [
            *COLUMNS,
            ("correlation", "correlation", self._correlation),
            ("what", "what", None),
        ]

    def _fixed(self) -> list[int]:
        return [width or 0 for _, _, width in COLUMNS] + [self._correlation]

    def show_batch(self, batch: HistoryBatch, now: datetime, tz: tzinfo | None) -> None:
        """Append new rows (or replace all after a filter change), trimming the oldest."""
        self._clock = (now, tz)
        self._record = batch.record
        table: DataTable[str | Text] = self.query_one("#history-table", DataTable)
        free = text_width(table, self._fixed())
        follow = table.row_count == 0 or table.cursor_row >= table.row_count - 1
        if batch.reset:
            reset_columns(table, self._columns(), last_width=free)
            self.entries = []
        for entry in batch.entries:
            table.add_row(*self._cells(entry, now, tz, free, self._correlation), key=str(entry.id))
        self.entries.extend(batch.entries)
        excess = len(self.entries) - HISTORY_KEEP
        if excess > 0:
            for entry in self.entries[:excess]:
                table.remove_row(str(entry.id))
            self.entries = self.entries[excess:]
        if follow and table.row_count:
            table.move_cursor(row=table.row_count - 1, animate=False)
        summary = Text(f"record: {batch.record or 'all'} (f or /)")
        summary.append(f" · last {len(self.entries)} rows, newest at the bottom")
        self.query_one("#history-summary", Static).update(summary)

    @staticmethod
    def _cells(
        entry: HistoryEntry, now: datetime, tz: tzinfo | None, free: int, correlation: int
    ) -> list[str | Text]:
        what = f"{entry.action}: {entry.message}" if entry.message else entry.action
        outcome = OUTCOME_SHORT.get(entry.outcome, entry.outcome)
        return [
            stamp(entry.at, now, tz),
            DIRECTION.get(entry.direction, entry.direction),
            shorten(entry.record, 11),
            Text(outcome, style=OUTCOME_STYLE.get(entry.outcome, "")),
            str(entry.http_status or ""),
            (entry.correlation_id or "")[:correlation],
            shorten(what, free),
        ]

    def selected(self) -> HistoryEntry | None:
        """The row under the cursor."""
        table: DataTable[str | Text] = self.query_one("#history-table", DataTable)
        if not self.entries or not 0 <= table.cursor_row < len(self.entries):
            return None
        return self.entries[table.cursor_row]
