"""The dashboard app: its own store connection, the feed worker, the embedded daemon, state.

Harlequin's rule: workers do I/O and post messages; the `on_*` handlers below own every
change of state and tell the screens what to show.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from dataclasses import replace
from datetime import tzinfo
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import work
from textual.app import App
from textual.binding import Binding

from xerowatch.clock import Clock, SystemClock
from xerowatch.config import Settings
from xerowatch.daemon.assembly import daemon_runner
from xerowatch.daemon.runner import EXIT_LEASE_HELD, DaemonRunner
from xerowatch.store.db import Store, StoreError, open_store
from xerowatch.store.overview import Overview, TenantOverview, daemon_holder
from xerowatch.sync.commands import CommandKind, enqueue
from xerowatch.tui.feed import CLOCK, Feed, is_current, panes_to_read
from xerowatch.tui.hosting import Mode, decide, lost_race
from xerowatch.tui.keys import MAIN_BINDINGS, key_rows, keymap_problem
from xerowatch.tui.messages import (
    AlertsLoaded,
    CommandQueued,
    CommandsLoaded,
    DaemonStarted,
    DaemonStopped,
    FeedFailed,
    HistoryLoaded,
    OverviewLoaded,
    PendingLoaded,
    StreamsLoaded,
    TablesChanged,
)
from xerowatch.tui.palette import DashboardCommands
from xerowatch.tui.screens.detail import DetailScreen
from xerowatch.tui.screens.main import MainScreen
from xerowatch.tui.screens.resync_dialog import Previewer, store_previewer
from xerowatch.tui.summary import HostState, header_lines, quota_lines
from xerowatch.tui.tracker import CommandTracker
from xerowatch.tui.widgets.alerts import AlertsPane
from xerowatch.tui.widgets.history import HistoryPane
from xerowatch.tui.widgets.lines import Lines
from xerowatch.tui.widgets.pending import PendingPane
from xerowatch.tui.widgets.resyncs import ResyncsPane
from xerowatch.tui.widgets.streams import StreamsPane

log = logging.getLogger(__name__)

DETAIL_TABLES = frozenset({"contact_links", "jobs", "history", "alerts", "learners", "commands"})
ALL_BINDINGS = [*MAIN_BINDINGS, *DetailScreen.BINDINGS]


class DashboardApp(App[int]):
    """xerowatch's live dashboard, attached to a running daemon or hosting one."""

    CSS_PATH = [  # each screen's style beside its module; the app loads them all at start
        "app.tcss",
        "screens/main.tcss",
        "screens/detail.tcss",
        "screens/dialogs.tcss",
    ]
    TITLE = "xerowatch"
    COMMANDS = App.COMMANDS | {DashboardCommands}
    BINDINGS = [Binding("ctrl+q", "quit", "quit", show=False, priority=True, id="app.quit")]

    def __init__(
        self,
        settings: Settings,
        config_path: Path | None = None,
        *,
        mode: Mode = "auto",
        clock: Clock | None = None,
        tz: tzinfo | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.config_path = config_path
        self.mode: Mode = mode
        self.clock: Clock = clock or SystemClock()
        self.tz = tz
        self.pid = os.getpid()
        self.connectwise = settings.source.kind == "connectwise"
        """ConnectWise is the source: a Streams pane instead of the pending learners."""
        self.main = MainScreen(connectwise=self.connectwise)
        self.store: Store | None = None
        self.host = HostState("starting")
        self.overview: Overview | None = None
        self.tenant_index = 0
        self.alert_total = 0
        self.streams_attention = 0
        """ConnectWise records held or refused (the Streams tab's count)."""
        self.runner: DaemonRunner | None = None
        self.painted = asyncio.Event()
        """Set once the header, quota and every pane show data read from the store."""
        self._loaded: set[str] = set()
        self.tracker = CommandTracker()
        self._wanted: set[str] = set()
        self._force = False
        self._wake = asyncio.Event()
        self._quit_asked = False
        self._embedding = False
        """True while the embedded daemon's worker runs."""

    def get_default_screen(self) -> MainScreen:
        """The dashboard itself."""
        return self.main

    # ---- start-up: attach or embed ------------------------------------------------------

    async def on_mount(self) -> None:
        """Open our own store connection, then attach to the daemon or host one."""
        problem = keymap_problem(ALL_BINDINGS, self.settings.tui.keymap)
        if problem:
            self.exit(return_code=2, message=problem)
            return
        self.set_keymap(self.settings.tui.keymap)
        try:
            self.store = await open_store(self.settings.store.path)
            holder = await daemon_holder(self.store, self.clock.now())
        except StoreError as exc:
            self.exit(return_code=2, message=f"xerowatch tui: {exc}")
            return
        start = decide(self.mode, holder, self.settings.store.path)
        if start.action == "exit":
            log.warning("%s", start.message)
            self.exit(return_code=start.code, message=start.message)
            return
        if start.action == "attach":
            self.host = HostState("attached")
        else:
            self._embedding = True
            self._serve_embedded()
        log.info("dashboard started (%s) on %s", start.action, self.settings.store.path)
        self._feed()

    @work(group="daemon", exclusive=True, exit_on_error=False)
    async def _serve_embedded(self) -> None:
        try:
            async with daemon_runner(
                self.settings, self.config_path, handle_signals=False
            ) as runner:
                self.post_message(DaemonStarted(runner))
                code = await runner.serve()
        except Exception as exc:  # the dashboard stays up and says why
            log.exception("the embedded daemon could not run")
            self.post_message(DaemonStopped(1, f"could not run: {exc}"))
            return
        self.post_message(DaemonStopped(code))

    def on_daemon_started(self, message: DaemonStarted) -> None:
        """The embedded daemon is serving (or was asked to stop before it could)."""
        self.runner = message.runner
        self.host = HostState("embedded")
        if self._quit_asked:
            self._stop_daemon()
        self._show_header()

    def on_daemon_stopped(self, message: DaemonStopped) -> None:
        """Quit after a requested stop; attach when another daemon won the lease; else say so."""
        self.runner = None
        self._embedding = False
        if self._quit_asked:
            self.exit(return_code=message.code, result=message.code)
            return
        if message.code == EXIT_LEASE_HELD:
            start = lost_race(self.mode)
            if start.action == "exit":
                self.exit(return_code=start.code, message=start.message)
                return
            self.host = HostState("attached")
        else:
            reason = message.reason or f"exit code {message.code}"
            self.host = HostState(
                "stopped", f"(embedded daemon stopped: {reason}; see {self.log_hint})"
            )
        self.want("overview")
        self._show_header()

    @property
    def log_hint(self) -> str:
        """Where the embedded daemon's log goes."""
        return str(self.settings.tui.log_file or "the log file")

    # ---- quitting ------------------------------------------------------------------------

    async def action_quit(self) -> None:
        """Attached: leave. Embedded: stop the daemon as SIGTERM does, then exit (q twice: now)."""
        if self._embedding:
            self._quit_asked = True
            self._stop_daemon()
            return
        self.exit(return_code=0, result=0)

    def _stop_daemon(self) -> None:
        runner = self.runner
        if runner is None:
            self.host = HostState("stopping", "(starting up first)")
        elif runner.stop_requested:
            runner.force_stop()
            self.host = HostState("stopping", "now (in-flight work is left to the outbox)")
        else:
            runner.request_stop()
            self.host = HostState("stopping", "(in-flight work gets up to 7 s; q again: at once)")
        self._show_header()

    # ---- the feed --------------------------------------------------------------------------

    def want(self, *panes: str) -> None:
        """Have the feed read these panes now (a filter or page changed)."""
        self._wanted.update(panes)
        self._wake.set()

    @work(group="feed", exclusive=True, exit_on_error=False)
    async def _feed(self) -> None:
        assert self.store is not None
        feed = Feed(self.store, self.clock)
        while True:
            force, self._force = self._force, False
            wanted, self._wanted = self._wanted, set()
            try:
                await self._read(feed, force, wanted)
            except Exception as exc:  # shown on the command line; the next tick tries again
                log.warning("reading the store failed: %s", exc)
                self.post_message(FeedFailed(f"reading the store failed: {exc}"))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.settings.tui.refresh_seconds)
            self._wake.clear()

    async def _read(self, feed: Feed, force: bool, wanted: set[str]) -> None:
        changed = await feed.changes(force=force)
        panes = panes_to_read(changed) | wanted
        if changed - {CLOCK}:
            self.post_message(TablesChanged(changed))
        query = self.main.query_state
        if "overview" in panes:
            self.post_message(OverviewLoaded(await feed.overview(changed)))
        if "pending" in panes and not self.connectwise:
            self.post_message(PendingLoaded(await feed.pending(query)))
        if "streams" in panes and self.connectwise:
            self.post_message(StreamsLoaded(await feed.streams(query)))
        if "alerts" in panes:
            self.post_message(AlertsLoaded(await feed.alerts(query)))
        if "history" in panes:
            self.post_message(HistoryLoaded(await feed.history(query)))
        open_ids = self.tracker.open_ids()
        if open_ids and ("commands" in panes or "overview" in panes):
            self.post_message(CommandsLoaded(await feed.commands(open_ids)))

    def _loaded_pane(self, pane: str) -> None:
        self._loaded.add(pane)
        first = "streams" if self.connectwise else "pending"
        if not self.painted.is_set() and {"overview", first, "alerts", "history"} <= self._loaded:
            self.painted.set()
            log.info("dashboard: first data painted")

    def on_overview_loaded(self, message: OverviewLoaded) -> None:
        """Header, quota, counts and resyncs."""
        view = self.overview = message.overview
        self.tenant_index = min(self.tenant_index, max(0, len(view.tenants) - 1))
        self._show_header()
        self._scope_streams()
        main = self.main
        main.pick_busy_bucket(view.pending)
        main.query_one(PendingPane).show_counts(
            view.pending, main.query_state.bucket, main.query_state.pending_offset
        )
        main.query_one(PendingPane).show_backlog(view.backlog)
        main.query_one(PendingPane).show_streams(view.streams)
        main.query_one(ResyncsPane).show_runs(view.resyncs, view.now, self.tz)
        main.show_tabs(self.tab_counts())
        self._show_command_line()
        self._loaded_pane("overview")

    def on_pending_loaded(self, message: PendingLoaded) -> None:
        """The pending list, if it is still the page asked for."""
        query, page = self.main.query_state, message.page
        if (page.bucket, page.offset) != (query.bucket, query.pending_offset):
            return
        if not page.rows and page.offset > 0:  # the list shrank under this page
            self.main.set_query(replace(query, pending_offset=0), "pending")
            return
        pane = self.main.query_one(PendingPane)
        if self.overview is not None:
            pane.show_counts(self.overview.pending, query.bucket, query.pending_offset)
        pane.show_page(page, self.clock.now(), self.tz)
        self._loaded_pane("pending")

    def on_streams_loaded(self, message: StreamsLoaded) -> None:
        """The ConnectWise streams and the chosen one's records, if still the page asked for."""
        query, page = self.main.query_state, message.page
        if not is_current(page, query):
            return
        if not page.rows and page.offset > 0:  # the stream shrank under this page
            self.main.set_query(replace(query, stream_offset=0), "streams")
            return
        self.streams_attention = sum(stream.attention for stream in page.streams)
        self.main.query_one(StreamsPane).show_page(page, self.clock.now(), self.tz)
        self.main.show_tabs(self.tab_counts())
        self._loaded_pane("streams")

    def on_alerts_loaded(self, message: AlertsLoaded) -> None:
        """The alerts list, if it is still the filter and page asked for."""
        query, page = self.main.query_state, message.page
        if (page.type_, page.search, page.offset) != (
            query.alert_type,
            query.alert_search,
            query.alert_offset,
        ):
            return
        if not page.rows and page.offset > 0:  # acknowledged or resolved from under this page
            self.main.set_query(replace(query, alert_offset=0), "alerts")
            return
        self.alert_total = page.total
        self.main.query_one(AlertsPane).show_page(page, self.clock.now(), self.tz)
        self.main.show_tabs(self.tab_counts())
        self._loaded_pane("alerts")

    def on_history_loaded(self, message: HistoryLoaded) -> None:
        """New tail rows, if they are of the record asked for."""
        if message.batch.record != self.main.query_state.history_record:
            self.want("history")
            return
        self.main.query_one(HistoryPane).show_batch(message.batch, self.clock.now(), self.tz)
        self._loaded_pane("history")

    def on_tables_changed(self, message: TablesChanged) -> None:
        """Keep an open learner detail live."""
        if message.tables & DETAIL_TABLES:
            for screen in self.screen_stack:
                if isinstance(screen, DetailScreen):
                    screen.reload()

    def on_feed_failed(self, message: FeedFailed) -> None:
        """Say that reading failed."""
        self.show_hint(message.reason, style="bold red")

    # ---- commands --------------------------------------------------------------------------

    def send_command(self, kind: CommandKind, args: dict[str, Any], label: str) -> None:
        """Queue a command for the daemon; the command line follows it to its result."""
        self._enqueue(kind, args, label)

    @work(group="commands", exit_on_error=False)
    async def _enqueue(self, kind: CommandKind, args: dict[str, Any], label: str) -> None:
        assert self.store is not None
        try:
            command_id = await enqueue(self.store, kind, args, requested_by="tui")
        except Exception as exc:
            self.post_message(FeedFailed(f"{label}: could not queue the command: {exc}"))
            return
        self.post_message(CommandQueued(command_id, label))

    def on_command_queued(self, message: CommandQueued) -> None:
        """Follow the new command; read everything it touched now."""
        self.tracker.sent(message.command_id, message.label)
        self._show_command_line()
        self._force = True
        self._wake.set()

    def on_commands_loaded(self, message: CommandsLoaded) -> None:
        """The followed commands' states."""
        self.tracker.update(message.commands)
        self._show_command_line()

    def show_hint(self, text: str, *, style: str = "yellow") -> None:
        """A one-line hint where command results show (a key that needs a selection, …)."""
        self.tracker.hint = Text(text, style=style)
        self._show_command_line()

    def command_line(self) -> Text:
        """What the command line shows now."""
        return self.tracker.line(daemon_running=self.daemon_running())

    def daemon_running(self) -> bool:
        """A daemon (ours or another) can carry out commands."""
        if self.host.mode == "embedded":
            return True
        return self.overview is not None and self.overview.daemon is not None

    def refresh_command_line(self) -> None:
        """Show the command line on whichever screen is open."""
        self._show_command_line()

    def _show_command_line(self) -> None:
        line = self.command_line()
        for screen in self.screen_stack:
            for widget in screen.query(".command-line"):
                if isinstance(widget, Lines):
                    widget.show([line])

    # ---- header, tenants, helpers for the screens -----------------------------------------

    def tenant(self) -> TenantOverview | None:
        """The organisation the header and quota pane show."""
        if self.overview is None or not self.overview.tenants:
            return None
        return self.overview.tenants[self.tenant_index % len(self.overview.tenants)]

    def next_tenant(self) -> None:
        """Switch the header and quota pane to the next organisation."""
        count = len(self.overview.tenants) if self.overview else 0
        if count < 2:
            self.show_hint("only one organisation is connected")
            return
        self.tenant_index = (self.tenant_index + 1) % count
        self._show_header()
        self._scope_streams()

    def _scope_streams(self) -> None:
        """The Streams pane shows the header's organisation (`o`: the next one)."""
        tenant = self.tenant()
        wanted = tenant.tenant_id if tenant is not None else None
        query = self.main.query_state
        if self.connectwise and wanted != query.tenant_id:
            self.main.set_query(replace(query, tenant_id=wanted, stream_offset=0), "streams")

    def _show_header(self) -> None:
        view, tenant = self.overview, self.tenant()
        count = len(view.tenants) if view else 0
        lines = header_lines(
            view, tenant, self.host, pid=self.pid, tenant_pos=(self.tenant_index, count), tz=self.tz
        )
        self.main.query_one("#header", Lines).show(lines)
        quota = quota_lines(view, tenant, day_limit=self.settings.xero.daily_limit, tz=self.tz)
        self.main.query_one("#quota", Lines).show(quota)

    def tab_counts(self) -> dict[str, int]:
        """The count each pane's tab shows."""
        counts: dict[str, int] = {"alerts": self.alert_total, "streams": self.streams_attention}
        if self.overview is not None:
            counts["pending"] = self.overview.pending.total
            counts["alerts"] = self.overview.open_alerts
            counts["resyncs"] = sum(
                1 for r in self.overview.resyncs if r.state in ("pending", "running", "paused")
            )
        return counts

    def previewer(self, tenant_id: str) -> Previewer:
        """What the resync dialog calls to cost a resync at the current budget."""
        assert self.store is not None
        live = self.overview.live if self.overview else None
        return store_previewer(self.store, self.settings, live, tenant_id)

    def key_rows(self) -> list[tuple[str, str, str]]:
        """(keys as shown, binding id, what it does) for every key, remapped ones included."""
        rows = key_rows(ALL_BINDINGS, self.settings.tui.keymap, self.get_key_display)
        return [*rows, ("^p", "command_palette", "every action by name")]

    async def on_unmount(self) -> None:
        """Close our store connection."""
        if self.store is not None:
            await self.store.close()
