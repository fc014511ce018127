"""The event-alerts pane: open alerts under a filter, the selected one's message and fix."""

from __future__ import annotations

from datetime import datetime, tzinfo

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from xerowatch.store.alerts import Alert
from xerowatch.tui.feed import AlertPage
from xerowatch.tui.text import number, shorten, stamp, when
from xerowatch.tui.widgets.fit import Columns, reset_columns, text_width
from xerowatch.tui.widgets.paged import PagedPane
from xerowatch.xero.links import contact_url

COLUMNS: Columns = [
    ("type", "type", 16),
    ("record", "record", 11),
    ("n", "count", 3),
    ("seen", "last", 8),
    ("message", "message", None),
]
FIXED = [width or 0 for _, _, width in COLUMNS[:-1]]


class AlertsPane(PagedPane[AlertPage]):
    """Filter line, the alerts table, and the selected alert in full."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._now: datetime | None = None
        self._tz: tzinfo | None = None
        self.rows: list[Alert] = []
        self.contacts: dict[tuple[str, str], str] = {}

    def compose(self) -> ComposeResult:
        """Summary, table, detail."""
        yield Static(id="alerts-summary", classes="pane-summary")
        table: DataTable[str | Text] = DataTable(id="alerts-table", cursor_type="row")
        reset_columns(table, COLUMNS)
        yield table
        yield Static(id="alerts-detail")

    def show_page(self, page: AlertPage, now: datetime, tz: tzinfo | None) -> None:
        """Replace the rows and the summary line."""
        self._now, self._tz = now, tz
        self.shown = (page, now, tz)
        summary = Text()
        summary.append(f"{number(page.total)} open", style="bold")
        summary.append(f" · type: {page.type_ or 'all'} (f)")
        summary.append(f" · search: {page.search or '—'} (/)")
        if page.total > len(page.rows):
            end = page.offset + len(page.rows)
            summary.append(f" · rows {page.offset + 1:,}-{end:,} ([ ])")
        self.query_one("#alerts-summary", Static).update(summary)
        table: DataTable[str | Text] = self.query_one("#alerts-table", DataTable)
        keep = self.selected()
        free = text_width(table, FIXED)
        reset_columns(table, COLUMNS, last_width=free)
        self.rows = list(page.rows)
        self.contacts = page.contacts
        for alert in page.rows:
            table.add_row(
                shorten(alert.type, FIXED[0]),
                shorten(alert.record, FIXED[1]),
                str(alert.count),
                stamp(alert.last_seen, now, tz),
                shorten(alert.message, free),
                key=str(alert.id),
            )
        if not page.rows:
            table.add_row("", "", "", "", Text("no open alerts match", style="dim"))
        if keep is not None:
            for index, alert in enumerate(self.rows):
                if alert.id == keep.id:
                    table.move_cursor(row=index, animate=False)
                    break
        self._show_detail()

    def selected(self) -> Alert | None:
        """The alert under the cursor."""
        table: DataTable[str | Text] = self.query_one("#alerts-table", DataTable)
        if not self.rows or not 0 <= table.cursor_row < len(self.rows):
            return None
        return self.rows[table.cursor_row]

    @on(DataTable.RowHighlighted, "#alerts-table")
    def _highlighted(self) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        alert = self.selected()
        text = Text()
        if alert is not None and self._now is not None:
            text.append(f"{alert.type}", style="bold")
            if alert.record:
                text.append(f" · {alert.record}")
            text.append(
                f" · {alert.count} time(s) since {when(alert.first_seen, self._now, self._tz)}"
            )
            contact = self.contacts.get((alert.tenant_id, alert.record))
            if contact:
                url = contact_url(contact)
                text.append(" · Xero: ")
                text.append(url, style=Style(link=url, underline=True))
            text.append(f"\n{alert.message}")
            if alert.fix:
                text.append("\nfix: ", style="bold green")
                text.append(alert.fix)
        self.query_one("#alerts-detail", Static).update(text)
