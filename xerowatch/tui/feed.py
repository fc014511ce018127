"""What the dashboard reads, and when: the change feed decides which panes to re-read.

No Textual here: the app's feed worker calls these and posts the results as messages. Every
read is one bounded page, and a pane is re-read only when a table behind it moved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from xerowatch.clock import Clock
from xerowatch.store import commands, panes
from xerowatch.store.alerts import Alert
from xerowatch.store.changes import ChangeTracker
from xerowatch.store.commands import Command
from xerowatch.store.db import Store
from xerowatch.store.history import HistoryEntry
from xerowatch.store.overview import Overview, read_overview
from xerowatch.store.panes import PendingBucket, PendingLearner

PAGE = 100
"""Rows per page of the pending and alert lists."""
HISTORY_KEEP = 500
"""History rows the live tail keeps on screen."""
CLOCK = "clock"
"""A pseudo-table that "changes" every minute: relative times, the sparkline and forecast."""

PANE_TABLES: dict[str, frozenset[str]] = {
    "overview": frozenset(
        {
            "alerts",
            "contact_links",
            "jobs",
            "learners",
            "resyncs",
            "runtime_state",
            "daemon_lease",
            "connections",
            "oauth_tokens",
            "tenants",
            "quota_samples",
            CLOCK,
        }
    ),
    "pending": frozenset({"contact_links", "jobs", "learners"}),
    "alerts": frozenset({"alerts"}),
    "history": frozenset({"history"}),
    "commands": frozenset({"commands", "daemon_lease"}),
}


def panes_to_read(changed: frozenset[str]) -> set[str]:
    """The panes whose tables moved."""
    return {pane for pane, tables in PANE_TABLES.items() if tables & changed}


@dataclass(frozen=True)
class Query:
    """What the panes are asked to show (handlers replace it; the feed reads it)."""

    bucket: PendingBucket = "queued"
    pending_offset: int = 0
    alert_type: str | None = None
    alert_search: str = ""
    alert_offset: int = 0
    history_record: str = ""


@dataclass(frozen=True)
class PendingPage:
    """One page of one pending bucket."""

    bucket: PendingBucket
    offset: int
    rows: list[PendingLearner]


@dataclass(frozen=True)
class AlertPage:
    """One page of open alerts under a filter, and how many match it."""

    type_: str | None
    search: str
    offset: int
    rows: list[Alert]
    total: int


@dataclass(frozen=True)
class HistoryBatch:
    """History rows for the live tail, oldest first; `reset` replaces what is shown."""

    record: str
    entries: list[HistoryEntry]
    reset: bool


@dataclass
class Feed:
    """The dashboard's reads over its own store connection."""

    store: Store
    clock: Clock
    tracker: ChangeTracker = field(init=False)
    _minute: datetime | None = None
    _history_record: str | None = None
    _history_last: int = 0

    def __post_init__(self) -> None:
        self.tracker = ChangeTracker(self.store)

    async def changes(self, *, force: bool = False) -> frozenset[str]:
        """Tables moved since the last look (plus CLOCK when the minute turned)."""
        changed = await self.tracker.changed(force=force)
        minute = self.clock.now().replace(second=0, microsecond=0)
        if minute != self._minute:
            self._minute = minute
            changed = changed | {CLOCK}
        return changed

    async def overview(self) -> Overview:
        """The shared overview as of now."""
        return await read_overview(self.store, self.clock.now())

    async def pending(self, query: Query) -> PendingPage:
        """The page of the pending bucket the query names."""
        rows = await panes.pending_learners(
            self.store, query.bucket, offset=query.pending_offset, limit=PAGE
        )
        return PendingPage(query.bucket, query.pending_offset, rows)

    async def alerts(self, query: Query) -> AlertPage:
        """The page of open alerts under the query's filter."""
        type_, search = query.alert_type, query.alert_search
        rows = await panes.alert_page(
            self.store, type_=type_, search=search, offset=query.alert_offset, limit=PAGE
        )
        total = await panes.count_alerts(self.store, type_=type_, search=search)
        return AlertPage(type_, search, query.alert_offset, rows, total)

    async def history(self, query: Query) -> HistoryBatch:
        """The tail afresh when the record filter changed, else only the rows newer than shown."""
        record = query.history_record
        if record != self._history_record:
            tail = await panes.history_tail(self.store, record=record or None, limit=HISTORY_KEEP)
            entries = list(reversed(tail))
            reset = True
        else:
            entries = await panes.history_after(
                self.store, self._history_last, record=record or None, limit=HISTORY_KEEP
            )
            reset = False
        self._history_record = record
        if entries:
            self._history_last = entries[-1].id
        return HistoryBatch(record, entries, reset)

    async def commands(self, ids: list[int]) -> list[Command]:
        """The current state of the commands this dashboard sent."""
        found = [await commands.get(self.store, command_id) for command_id in ids]
        return [command for command in found if command is not None]
