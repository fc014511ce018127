"""The pending-learners pane: counts by why they wait, and the page behind the chosen one."""

from __future__ import annotations

from datetime import datetime, tzinfo

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from xerowatch.store.overview import PendingCounts
from xerowatch.store.panes import PENDING_BUCKETS, PendingBucket, PendingLearner
from xerowatch.tui.feed import PAGE, PendingPage
from xerowatch.tui.text import number, shorten, when

BUCKET_LABELS: dict[PendingBucket, str] = {
    "queued": "queued",
    "in_doubt": "in doubt",
    "retrying": "retrying",
    "failed": "failed",
    "dead": "dead",
}


class PendingPane(Vertical):
    """Bucket counts on one line, the learners of the chosen bucket below."""

    def compose(self) -> ComposeResult:
        """A summary line and the table."""
        yield Static(id="pending-summary", classes="pane-summary")
        table: DataTable[str | Text] = DataTable(id="pending-table", cursor_type="row")
        table.add_column("ref", key="ref", width=12)
        table.add_column("name", key="name", width=20)
        table.add_column("try", key="attempts", width=3)
        table.add_column("next / updated", key="when", width=14)
        table.add_column("why", key="why")
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

    def show_page(self, page: PendingPage, now: datetime, tz: tzinfo | None) -> None:
        """Replace the rows, keeping the cursor on the same learner when it is still there."""
        table: DataTable[str | Text] = self.query_one("#pending-table", DataTable)
        keep = self.selected_ref()
        table.clear()
        for row in page.rows:
            moment = row.next_attempt_at if row.bucket == "retrying" else row.updated_at
            why = row.last_error or row.link_state
            table.add_row(
                row.ref_internal,
                shorten(row.name, 20),
                str(row.attempts) if row.attempts else "",
                when(moment, now, tz),
                shorten(why, 200),
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
