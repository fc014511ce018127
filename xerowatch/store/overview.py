"""The one read model of the whole system's state: `status`, `/metrics` and the dashboard.

Every figure the three show comes from here, so they cannot disagree. Each query is bounded
(grouped counts over indexed columns, or a LIMIT) so reading an overview stays cheap on a
store with a hundred thousand learners and a million history rows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from xerowatch.store import (
    alerts,
    connectwise_records,
    jobs,
    learners,
    links,
    live,
    resyncs,
    runtime_state,
    transactions,
)
from xerowatch.store.backlog import BacklogForecast, read_backlog
from xerowatch.store.db import Store
from xerowatch.store.live import LiveState, LiveTenantQuota
from xerowatch.store.resyncs import Resync

LAST_CYCLE_KEY = "last_cycle"
"""runtime_state key of the last `sync --once` cycle's summary."""
DAEMON_STALE_AFTER_S = 30.0
SPARK_MINUTES = 60
FORECAST_WINDOW_MIN = 15
"""The pace behind the day forecast: calls per minute over the last quarter hour."""
CONTACT_JOB = "contact"
WRITEBACK_JOB = "writeback"


def parse_time(text: str | None) -> datetime | None:
    """A stored ISO timestamp as an aware datetime (naive ones are UTC); None if unreadable."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class DaemonInfo:
    """The daemon holding the store's lease, with a fresh heartbeat."""

    pid: int
    host: str
    heartbeat_age_s: float
    acquired_at: str


async def daemon_holder(
    store: Store, now: datetime, stale_after: float = DAEMON_STALE_AFTER_S
) -> DaemonInfo | None:
    """The live daemon on this store, or None when no lease has a fresh heartbeat."""
    row = await store.fetchone(
        "SELECT pid, host, acquired_at, heartbeat_at FROM daemon_lease "
        "ORDER BY heartbeat_at DESC LIMIT 1"
    )
    if row is None:
        return None
    beat = parse_time(str(row["heartbeat_at"]))
    if beat is None:
        return None
    age = (now - beat).total_seconds()
    if age > stale_after:
        return None
    return DaemonInfo(
        pid=int(row["pid"]),
        host=str(row["host"]),
        heartbeat_age_s=round(max(0.0, age), 1),
        acquired_at=str(row["acquired_at"]),
    )


@dataclass(frozen=True)
class DayForecast:
    """When the day's Xero budget runs out at the current pace (None: it lasts the day)."""

    pace_per_minute: float
    runs_out_at: datetime | None
    resets_at: datetime

    def describe(self) -> str:
        """ "runs out at 14:05" or "lasts the day", in the time zone of the datetimes."""
        if self.runs_out_at is None:
            return "lasts the day"
        return f"runs out at {self.runs_out_at:%H:%M}"


def forecast_day(
    *, day_used: int, day_limit: int, pace_per_minute: float, now: datetime, resets_at: datetime
) -> DayForecast:
    """Project the day's calls at `pace_per_minute` until the day resets."""
    left = max(0, day_limit - day_used)
    if left == 0:
        return DayForecast(pace_per_minute, now, resets_at)
    if pace_per_minute <= 0:
        return DayForecast(pace_per_minute, None, resets_at)
    out = now + timedelta(minutes=left / pace_per_minute)
    return DayForecast(pace_per_minute, out if out < resets_at else None, resets_at)


@dataclass(frozen=True)
class TenantOverview:
    """One connected organisation: connection, token, pause, live quota and its last hour."""

    tenant_id: str
    name: str
    connection_id: str
    connection_status: str
    status_reason: str | None
    access_expires_at: str | None
    paused: bool
    quota: LiveTenantQuota | None
    calls_per_minute: list[int]
    """Calls in each of the last 60 minutes, oldest first (zero-filled)."""
    day_calls_sampled: int
    """Calls counted by the per-minute samples over the last 24 hours."""

    def forecast(self, now: datetime, day_limit: int) -> DayForecast:
        """The day's budget at the pace of the last quarter hour."""
        recent = self.calls_per_minute[-FORECAST_WINDOW_MIN:]
        pace = sum(recent) / max(1, len(recent))
        quota = self.quota
        used = quota.day_used if quota else self.day_calls_sampled
        limit = quota.day_limit if quota else day_limit
        resets = parse_time(quota.day_resets_at) if quota else None
        if resets is None or resets <= now:
            resets = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        return forecast_day(
            day_used=used, day_limit=limit, pace_per_minute=pace, now=now, resets_at=resets
        )


@dataclass(frozen=True)
class PendingCounts:
    """Learners waiting on a contact write, by why they wait."""

    queued: int = 0
    in_doubt: int = 0
    retrying: int = 0
    failed: int = 0
    dead: int = 0

    @property
    def total(self) -> int:
        """Every learner not synced for a reason the dashboard lists."""
        return self.queued + self.in_doubt + self.retrying + self.failed + self.dead


async def pending_counts(store: Store) -> PendingCounts:
    """Queued (not yet tried), in doubt (a write in flight or cut off), retrying, failed
    (invalid or blocked: needs a human), dead (retries spent)."""
    by_state = await links.count_by_state(store)
    job_rows = await store.fetchall(
        "SELECT state, COUNT(*) FROM jobs WHERE kind = ? AND state IN ('running', 'retry') "
        "GROUP BY state",
        (CONTACT_JOB,),
    )
    by_job = {str(row[0]): int(row[1]) for row in job_rows}
    in_doubt, retrying = by_job.get("running", 0), by_job.get("retry", 0)
    return PendingCounts(
        queued=max(0, by_state.get("pending", 0) - in_doubt - retrying),
        in_doubt=in_doubt,
        retrying=retrying,
        failed=by_state.get("invalid", 0) + by_state.get("blocked", 0),
        dead=by_state.get("dead", 0),
    )


async def _calls_per_minute(store: Store, tenant_id: str, now: datetime) -> tuple[list[int], int]:
    this_minute = now.astimezone(UTC).replace(second=0, microsecond=0)
    start = this_minute - timedelta(minutes=SPARK_MINUTES - 1)
    day_start = this_minute - timedelta(hours=24)
    rows = await store.fetchall(
        "SELECT minute, calls FROM quota_samples WHERE tenant_id = ? AND minute >= ? "
        "ORDER BY minute",
        (tenant_id, day_start.isoformat()),
    )
    buckets = [0] * SPARK_MINUTES
    day_total = 0
    for row in rows:
        calls = int(row["calls"])
        day_total += calls
        minute = parse_time(str(row["minute"]))
        if minute is None or minute < start:
            continue
        index = int((minute - start).total_seconds() // 60)
        if 0 <= index < SPARK_MINUTES:
            buckets[index] += calls
    return buckets, day_total


async def tenant_overviews(
    store: Store, now: datetime, state: LiveState | None
) -> list[TenantOverview]:
    """Every active organisation with its connection and quota."""
    paused: dict[str, bool] = await runtime_state.get(store, runtime_state.PAUSED_KEY, {})
    rows = await store.fetchall(
        "SELECT t.tenant_id, t.name, t.connection_id, c.status, c.status_reason, "
        "o.access_expires_at FROM tenants AS t "
        "JOIN connections AS c ON c.id = t.connection_id "
        "LEFT JOIN oauth_tokens AS o ON o.connection_id = t.connection_id "
        "WHERE t.active = 1 ORDER BY t.name, t.tenant_id"
    )
    result: list[TenantOverview] = []
    for row in rows:
        tenant_id = str(row["tenant_id"])
        minutes, day_total = await _calls_per_minute(store, tenant_id, now)
        result.append(
            TenantOverview(
                tenant_id=tenant_id,
                name=str(row["name"]),
                connection_id=str(row["connection_id"]),
                connection_status=str(row["status"]),
                status_reason=row["status_reason"],
                access_expires_at=row["access_expires_at"],
                paused=bool(paused.get("*") or paused.get(tenant_id)),
                quota=state.tenants.get(tenant_id) if state else None,
                calls_per_minute=minutes,
                day_calls_sampled=day_total,
            )
        )
    return result


@dataclass(frozen=True)
class Overview:
    """The state of everything, as of `now`."""

    now: datetime
    daemon: DaemonInfo | None
    paused: dict[str, bool]
    tenants: list[TenantOverview]
    learners_total: int
    contacts_by_state: dict[str, int]
    jobs_by_state: dict[str, int]
    pending: PendingCounts
    writeback_by_state: dict[str, int]
    transactions: dict[str, int]
    open_alerts: int
    open_alerts_by_type: dict[str, int]
    resyncs: list[Resync]
    last_cycle: dict[str, Any] | None
    live: LiveState | None
    quota_samples: dict[str, dict[str, Any]] = field(default_factory=dict)
    connections: list[dict[str, Any]] = field(default_factory=list)
    cursors: list[dict[str, Any]] = field(default_factory=list)
    backlog: BacklogForecast = field(default_factory=lambda: BacklogForecast(0))
    """The write-back backlog and its forecast at the source's quota."""
    streams: list[str] = field(default_factory=list)
    """The ConnectWise streams' records by state, a line each (empty for a learner source)."""

    def to_json(self) -> dict[str, Any]:
        """The JSON `xerowatch status --json` prints."""
        return {
            "daemon": asdict(self.daemon) if self.daemon else None,
            "paused": self.paused,
            "tenants": [
                {
                    "tenant_id": t.tenant_id,
                    "name": t.name,
                    "connection_id": t.connection_id,
                    "connection_status": t.connection_status,
                    "status_reason": t.status_reason,
                    "access_expires_at": t.access_expires_at,
                    "paused": t.paused,
                    "quota": asdict(t.quota) if t.quota else None,
                    "calls_last_hour": sum(t.calls_per_minute),
                }
                for t in self.tenants
            ],
            "learners": self.learners_total,
            "contacts": self.contacts_by_state,
            "pending": asdict(self.pending),
            "jobs": self.jobs_by_state,
            "writeback_jobs": self.writeback_by_state,
            "transactions": self.transactions,
            "writeback_backlog": self.backlog.to_json(),
            "streams": self.streams,
            "open_alerts": self.open_alerts,
            "open_alerts_by_type": self.open_alerts_by_type,
            "resyncs": [resync_json(r) for r in self.resyncs],
            "quota": self.quota_samples,
            "live": asdict(self.live) if self.live else None,
            "last_cycle": self.last_cycle,
            "connections": self.connections,
            "cursors": self.cursors,
        }


def resync_json(run: Resync) -> dict[str, Any]:
    """One resync as `status --json` shows it."""
    return {
        "id": run.id,
        "tenant_id": run.tenant_id,
        "state": run.state,
        "range": f"{run.date_from}..{run.date_to}",
        "types": run.types,
        "done": run.done,
        "total": run.total,
        "calls_used": run.calls_used,
        "eta_seconds": run.progress.get("eta_seconds"),
        "message": run.message,
        "finished_at": run.finished_at,
    }


async def open_alerts_by_type(store: Store) -> dict[str, int]:
    """Open (unacknowledged, unresolved) alerts per type."""
    rows = await store.fetchall(
        "SELECT type, COUNT(*) AS n FROM alerts "
        "WHERE acknowledged_at IS NULL AND resolved_at IS NULL GROUP BY type"
    )
    return {str(row["type"]): int(row["n"]) for row in rows}


async def jobs_by_state(store: Store, kind: str | None = None) -> dict[str, int]:
    """Outbox jobs per state, of one kind or all."""
    if kind is None:
        return await jobs.depth_by_state(store)
    rows = await store.fetchall(
        "SELECT state, COUNT(*) FROM jobs WHERE kind = ? GROUP BY state", (kind,)
    )
    return {str(row[0]): int(row[1]) for row in rows}


async def latest_quota_samples(store: Store) -> dict[str, dict[str, Any]]:
    """Each tenant's newest per-minute quota sample."""
    rows = await store.fetchall(
        "SELECT q.* FROM quota_samples AS q JOIN (SELECT tenant_id, MAX(minute) AS m "
        "FROM quota_samples GROUP BY tenant_id) AS latest "
        "ON latest.tenant_id = q.tenant_id AND latest.m = q.minute"
    )
    return {str(row["tenant_id"]): dict(row) for row in rows}


async def read_overview(store: Store, now: datetime) -> Overview:
    """Read the whole overview (a dozen bounded queries)."""
    daemon = await daemon_holder(store, now)
    state = await live.read(store) if daemon is not None else None
    by_type = await open_alerts_by_type(store)
    tx_counts = await transactions.counts(store)
    return Overview(
        now=now,
        daemon=daemon,
        paused=await runtime_state.get(store, runtime_state.PAUSED_KEY, {}),
        tenants=await tenant_overviews(store, now, state),
        learners_total=await learners.count_learners(store),
        contacts_by_state=await links.count_by_state(store),
        jobs_by_state=await jobs.depth_by_state(store),
        pending=await pending_counts(store),
        writeback_by_state=await jobs_by_state(store, WRITEBACK_JOB),
        transactions=tx_counts,
        open_alerts=await alerts.count_open(store),
        open_alerts_by_type=by_type,
        resyncs=await resyncs.recent(store, limit=5),
        last_cycle=await runtime_state.get(store, LAST_CYCLE_KEY),
        live=state,
        quota_samples=await latest_quota_samples(store),
        connections=await connection_rows(store),
        cursors=await cursor_rows(store),
        backlog=await read_backlog(store, now, tx_counts["pending_write"]),
        streams=await connectwise_records.stream_lines(store),
    )


async def connection_rows(store: Store) -> list[dict[str, Any]]:
    """Every connection with its token's expiry (never the tokens)."""
    rows = await store.fetchall(
        "SELECT c.id, c.provider, c.auth_mode, c.status, c.status_reason, "
        "t.access_expires_at, t.rotated_at FROM connections AS c "
        "LEFT JOIN oauth_tokens AS t ON t.connection_id = c.id ORDER BY c.id"
    )
    return [dict(row) for row in rows]


async def cursor_rows(store: Store) -> list[dict[str, Any]]:
    """Every incremental cursor."""
    rows = await store.fetchall(
        "SELECT tenant_id, stream, value, updated_at FROM cursors ORDER BY tenant_id, stream"
    )
    return [dict(row) for row in rows]


async def webhook_events_pending(store: Store) -> dict[str, int]:
    """Received webhook events not yet processed, per source."""
    rows = await store.fetchall(
        "SELECT source, COUNT(*) AS n FROM webhook_events WHERE processed_at IS NULL "
        "GROUP BY source"
    )
    return {str(row["source"]): int(row["n"]) for row in rows}


async def commands_pending(store: Store) -> int:
    """Commands waiting for the daemon."""
    row = await store.fetchone("SELECT COUNT(*) FROM commands WHERE state = 'pending'")
    return int(row[0]) if row else 0


SYNC_LOOP_PREFIXES = (
    "poll_source",
    "push_contacts",
    "pull_transactions",
    "write_back",
    "connectwise",  # connectwise[<tenant>] and connectwise_payments[<tenant>]
)


@dataclass(frozen=True)
class LastActivity:
    """When the sync last completed a step, and whether anything is failing."""

    at: str | None
    outcome: str
    by: str
    """"daemon" (its loops) or "sync --once" (the last one-off cycle)."""

    def describe(self, now: datetime) -> str:
        """ "ok 12 s ago (daemon)" or "failing: write_back: … (daemon)"."""
        moment = parse_time(self.at)
        when = "never" if moment is None else f"{max(0, int((now - moment).total_seconds()))} s ago"
        return f"{self.outcome}, last step done {when} ({self.by})"


def last_activity(view: Overview) -> LastActivity | None:
    """The live daemon's sync loops, else the last `sync --once` cycle, else None."""
    if view.live is not None:
        loops = [
            loop for loop in view.live.loops.values() if loop.name.startswith(SYNC_LOOP_PREFIXES)
        ]
        if not loops:
            return None
        finished = [loop.last_ok_at for loop in loops if loop.last_ok_at]
        failing = [loop for loop in loops if loop.failures]
        outcome = (
            "failing: " + "; ".join(f"{loop.name}: {loop.last_error}" for loop in failing)
            if failing
            else "ok"
        )
        return LastActivity(max(finished) if finished else None, outcome, "daemon")
    cycle = view.last_cycle
    if not isinstance(cycle, dict):
        return None
    errors = [
        f"{tenant}: {result.get('error')}"
        for tenant, result in dict(cycle.get("tenants") or {}).items()
        if isinstance(result, dict) and result.get("error")
    ] or [str(failure) for failure in cycle.get("failures") or []]  # e.g. the ConnectWise steps
    outcome = "failing: " + "; ".join(errors) if errors else "ok"
    return LastActivity(cycle.get("finished_at"), outcome, "sync --once")
