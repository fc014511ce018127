"""`enter`: one learner's whole story, kept live while it is open."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from xerowatch.store import panes
from xerowatch.store.panes import LearnerDetail
from xerowatch.tui.screens.detail_text import detail_text, invoices_without_link
from xerowatch.tui.widgets.keybar import KeyBar
from xerowatch.tui.widgets.lines import Lines

if TYPE_CHECKING:
    from xerowatch.tui.app import DashboardApp

MAX_FETCHES = 5
"""Online links fetched per key press (each costs a Xero call)."""


class DetailScreen(Screen[None]):
    """The detail of learner `ref`; escape goes back."""

    BINDINGS = [
        Binding(
            "escape,backspace", "back", "back", id="detail.back", tooltip="Back to the dashboard"
        ),
        Binding("r", "retry", "retry", id="detail.retry", tooltip="Retry this learner"),
        Binding(
            "u",
            "fetch_links",
            "fetch invoice links",
            id="detail.fetch_links",
            tooltip="Fetch the online-invoice links this learner's invoices lack",
        ),
    ]

    class Loaded(Message):
        """The detail as read (None: nothing known)."""

        def __init__(self, detail: LearnerDetail | None, error: str = "") -> None:
            super().__init__()
            self.detail = detail
            self.error = error

    def __init__(self, ref: str) -> None:
        super().__init__()
        self.ref = ref
        self.detail: LearnerDetail | None = None

    @property
    def dashboard(self) -> DashboardApp:
        """The app, typed."""
        return cast("DashboardApp", self.app)

    def compose(self) -> ComposeResult:
        """Title, the story, the command line and keys."""
        yield Static(Text(f"Learner {self.ref}", style="bold"), id="detail-title")
        with VerticalScroll(id="detail-scroll"):
            yield Static(Text("reading…", style="dim"), id="detail-body")
        yield Lines(id="detail-command", classes="command-line")
        yield KeyBar()

    def on_mount(self) -> None:
        """Read it and show the dashboard's command line here too."""
        self.query_one("#detail-scroll").focus()
        self.dashboard.refresh_command_line()
        self.reload()

    def reload(self) -> None:
        """Read the detail again (the app calls this when its tables moved)."""
        self._load()

    @work(group="detail", exclusive=True)
    async def _load(self) -> None:
        store = self.dashboard.store
        if store is None:
            return
        try:
            detail = await panes.learner_detail(store, self.ref)
        except Exception as exc:  # shown on the screen; the next change retries
            self.post_message(self.Loaded(None, f"cannot read {self.ref}: {exc}"))
            return
        self.post_message(self.Loaded(detail))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        body = self.query_one("#detail-body", Static)
        if message.error:
            body.update(Text(message.error, style="bold red"))
            return
        self.detail = message.detail
        if message.detail is None:
            body.update(Text(f"Nothing is known of a learner {self.ref}.", style="yellow"))
            return
        app = self.dashboard
        names = {t.tenant_id: t.name for t in app.overview.tenants} if app.overview else {}
        body.update(detail_text(message.detail, app.clock.now(), app.tz, names))
        name = ""
        if message.detail.learner is not None:
            learner = message.detail.learner.learner
            name = f" — {learner.first_name or ''} {learner.last_name or ''}".rstrip()
        self.query_one("#detail-title", Static).update(
            Text(f"Learner {self.ref}{name}", style="bold")
        )

    def action_back(self) -> None:
        """Back to the dashboard."""
        self.dismiss(None)

    def action_retry(self) -> None:
        """Queue this learner for its next push (and make its failed jobs due)."""
        self.dashboard.send_command("retry", {"ref": self.ref}, f"retry {self.ref}")

    def action_fetch_links(self) -> None:
        """Ask the daemon for the online-invoice links this learner's invoices lack."""
        missing = invoices_without_link(self.detail) if self.detail else []
        if not missing:
            self.dashboard.show_hint("no invoice of this learner lacks its online link")
            return
        for tenant_id, invoice_id in missing[:MAX_FETCHES]:
            self.dashboard.send_command(
                "fetch_online_url",
                {"invoice_id": invoice_id, "tenant_id": tenant_id},
                f"online link of invoice {invoice_id[:8]}",
            )
