"""The ConnectWise Streams pane: a line per stream (counts by state, cursor, last activity), the
chosen stream's records (held and refused first), and the selected record's reason and fix."""

from __future__ import annotations

from datetime import datetime, tzinfo

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from xerowatch.store.connectwise_view import (
    SHORT_WORDS,
    STATE_WORDS,
    RecordRow,
    StreamPage,
    StreamView,
    describe_counts,
)
from xerowatch.tui.text import ago, shorten, stamp, when
from xerowatch.tui.widgets.fit import Columns, reset_columns, text_width
from xerowatch.tui.widgets.paged import PagedPane

COLUMNS: Columns = [
    ("state", "state", 9),
    ("number", "number", 12),
    ("updated", "updated", 8),
    ("why / fix", "why", None),
]
FIXED = [width or 0 for _, _, width in COLUMNS[:-1]]
STATE_SHORT = {**dict(STATE_WORDS), **SHORT_WORDS}
ATTENTION_STYLE = {"held": "bold yellow", "rejected": "bold red", "sending": "yellow"}


def stream_line(stream: StreamView, chosen: bool, now: datetime, tz: tzinfo | None) -> Text:
    """`▸invoices◂ 300: posted 296 · held 3 · read to 14:05:10 · last 12 s ago` (one line; cut
    with "…" on a narrow screen, the counts first)."""
    text = Text()
    name = f"▸{stream.label}◂" if chosen else f" {stream.label} "
    text.append(name, style="bold reverse" if chosen else "bold")
    text.append(f" {stream.total:,}: ")
    text.append(describe_counts(stream.by_state, short=True) or "no records")
    if stream.cursor:  # the ConnectWise lastUpdated the stream has read up to
        text.append(f" · read to {when(stream.cursor, now, tz)}", style="dim")
    if stream.last_activity:
        text.append(f" · last {ago(stream.last_activity, now)}", style="dim")
    return text


def reason_and_fix(row: RecordRow) -> tuple[str, str]:
    """Why the record is where it is, and what to do: the alert's fix, else the part of the
    stored error after " — " (the one-line "problem — fix" form every error takes)."""
    reason = " ".join((row.last_error or row.alert_message).split())
    fix = row.fix
    if fix and reason.lower().endswith(fix.lower()):
        reason = reason[: -len(fix)].rstrip(" —-;:")
    elif not fix and " — " in reason:
        reason, _, fix = reason.rpartition(" — ")
    return reason, fix


def why(row: RecordRow) -> str:
    """The record's reason and fix on one line."""
    reason, fix = reason_and_fix(row)
    if fix:
        return f"{reason} → {fix}" if reason else f"fix: {fix}"
    return reason


class StreamsPane(PagedPane[StreamPage]):
    """Stream lines, the records table, and the selected record in full."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[RecordRow] = []
        self.kind = ""
        self._now: datetime | None = None
        self._tz: tzinfo | None = None

    def compose(self) -> ComposeResult:
        """Streams, table, detail."""
        yield Static(id="streams-summary", classes="pane-summary")
        table: DataTable[str | Text] = DataTable(id="streams-table", cursor_type="row")
        reset_columns(table, COLUMNS)
        yield table
        yield Static(id="streams-detail")

    def show_page(self, page: StreamPage, now: datetime, tz: tzinfo | None) -> None:
        """Replace the stream lines and the rows, keeping the cursor on the same record."""
        self._now, self._tz = now, tz
        self.shown = (page, now, tz)
        self.query_one("#streams-summary", Static).update(self._summary(page, now, tz))
        table: DataTable[str | Text] = self.query_one("#streams-table", DataTable)
        keep = self.selected()
        free = text_width(table, FIXED)
        reset_columns(table, COLUMNS, last_width=free)
        self.kind, self.rows = page.kind, list(page.rows)
        for row in page.rows:
            state = STATE_SHORT.get(row.state, row.state)
            table.add_row(
                Text(state, style=ATTENTION_STYLE.get(row.state, "")),
                shorten(row.number, FIXED[1]),
                stamp(row.updated_at, now, tz),
                shorten(why(row), free),
                key=f"{row.tenant_id}\x1f{row.ref}",  # unique: one organisation's record
            )
        if not page.rows:
            empty = "no ConnectWise records yet" if not page.kind else "no records on this page"
            table.add_row("", "", "", Text(empty, style="dim"))
        if keep is not None:
            for index, row in enumerate(self.rows):
                if row.ref == keep.ref:
                    table.move_cursor(row=index, animate=False)
                    break
        self._show_detail()

    @staticmethod
    def _summary(page: StreamPage, now: datetime, tz: tzinfo | None) -> Text:
        text = Text()
        if not page.streams:
            text.append("ConnectWise: no records read yet (the first cycle reads them)")
        for stream in page.streams:
            if text:
                text.append("\n")
            text.append_text(stream_line(stream, stream.kind == page.kind, now, tz))
        return text

    def choices(self) -> list[tuple[str, str]]:
        """(kind, label) of each stream on screen, for `f`."""
        streams = self.shown[0].streams if self.shown else []
        return [(s.kind, f"{s.label} ({s.total:,}, {s.attention:,} to act on)") for s in streams]

    def chosen(self) -> StreamView | None:
        """The stream whose records are on screen."""
        return self.shown[0].chosen() if self.shown else None

    def selected(self) -> RecordRow | None:
        """The record under the cursor."""
        table: DataTable[str | Text] = self.query_one("#streams-table", DataTable)
        if not self.rows or not 0 <= table.cursor_row < len(self.rows):
            return None
        return self.rows[table.cursor_row]

    @on(DataTable.RowHighlighted, "#streams-table")
    def _highlighted(self) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        row = self.selected()
        text = Text()
        if row is not None and self._now is not None:
            text.append(f"{row.kind} {row.number}", style="bold")
            since = when(row.updated_at, self._now, self._tz)
            state = STATE_SHORT.get(row.state, row.state)
            text.append(f" · {row.ref} · {state} since {since}")
            page, _, _ = self.shown or (None, None, None)
            chosen = page.chosen() if page else None
            if page is not None and chosen is not None:
                table: DataTable[str | Text] = self.query_one("#streams-table", DataTable)
                text.append(f" · row {page.offset + table.cursor_row + 1:,} of {chosen.total:,}")
            reason, fix = reason_and_fix(row)
            if reason:
                text.append(f"\n{reason}")
            if fix:
                text.append("\nfix: ", style="bold green")
                text.append(fix)
        self.query_one("#streams-detail", Static).update(text)
