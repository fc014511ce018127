"""Prometheus metrics: API calls, quota, queues, alerts, lag, token expiry, read at scrape time."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from xerowatch.daemon.supervisor import LoopHealth
from xerowatch.logs import redact
from xerowatch.store import overview
from xerowatch.store.db import Store

log = logging.getLogger(__name__)

METRICS_CONTENT_TYPE = CONTENT_TYPE_LATEST
JOB_STATES = ("pending", "running", "retry", "dead", "done")
WEBHOOK_SOURCES = ("xero", "wisenet")


class CallMetrics:
    """Counts Xero API calls by endpoint, status and tenant (fed by the transport's on_call)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # the transport may call from a worker thread
        self._counts: Counter[tuple[str, str, str]] = Counter()

    def record(self, endpoint: str, status: int | None, tenant_id: str) -> None:
        """Count one call; `status` None means no HTTP response (timeout, connection error)."""
        key = (endpoint, "none" if status is None else str(status), tenant_id)
        with self._lock:
            self._counts[key] += 1

    def snapshot(self) -> dict[tuple[str, str, str], int]:
        """Return the counts keyed by (endpoint, status, tenant)."""
        with self._lock:
            return dict(self._counts)


class TenantQuotaView(Protocol):
    """One tenant's remaining Xero budget (satisfied by `xero.quota.TenantQuotaState`)."""

    @property
    def minute_remaining(self) -> int:
        """Calls left in the tenant's current minute."""
        ...

    @property
    def day_remaining(self) -> int:
        """Calls left in the tenant's current day."""
        ...


class QuotaView(Protocol):
    """A snapshot of every tenant's quota (satisfied by `xero.quota.QuotaSnapshot`)."""

    @property
    def tenants(self) -> Mapping[str, TenantQuotaView]:
        """Quota per tenant id."""
        ...


class MetricsSource(Protocol):
    """What the engine lends /metrics beyond the store (satisfied by `QuotaScheduler`)."""

    def snapshot(self) -> QuotaView:
        """Return the current quota of every tenant."""
        ...


@dataclass(frozen=True)
class StoreGauges:
    """Everything /metrics reads from the store in one scrape."""

    jobs_by_state: dict[str, int] = field(default_factory=dict)
    open_alerts_by_type: dict[str, int] = field(default_factory=dict)
    cursor_lag: list[tuple[str, str, float]] = field(default_factory=list)
    token_expiry: list[tuple[str, float]] = field(default_factory=list)
    webhook_pending: dict[str, int] = field(default_factory=dict)
    commands_pending: int = 0


async def read_store_gauges(store: Store, now: datetime) -> StoreGauges:
    """Read the queue depths, alerts, cursor lag and token expiry as of `now`."""
    jobs = {state: 0 for state in JOB_STATES}
    jobs.update(await overview.jobs_by_state(store))
    lag: list[tuple[str, str, float]] = []
    for row in await overview.cursor_rows(store):
        updated = overview.parse_time(row["updated_at"])
        if updated is not None:
            lag.append((str(row["tenant_id"]), str(row["stream"]), (now - updated).total_seconds()))
    expiry: list[tuple[str, float]] = []
    for conn in await overview.connection_rows(store):
        expires = overview.parse_time(conn["access_expires_at"])
        if expires is not None:
            expiry.append((str(conn["id"]), (expires - now).total_seconds()))
    pending = {source: 0 for source in WEBHOOK_SOURCES}
    pending.update(await overview.webhook_events_pending(store))
    return StoreGauges(
        jobs_by_state=jobs,
        open_alerts_by_type=await overview.open_alerts_by_type(store),
        cursor_lag=lag,
        token_expiry=expiry,
        webhook_pending=pending,
        commands_pending=await overview.commands_pending(store),
    )


@dataclass(frozen=True)
class MetricsSnapshot:
    """All values of one scrape, gathered before rendering."""

    store: StoreGauges
    calls: dict[tuple[str, str, str], int]
    quota: dict[str, tuple[int, int]]
    loops: dict[str, LoopHealth]


class SnapshotCollector:
    """A prometheus_client collector that renders one `MetricsSnapshot`."""

    def __init__(self, snapshot: MetricsSnapshot) -> None:
        self._snap = snapshot

    def collect(self) -> Iterator[Metric]:
        """Yield every metric family of the snapshot."""
        snap = self._snap
        calls = CounterMetricFamily(
            "xerowatch_xero_calls",
            "Xero API calls by endpoint, HTTP status ('none' = no response) and tenant.",
            labels=["endpoint", "status", "tenant"],
        )
        for (endpoint, status, tenant), count in sorted(snap.calls.items()):
            calls.add_metric([endpoint, status, tenant], count)
        yield calls
        minute = GaugeMetricFamily(
            "xerowatch_xero_quota_minute_remaining",
            "Xero calls left in the tenant's current minute.",
            labels=["tenant"],
        )
        day = GaugeMetricFamily(
            "xerowatch_xero_quota_day_remaining",
            "Xero calls left in the tenant's current day.",
            labels=["tenant"],
        )
        for tenant, (minute_left, day_left) in sorted(snap.quota.items()):
            minute.add_metric([tenant], minute_left)
            day.add_metric([tenant], day_left)
        yield minute
        yield day
        yield from self._store_families(snap.store)
        yield from self._loop_families(snap.loops)

    @staticmethod
    def _store_families(gauges: StoreGauges) -> Iterator[Metric]:
        jobs = GaugeMetricFamily("xerowatch_jobs", "Outbox jobs by state.", labels=["state"])
        for state, count in sorted(gauges.jobs_by_state.items()):
            jobs.add_metric([state], count)
        yield jobs
        alerts = GaugeMetricFamily(
            "xerowatch_open_alerts", "Open (unacknowledged, unresolved) alerts.", labels=["type"]
        )
        for type_, count in sorted(gauges.open_alerts_by_type.items()):
            alerts.add_metric([type_], count)
        yield alerts
        lag = GaugeMetricFamily(
            "xerowatch_sync_lag_seconds",
            "Seconds since each incremental cursor last advanced.",
            labels=["tenant", "stream"],
        )
        for tenant, stream, seconds in sorted(gauges.cursor_lag):
            lag.add_metric([tenant, stream], seconds)
        yield lag
        expiry = GaugeMetricFamily(
            "xerowatch_token_expiry_seconds",
            "Seconds until the connection's access token expires (negative: expired).",
            labels=["connection"],
        )
        for connection, seconds in sorted(gauges.token_expiry):
            expiry.add_metric([connection], seconds)
        yield expiry
        webhooks = GaugeMetricFamily(
            "xerowatch_webhook_events_pending",
            "Received webhook events not yet processed.",
            labels=["source"],
        )
        for source, count in sorted(gauges.webhook_pending.items()):
            webhooks.add_metric([source], count)
        yield webhooks
        yield GaugeMetricFamily(
            "xerowatch_commands_pending",
            "Commands waiting for the daemon.",
            gauges.commands_pending,
        )

    @staticmethod
    def _loop_families(loops: Mapping[str, LoopHealth]) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "xerowatch_loop_up", "1 while the loop runs and is not crash-looping.", labels=["loop"]
        )
        failures = CounterMetricFamily(
            "xerowatch_loop_failures", "Failed iterations of each loop.", labels=["loop"]
        )
        for name, health in sorted(loops.items()):
            up.add_metric([name], 1.0 if health.alive else 0.0)
            failures.add_metric([name], health.total_failures)
        yield up
        yield failures


def quota_by_tenant(source: MetricsSource | None) -> dict[str, tuple[int, int]]:
    """Return (minute, day) remaining per tenant, or nothing if the source fails."""
    if source is None:
        return {}
    try:
        view = source.snapshot()
        return {
            tenant: (state.minute_remaining, state.day_remaining)
            for tenant, state in view.tenants.items()
        }
    except Exception as exc:  # metrics must never take the endpoint down
        log.warning("quota snapshot unavailable for /metrics: %s", redact(str(exc)))
        return {}


async def render_metrics(
    *,
    store: Store,
    now: datetime,
    calls: CallMetrics,
    source: MetricsSource | None,
    loops: Mapping[str, LoopHealth],
) -> bytes:
    """Gather one snapshot and render it in the Prometheus text format."""
    snapshot = MetricsSnapshot(
        store=await read_store_gauges(store, now),
        calls=calls.snapshot(),
        quota=quota_by_tenant(source),
        loops=dict(loops),
    )
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(snapshot))
    return bytes(generate_latest(registry))
