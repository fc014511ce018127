"""The pending-learners pane: counts by why they wait, and the page behind the chosen one."""

from __future__ import annotations

from datetime import datetime, tzinfo

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from xerowatch.store.backlog import BacklogForecast
from xerowatch.store.overview import PendingCounts
from xerowatch.store.panes import PENDING_BUCKETS, PendingBucket, PendingLearner
from xerowatch.tui.feed import PAGE, PendingPage
from xerowatch.tui.text import number, shorten, when
from xerowatch.tui.widgets.fit import Columns, reset_columns, text_width
from xerowatch.tui.widgets.paged import PagedPane

BUCKET_LABELS: dict[PendingBucket, str] = {
    "queued": "queued",
    "in_doubt": "in doubt",
    "retrying": "retrying",
    "failed": "failed",
    "dead": "dead",
}


COLUMNS: Columns = [
    ("ref", "ref", 12),
    ("name", "name", 20),
    ("try", "attempts", 3),
    ("next / updated", "when", 14),
    ("why", "why", None),
]
FIXED = [width or 0 for _, _, width in COLUMNS[:-1]]


class PendingPane(PagedPane[PendingPage]):
    """Bucket counts on one line, the learners of the chosen bucket below."""

    def compose(self) -> ComposeResult:
        """A summary line and the table."""
        yield Static(id="pending-summary", classes="pane-summary")
        yield Static(id="pending-backlog", classes="pane-summary")
        yield Static(id="pending-streams", classes="pane-summary")
        table: DataTable[str | Text] = DataTable(id="pending-table", cursor_type="row")
        reset_columns(table, COLUMNS)
        yield table

    def show_counts(self, counts: PendingCounts, bucket: PendingBucket, offset: int) -> None:
        """The counts line, the chosen bucket marked."""
        text = Text()
        for name in PENDING_BUCKETS:
            if text:
                text.append(" · ")
            label = f"{BUCKET_LABELS[name]} {number(getattr(counts, name))}"
            text.append(
                f"[{label}]" if name == bucket else label,
                style="bold reverse" if name == bucket else "",
            )
        total = getattr(counts, bucket)
        if total > PAGE:
            end = min(total, offset + PAGE)
            text.append(f"   rows {offset + 1:,}-{end:,} of {total:,} ([ ] page)")
        text.append("   f: bucket")
        self.query_one("#pending-summary", Static).update(text)

    def show_backlog(self, backlog: BacklogForecast) -> None:
        """The write-back backlog and its forecast, on a line of its own while there is one."""
        line = self.query_one("#pending-backlog", Static)
        line.display = backlog.to_write > 0
        line.update(f"transactions to write back: {backlog.describe()}")

    def show_streams(self, lines: list[str]) -> None:
        """The ConnectWise streams by state, shown while the source is ConnectWise."""
        line = self.query_one("#pending-streams", Static)
        line.display = bool(lines)
        line.update("\n".join(lines))

    def show_page(self, page: PendingPage, now: datetime, tz: tzinfo | None) -> None:
        """Replace the rows, keeping the cursor on the same learner when it is still there."""
        self.shown = (page, now, tz)
        table: DataTable[str | Text] = self.query_one("#pending-table", DataTable)
        keep = self.selected_ref()
        free = text_width(table, FIXED)
        reset_columns(table, COLUMNS, last_width=free)
        for row in page.rows:
            moment = row.next_attempt_at if row.bucket == "retrying" else row.updated_at
            why = row.last_error or row.link_state
            table.add_row(
                row.ref_internal,
                shorten(row.name, 20),
                str(row.attempts) if row.attempts else "",
                when(moment, now, tz),
                shorten(why, free),
                key=f"{row.tenant_id}\x1f{row.ref_internal}",
            )
        if not page.rows:
            table.add_row(
                "", Text(f"no {BUCKET_LABELS[page.bucket]} learners", style="dim"), "", "", ""
            )
        self._select(table, page.rows, keep)

    @staticmethod
    def _select(table: DataTable[str | Text], rows: list[PendingLearner], ref: str | None) -> None:
        for index, row in enumerate(rows):
            if row.ref_internal == ref:
                table.move_cursor(row=index, animate=False)
                return

    def selected_ref(self) -> str | None:
        """The RefInternal under the cursor, if any."""
        table: DataTable[str | Text] = self.query_one("#pending-table", DataTable)
        if table.row_count == 0:
            return None
        ref = table.get_row_at(table.cursor_row)[0]
        return str(ref) or None
