"""The dashboard: header, quota, the panes (tab cycles them), the command line, the keys.

With a learner source the panes are Pending, Alerts, History and Resyncs; with ConnectWise
(`[source] kind = "connectwise"`) they are Streams, Alerts and History.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import ContentSwitcher, DataTable, Static

from xerowatch.store.overview import PendingCounts
from xerowatch.store.panes import PENDING_BUCKETS
from xerowatch.tui.feed import Query, turn_page
from xerowatch.tui.keys import MAIN_BINDINGS
from xerowatch.tui.screens.confirm import ConfirmScreen
from xerowatch.tui.screens.connection import ConnectionScreen
from xerowatch.tui.screens.detail import DetailScreen
from xerowatch.tui.screens.help import HelpScreen
from xerowatch.tui.screens.prompt import ChoicePrompt, TextPrompt
from xerowatch.tui.screens.resync_dialog import ResyncDialog, ResyncRequest
from xerowatch.tui.widgets.alerts import AlertsPane
from xerowatch.tui.widgets.history import HistoryPane
from xerowatch.tui.widgets.keybar import KeyBar
from xerowatch.tui.widgets.lines import Lines
from xerowatch.tui.widgets.pending import BUCKET_LABELS, PendingPane
from xerowatch.tui.widgets.resyncs import ResyncsPane
from xerowatch.tui.widgets.streams import StreamsPane

if TYPE_CHECKING:
    from xerowatch.tui.app import DashboardApp

PANES = ("pending", "alerts", "history", "resyncs")
CONNECTWISE_PANES = ("streams", "alerts", "history")
LEARNER_ONLY_ACTIONS = frozenset({"resync", "retry_all", "cancel_resync"})
"""Keys the ConnectWise stream has no use for: it runs no resyncs and `r` retries a record."""
PANE_TITLES = {
    "pending": "Pending",
    "streams": "Streams",
    "alerts": "Alerts",
    "history": "History",
    "resyncs": "Resyncs",
}


class MainScreen(Screen[None]):
    """Shows what the app hands it; its actions turn keys into commands and view changes."""

    BINDINGS = MAIN_BINDINGS

    def __init__(self, *, connectwise: bool = False) -> None:
        super().__init__()
        self.panes = CONNECTWISE_PANES if connectwise else PANES
        self.pane = self.panes[0]
        self.query_state = Query()
        self.bucket_chosen = False
        """Until the operator picks a bucket, the pane shows the first one with learners."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """With ConnectWise, hide the learner-only keys (resyncs, retry every learner)."""
        return not (self.panes is CONNECTWISE_PANES and action in LEARNER_ONLY_ACTIONS)

    @property
    def dashboard(self) -> DashboardApp:
        """The app, typed."""
        return cast("DashboardApp", self.app)

    def compose(self) -> ComposeResult:
        """The whole dashboard."""
        yield Lines(id="header")
        yield Lines(id="quota")
        yield Static(id="tabs")
        with ContentSwitcher(initial=self.pane, id="panes"):
            yield PendingPane(id="pending")
            yield StreamsPane(id="streams")
            yield AlertsPane(id="alerts")
            yield HistoryPane(id="history")
            yield ResyncsPane(id="resyncs")
        yield Lines(id="command", classes="command-line")
        yield KeyBar()

    def on_mount(self) -> None:
        """Focus the first pane (unless the app is leaving before it was composed)."""
        if not self.query("#tabs"):
            return
        self.show_tabs({})
        self._focus_pane()

    # ---- what the panes show ----------------------------------------------------------

    def show_tabs(self, counts: dict[str, int]) -> None:
        """The pane selector: the active pane marked, each with its count."""
        text = Text()
        for name in self.panes:
            label = PANE_TITLES[name] + (f" {counts[name]:,}" if name in counts else "")
            if text:
                text.append(" │ ", style="dim")
            if name == self.pane:
                text.append(f"▸{label}◂", style="bold reverse")
            else:
                text.append(f" {label} ")
        text.append("   tab: next pane", style="dim")
        self.query_one("#tabs", Static).update(text)

    def _focus_pane(self) -> None:
        self.query_one("#panes", ContentSwitcher).current = self.pane
        pane = self.query_one(f"#{self.pane}")
        target = pane if isinstance(pane, ResyncsPane) else pane.query_one(DataTable)
        target.focus()
        if isinstance(pane, PendingPane | AlertsPane | HistoryPane | StreamsPane):
            self.call_after_refresh(pane.refit)  # the width may have changed while hidden
        self.show_tabs(self.dashboard.tab_counts())

    def set_query(self, query: Query, *panes: str) -> None:
        """Change what the panes show and have the feed read them now."""
        self.query_state = query
        self.dashboard.want(*panes)

    def pick_busy_bucket(self, counts: PendingCounts) -> None:
        """Show the first non-empty bucket while the operator has not chosen one."""
        if self.bucket_chosen or getattr(counts, self.query_state.bucket):
            return
        for bucket in PENDING_BUCKETS:
            if getattr(counts, bucket):
                self.set_query(
                    replace(self.query_state, bucket=bucket, pending_offset=0), "pending"
                )
                return

    # ---- selection ---------------------------------------------------------------------

    def selected_ref(self) -> str | None:
        """The learner (or ConnectWise record) the cursor is on, in whichever pane shows one."""
        if self.pane == "streams":
            record = self.query_one(StreamsPane).selected()
            return record.ref if record else None
        if self.pane == "pending":
            return self.query_one(PendingPane).selected_ref()
        if self.pane == "alerts":
            alert = self.query_one(AlertsPane).selected()
            return alert.record if alert and alert.record else None
        if self.pane == "history":
            entry = self.query_one(HistoryPane).selected()
            return entry.record if entry and entry.record else None
        return None

    # ---- actions -----------------------------------------------------------------------

    def action_sync_now(self) -> None:
        """Wake the poll, push, pull and write-back loops."""
        self.dashboard.send_command("sync_now", {}, "sync now")

    def action_retry(self) -> None:
        """Retry the selected learner or ConnectWise record (just that one)."""
        ref = self.selected_ref()
        if ref is None:
            connectwise = self.dashboard.connectwise
            where = "a record first (Streams" if connectwise else "a learner first (Pending"
            self.dashboard.show_hint(f"select {where}, Alerts or History pane)")
            return
        self.dashboard.send_command("retry", {"ref": ref}, f"retry {ref}")

    def action_retry_all(self) -> None:
        """Retry every failed and dead learner, after a confirmation."""
        counts = self.dashboard.overview.pending if self.dashboard.overview else None
        what = f"{counts.failed:,} failed and {counts.dead:,} dead" if counts else "every failed"
        question = f"Retry {what} learner(s) and make every failed job due now?"
        self.app.push_screen(ConfirmScreen(question), self._retry_all_answered)

    def _retry_all_answered(self, yes: bool | None) -> None:
        if yes:
            self.dashboard.send_command("retry_all", {}, "retry all")

    def action_acknowledge(self) -> None:
        """Acknowledge the alert under the cursor."""
        alert = self.query_one(AlertsPane).selected() if self.pane == "alerts" else None
        if alert is None:
            self.dashboard.show_hint("select an alert first (tab to the Alerts pane)")
            return
        self.dashboard.send_command(
            "acknowledge", {"ids": [alert.id]}, f"acknowledge alert {alert.id}"
        )

    def action_acknowledge_all(self) -> None:
        """Acknowledge every alert the pane shows (this page, this filter), after a confirmation."""
        shown = self.query_one(AlertsPane).rows if self.pane == "alerts" else []
        if not shown:
            self.dashboard.show_hint("no alerts shown to acknowledge (tab to the Alerts pane)")
            return
        ids = [alert.id for alert in shown]
        question = f"Acknowledge the {len(ids):,} alert(s) shown?"

        def answered(yes: bool | None) -> None:
            if yes:
                self.dashboard.send_command(
                    "acknowledge", {"ids": ids}, f"acknowledge {len(ids)} alert(s)"
                )

        self.app.push_screen(ConfirmScreen(question), answered)

    def action_resync(self) -> None:
        """The resync dialog (its preview shows the cost before anything starts)."""
        app = self.dashboard
        tenant = app.tenant()
        several = app.overview is not None and len(app.overview.tenants) > 1
        tenant_id = tenant.tenant_id if tenant and several else ""
        scope = tenant.name if tenant and several else "every organisation"

        def answered(request: ResyncRequest | None) -> None:
            if request is not None:
                label = (
                    f"resync {request.date_from}..{request.date_to} ({', '.join(request.types)})"
                )
                app.send_command("resync", request.args(tenant_id), label)

        previewer = app.previewer(tenant_id)
        app.push_screen(ResyncDialog(previewer, app.clock.now().date(), scope=scope), answered)

    def action_pause(self) -> None:
        """Pause/resume the selected resync in the Resyncs pane, else syncing itself."""
        app = self.dashboard
        if self.pane == "resyncs":
            run = self.query_one(ResyncsPane).selected()
            if run is not None and run.state in ("pending", "running", "paused"):
                if run.state == "paused":
                    app.send_command("resume_resync", {"id": run.id}, f"resume resync {run.id}")
                else:
                    app.send_command("pause_resync", {"id": run.id}, f"pause resync {run.id}")
            else:
                app.show_hint("select an active resync (p pauses syncing from the other panes)")
            return
        view, tenant = app.overview, app.tenant()
        if view is None:
            return
        several = len(view.tenants) > 1
        if view.paused.get("*"):
            app.send_command("resume", {}, "resume all organisations")
        elif tenant is not None and several:
            args = {"tenant_id": tenant.tenant_id}
            if tenant.paused:
                app.send_command("resume", args, f"resume {tenant.name}")
            else:
                app.send_command("pause", args, f"pause {tenant.name}")
        else:
            app.send_command("pause", {}, "pause syncing")

    def action_cancel_resync(self) -> None:
        """Cancel the selected resync, after a confirmation."""
        run = self.query_one(ResyncsPane).selected() if self.pane == "resyncs" else None
        if run is None or run.state not in ("pending", "running", "paused"):
            self.dashboard.show_hint("select an active resync first (Resyncs pane)")
            return

        def answered(yes: bool | None) -> None:
            if yes and run is not None:
                self.dashboard.send_command(
                    "cancel_resync", {"id": run.id}, f"cancel resync {run.id}"
                )

        self.app.push_screen(ConfirmScreen(f"Cancel resync #{run.id}?"), answered)

    def action_search(self) -> None:
        """Alerts: text search; History: record; Pending: open a learner by RefInternal."""
        if self.pane == "alerts":
            prompt = TextPrompt(
                "Search open alerts (type, record, message, fix)", self.query_state.alert_search
            )
            self.app.push_screen(prompt, self._search_alerts)
        elif self.pane == "history":
            self._ask_record()
        elif self.pane == "streams":
            self.dashboard.show_hint("⏎ shows the selected record's history; / searches Alerts")
        else:
            self.app.push_screen(TextPrompt("Open a learner by RefInternal"), self._open_ref)

    def _search_alerts(self, text: str | None) -> None:
        if text is not None:
            self.set_query(replace(self.query_state, alert_search=text, alert_offset=0), "alerts")

    def _ask_record(self) -> None:
        prompt = TextPrompt(
            "History of one record (RefInternal; empty: all)", self.query_state.history_record
        )
        self.app.push_screen(prompt, self._filter_history)

    def _filter_history(self, record: str | None) -> None:
        if record is not None:
            self.set_query(replace(self.query_state, history_record=record), "history")

    def _open_ref(self, ref: str | None) -> None:
        if ref:
            self.app.push_screen(DetailScreen(ref))

    def action_filter(self) -> None:
        """Alerts: by type; Pending: which bucket; History: by record."""
        app = self.dashboard
        if self.pane == "alerts":
            by_type = app.overview.open_alerts_by_type if app.overview else {}
            choices = [("", f"all types ({sum(by_type.values()):,})")]
            choices += [(name, f"{name} ({n:,})") for name, n in sorted(by_type.items())]
            prompt = ChoicePrompt("Show alerts of type", choices, self.query_state.alert_type or "")
            self.app.push_screen(prompt, self._filter_alerts)
        elif self.pane == "pending":
            counts = app.overview.pending if app.overview else None
            choices = [
                (name, f"{BUCKET_LABELS[name]} ({getattr(counts, name, 0):,})")
                for name in PENDING_BUCKETS
            ]
            prompt = ChoicePrompt(
                "Show pending learners that are", choices, self.query_state.bucket
            )
            self.app.push_screen(prompt, self._choose_bucket)
        elif self.pane == "history":
            self._ask_record()
        elif self.pane == "streams":
            self._choose_stream()
        else:
            app.show_hint("nothing to filter in the Resyncs pane")

    def _filter_alerts(self, type_: str | None) -> None:
        if type_ is not None:
            self.set_query(
                replace(self.query_state, alert_type=type_ or None, alert_offset=0), "alerts"
            )

    def _choose_bucket(self, bucket: str | None) -> None:
        for chosen in PENDING_BUCKETS:
            if chosen != bucket:
                continue
            self.bucket_chosen = True
            self.set_query(replace(self.query_state, bucket=chosen, pending_offset=0), "pending")

    def _choose_stream(self) -> None:
        pane = self.query_one(StreamsPane)
        if not pane.choices():
            self.dashboard.show_hint("no ConnectWise records yet: nothing to choose")
            return
        prompt = ChoicePrompt("Show the stream", pane.choices(), pane.kind)
        self.app.push_screen(prompt, self._show_stream)

    def _show_stream(self, kind: str | None) -> None:
        if kind:
            self.set_query(replace(self.query_state, stream_kind=kind, stream_offset=0), "streams")

    def action_detail(self) -> None:
        """The selected learner's detail; a ConnectWise record's history (Resyncs: nothing)."""
        ref = self.selected_ref()
        if ref is None:
            self.dashboard.show_hint("select a learner first")
            return
        if self.pane == "streams":
            self.pane = "history"
            self.set_query(replace(self.query_state, history_record=ref), "history")
            self._focus_pane()
            return
        self.app.push_screen(DetailScreen(ref))

    def action_next_pane(self) -> None:
        """The next pane."""
        self.pane = self.panes[(self.panes.index(self.pane) + 1) % len(self.panes)]
        self._focus_pane()

    def action_previous_pane(self) -> None:
        """The previous pane."""
        self.pane = self.panes[(self.panes.index(self.pane) - 1) % len(self.panes)]
        self._focus_pane()

    def action_page(self, step: int) -> None:
        """The next or previous page of the pending, streams or alerts list."""
        query = self.query_state
        if self.pane == "pending":
            counts = self.dashboard.overview.pending if self.dashboard.overview else None
            offset = turn_page(query.pending_offset, step, getattr(counts, query.bucket, 0))
            self.set_query(replace(query, pending_offset=offset), "pending", "overview")
        elif self.pane == "streams":
            chosen = self.query_one(StreamsPane).chosen()
            if chosen is not None:  # that stream from now on, not the one to act on first
                offset = turn_page(query.stream_offset, step, chosen.total)
                change = replace(query, stream_kind=chosen.kind, stream_offset=offset)
                self.set_query(change, "streams")
        elif self.pane == "alerts":
            offset = turn_page(query.alert_offset, step, self.dashboard.alert_total)
            self.set_query(replace(query, alert_offset=offset), "alerts")

    def action_next_tenant(self) -> None:
        """The next organisation in the header and quota pane."""
        self.dashboard.next_tenant()

    def action_connection(self) -> None:
        """Connections and how to reconnect."""
        view = self.dashboard.overview
        if view is None:
            self.dashboard.show_hint("still reading the store")
            return
        self.app.push_screen(ConnectionScreen(view, self.dashboard.tz))

    def action_help(self) -> None:
        """Every key with its binding id."""
        self.app.push_screen(HelpScreen(self.dashboard.key_rows()))
