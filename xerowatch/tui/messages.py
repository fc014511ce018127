"""Messages the dashboard's workers post; the handlers that receive them own every change."""

from __future__ import annotations

from textual.message import Message

from xerowatch.daemon.runner import DaemonRunner
from xerowatch.store.command_queue import Command
from xerowatch.store.connectwise_view import StreamPage
from xerowatch.store.overview import Overview
from xerowatch.tui.feed import AlertPage, HistoryBatch, PendingPage


class OverviewLoaded(Message):
    """A fresh overview (header, quota, pending counts, resyncs)."""

    def __init__(self, overview: Overview) -> None:
        super().__init__()
        self.overview = overview

    def can_replace(self, message: Message) -> bool:
        """Only the newest overview matters."""
        return isinstance(message, OverviewLoaded)


class PendingLoaded(Message):
    """A page of a pending bucket."""

    def __init__(self, page: PendingPage) -> None:
        super().__init__()
        self.page = page


class AlertsLoaded(Message):
    """A page of open alerts."""

    def __init__(self, page: AlertPage) -> None:
        super().__init__()
        self.page = page


class StreamsLoaded(Message):
    """The ConnectWise streams and a page of one stream's records."""

    def __init__(self, page: StreamPage) -> None:
        super().__init__()
        self.page = page


class HistoryLoaded(Message):
    """New rows for the history tail."""

    def __init__(self, batch: HistoryBatch) -> None:
        super().__init__()
        self.batch = batch


class CommandsLoaded(Message):
    """The current state of the commands this dashboard sent."""

    def __init__(self, commands: list[Command]) -> None:
        super().__init__()
        self.commands = commands


class TablesChanged(Message):
    """Tables another connection (or this one) wrote since the last look."""

    def __init__(self, tables: frozenset[str]) -> None:
        super().__init__()
        self.tables = tables


class CommandQueued(Message):
    """A command this dashboard wrote to the store, with what the screen calls it."""

    def __init__(self, command_id: int, label: str) -> None:
        super().__init__()
        self.command_id = command_id
        self.label = label


class FeedFailed(Message):
    """Reading the store failed (shown, and retried on the next tick)."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class DaemonStarted(Message):
    """The embedded daemon is assembled and about to serve."""

    def __init__(self, runner: DaemonRunner) -> None:
        super().__init__()
        self.runner = runner


class DaemonStopped(Message):
    """The embedded daemon's serve() returned this exit code (or failed to start)."""

    def __init__(self, code: int, reason: str = "") -> None:
        super().__init__()
        self.code = code
        self.reason = reason
