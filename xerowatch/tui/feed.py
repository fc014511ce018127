"""What the dashboard reads, and when: the change feed decides which panes to re-read.

No Textual here: the app's feed worker calls these and posts the results as messages. Every
read is one bounded page, and a pane is re-read only when a table behind it moved.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from xerowatch.clock import Clock
from xerowatch.store import alerts as alert_store
from xerowatch.store import (
    command_queue,
    connectwise_records,
    connectwise_view,
    jobs,
    learners,
    links,
    live,
    panes,
    resyncs,
    runtime_state,
    transactions,
)
from xerowatch.store.alerts import Alert
from xerowatch.store.backlog import read_backlog
from xerowatch.store.changes import ChangeTracker
from xerowatch.store.command_queue import Command
from xerowatch.store.connectwise_view import StreamPage
from xerowatch.store.db import Store
from xerowatch.store.history import HistoryEntry
from xerowatch.store.overview import (
    LAST_CYCLE_KEY,
    WRITEBACK_JOB,
    Overview,
    connection_rows,
    cursor_rows,
    daemon_holder,
    jobs_by_state,
    latest_quota_samples,
    open_alerts_by_type,
    pending_counts,
    read_overview,
    tenant_overviews,
)
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
            "cw_records",
            CLOCK,
        }
    ),
    "pending": frozenset({"contact_links", "jobs", "learners"}),
    "alerts": frozenset({"alerts"}),
    "history": frozenset({"history"}),
    "commands": frozenset({"commands", "daemon_lease"}),
    "streams": frozenset({"cw_records", "alerts", CLOCK}),
}
"""The tables behind each pane ("streams": ConnectWise's, read only when that is the source)."""


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
    stream_kind: str = ""
    """The ConnectWise stream the operator picked ("": the first needing attention)."""
    stream_offset: int = 0
    tenant_id: str | None = None
    """The organisation the header shows (None: all, before the first overview)."""


def turn_page(offset: int, step: int, total: int) -> int:
    """The offset `step` pages of PAGE rows on from `offset`, kept within a list of `total`."""
    return max(0, min(offset + step * PAGE, max(0, total - 1) // PAGE * PAGE))


def is_current(page: StreamPage, query: Query) -> bool:
    """The streams page is the one the query asks for (else a newer read is on its way)."""
    kinds = {stream.kind for stream in page.streams}
    asked = query.stream_kind if query.stream_kind in kinds else page.kind
    return (page.kind, page.offset, page.tenant_id) == (
        asked,
        query.stream_offset,
        query.tenant_id,
    )


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
    contacts: dict[tuple[str, str], str] = field(default_factory=dict)
    """Xero ContactID by (tenant, record) for the alerts about a learner with a contact."""


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
    _overview: Overview | None = None

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

    async def overview(self, changed: frozenset[str] | None = None) -> Overview:
        """The shared overview as of now, re-reading only the parts whose tables moved."""
        self._overview = await refresh_overview(
            self.store, self.clock.now(), self._overview, changed
        )
        return self._overview

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
        by_tenant: dict[str, list[str]] = {}
        for alert in rows:
            if alert.tenant_id and alert.record:
                by_tenant.setdefault(alert.tenant_id, []).append(alert.record)
        contacts: dict[tuple[str, str], str] = {}
        for tenant_id, refs in by_tenant.items():
            found = await links.links_by_ref(self.store, tenant_id, refs)
            contacts.update(
                {
                    (tenant_id, ref): link.contact_id
                    for ref, link in found.items()
                    if link.contact_id
                }
            )
        return AlertPage(type_, search, query.alert_offset, rows, total, contacts)

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

    async def streams(self, query: Query) -> StreamPage:
        """The ConnectWise streams and a page of the chosen one's records."""
        return await connectwise_view.stream_page(
            self.store, query.stream_kind, query.stream_offset, query.tenant_id, limit=PAGE
        )

    async def commands(self, ids: list[int]) -> list[Command]:
        """The current state of the commands this dashboard sent."""
        found = [await command_queue.get(self.store, command_id) for command_id in ids]
        return [command for command in found if command is not None]


async def refresh_overview(
    store: Store, now: datetime, previous: Overview | None, changed: frozenset[str] | None
) -> Overview:
    """`read_overview`, but from `previous` only the parts whose tables moved are read again.

    Counting 100,000 contact links or 10,000 alerts costs tens of milliseconds; the daemon
    publishes its live state every second. Each field comes from the very function
    `read_overview` uses, so the dashboard and `status --json` still cannot disagree.
    """
    if previous is None or changed is None:
        return await read_overview(store, now)
    moved = set(changed)
    daemon = await daemon_holder(store, now)
    state = await live.read(store) if daemon is not None else None
    tx_counts = await transactions.counts(store)  # its table is not watched; cheap
    fields: dict[str, object] = {
        "now": now,
        "backlog": await read_backlog(store, now, tx_counts["pending_write"]),
        "streams": await connectwise_records.stream_lines(store),
        "daemon": daemon,
        "live": state,
        "paused": await runtime_state.get(store, runtime_state.PAUSED_KEY, {}),
        "tenants": await tenant_overviews(store, now, state),
        "transactions": tx_counts,
        "last_cycle": previous.last_cycle,
        "quota_samples": await latest_quota_samples(store),
        "connections": await connection_rows(store),
        "cursors": await cursor_rows(store),
        "resyncs": await resyncs.recent(store, limit=5),
    }
    if "runtime_state" in moved:
        fields["last_cycle"] = await runtime_state.get(store, LAST_CYCLE_KEY)
    if "learners" in moved:
        fields["learners_total"] = await learners.count_learners(store)
    if moved & {"contact_links", "jobs"}:
        fields["contacts_by_state"] = await links.count_by_state(store)
        fields["jobs_by_state"] = await jobs.depth_by_state(store)
        fields["pending"] = await pending_counts(store)
        fields["writeback_by_state"] = await jobs_by_state(store, WRITEBACK_JOB)
    if "alerts" in moved:
        fields["open_alerts"] = await alert_store.count_open(store)
        fields["open_alerts_by_type"] = await open_alerts_by_type(store)
    return replace(previous, **fields)  # type: ignore[arg-type]
