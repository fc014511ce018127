"""/metrics parsed as Prometheus text, and /healthz for loops and store writability."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import httpx
from prometheus_client.parser import text_string_to_metric_families

from xerowatch.clock import FakeClock
from xerowatch.config import DaemonSettings
from xerowatch.daemon.http_routes import build_app
from xerowatch.daemon.metrics import CallMetrics, MetricsSource
from xerowatch.daemon.supervisor import LoopHealth
from xerowatch.store.alerts import raise_alert
from xerowatch.store.db import Store
from xerowatch.xero.quota import Lane, QuotaLimits, QuotaScheduler

HEALTHY = LoopHealth(
    name="push_contacts[t1]",
    tenant_id="t1",
    alive=True,
    running=False,
    last_ok_at=None,
    failures=0,
    total_failures=2,
    last_error=None,
)


class FixedLoops:
    """A supervisor stand-in with fixed health."""

    def __init__(self, *health: LoopHealth) -> None:
        self.loops = {h.name: h for h in health}

    def health(self) -> dict[str, LoopHealth]:
        return dict(self.loops)

    def wake(self, name_prefix: str) -> None:
        pass


class BrokenSource:
    """A metrics source whose snapshot fails."""

    def snapshot(self) -> object:
        raise RuntimeError("scheduler exploded")


def client_for(app: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://d")  # type: ignore[arg-type]


async def seed(store: Store, clock: FakeClock) -> None:
    now = clock.now()
    iso = now.isoformat()
    for key, state in [("a", "pending"), ("b", "pending"), ("c", "dead"), ("d", "retry")]:
        await store.execute(
            "INSERT INTO jobs (tenant_id, kind, key, state, created_at, updated_at) "
            "VALUES ('t1', 'push_contact', ?, ?, ?, ?)",
            (key, state, iso, iso),
        )
    await raise_alert(store, "duplicate_name", "two contacts named Ann Lee", record="LRN-1")
    await raise_alert(store, "duplicate_name", "two contacts named Bo Chan", record="LRN-2")
    await raise_alert(store, "token_expired", "reconnect", record="conn-1")
    await store.execute(
        "INSERT INTO cursors (tenant_id, stream, value, updated_at) "
        "VALUES ('t1', 'invoices', 'x', ?)",
        ((now - timedelta(seconds=90)).isoformat(),),
    )
    await store.execute(
        "INSERT INTO connections (id, provider, auth_mode, created_at, updated_at) "
        "VALUES ('conn-1', 'xero', 'authorization_code', ?, ?)",
        (iso, iso),
    )
    await store.execute(
        "INSERT INTO oauth_tokens (connection_id, access_token, access_expires_at, updated_at) "
        "VALUES ('conn-1', 'secret-token', ?, ?)",
        ((now + timedelta(seconds=1200)).isoformat(), iso),
    )
    await store.execute(
        "INSERT INTO webhook_events (source, event_key, received_at) VALUES ('xero', 'k1', ?)",
        (iso,),
    )
    await store.execute(
        "INSERT INTO commands (kind, created_at) VALUES ('pause', ?)",
        (iso,),
    )


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def test_metrics_report_calls_quota_queues_alerts_lag_and_expiry(
    store: Store, clock: FakeClock
) -> None:
    await seed(store, clock)
    calls = CallMetrics()
    calls.record("GET /Contacts", 200, "t1")
    calls.record("GET /Contacts", 200, "t1")
    calls.record("POST /Contacts", 429, "t1")
    calls.record("GET /Invoices", None, "t2")
    scheduler = QuotaScheduler(QuotaLimits(), clock)
    async with scheduler.slot("t1", Lane.INCREMENTAL):
        pass
    source: MetricsSource = scheduler
    expected_quota = scheduler.snapshot().tenants["t1"]
    app = build_app(
        store=store,
        clock=clock,
        daemon=DaemonSettings(),
        loops=lambda: FixedLoops(HEALTHY, replace(HEALTHY, name="poll_source", alive=False)),
        calls=calls,
        metrics_source=source,
    )
    async with client_for(app) as http:
        response = await http.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "secret-token" not in response.text
    got = samples(response.text)
    call = "xerowatch_xero_calls_total"
    assert got[(call, (("endpoint", "GET /Contacts"), ("status", "200"), ("tenant", "t1")))] == 2
    assert got[(call, (("endpoint", "POST /Contacts"), ("status", "429"), ("tenant", "t1")))] == 1
    assert got[(call, (("endpoint", "GET /Invoices"), ("status", "none"), ("tenant", "t2")))] == 1
    assert got[("xerowatch_xero_quota_minute_remaining", (("tenant", "t1"),))] == (
        expected_quota.minute_remaining
    )
    assert got[("xerowatch_xero_quota_day_remaining", (("tenant", "t1"),))] == (
        expected_quota.day_remaining
    )
    jobs = {s: got[("xerowatch_jobs", (("state", s),))] for s in ("pending", "dead", "retry")}
    assert jobs == {"pending": 2, "dead": 1, "retry": 1}
    assert got[("xerowatch_jobs", (("state", "done"),))] == 0
    assert got[("xerowatch_open_alerts", (("type", "duplicate_name"),))] == 2
    assert got[("xerowatch_open_alerts", (("type", "token_expired"),))] == 1
    assert got[("xerowatch_sync_lag_seconds", (("stream", "invoices"), ("tenant", "t1")))] == 90
    assert got[("xerowatch_token_expiry_seconds", (("connection", "conn-1"),))] == 1200
    assert got[("xerowatch_webhook_events_pending", (("source", "xero"),))] == 1
    assert got[("xerowatch_webhook_events_pending", (("source", "wisenet"),))] == 0
    assert got[("xerowatch_commands_pending", ())] == 1
    assert got[("xerowatch_loop_up", (("loop", "push_contacts[t1]"),))] == 1
    assert got[("xerowatch_loop_up", (("loop", "poll_source"),))] == 0
    assert got[("xerowatch_loop_failures_total", (("loop", "push_contacts[t1]"),))] == 2


async def test_metrics_survive_a_failing_quota_source(store: Store, clock: FakeClock) -> None:
    app = build_app(
        store=store,
        clock=clock,
        daemon=DaemonSettings(),
        loops=lambda: None,
        calls=CallMetrics(),
        metrics_source=BrokenSource(),  # type: ignore[arg-type]
    )
    async with client_for(app) as http:
        response = await http.get("/metrics")
    assert response.status_code == 200
    assert not any(name.startswith("xerowatch_xero_quota") for name, _ in samples(response.text))


async def healthz(store: Store, clock: FakeClock, loops: FixedLoops | None) -> httpx.Response:
    app = build_app(
        store=store, clock=clock, daemon=DaemonSettings(), loops=lambda: loops, calls=CallMetrics()
    )
    async with client_for(app) as http:
        return await http.get("/healthz")


async def test_healthz_is_200_when_loops_live_and_store_writable(
    store: Store, clock: FakeClock
) -> None:
    response = await healthz(store, clock, FixedLoops(HEALTHY))

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "loops": 1}
    row = await store.fetchone("SELECT value FROM runtime_state WHERE key = 'daemon.healthz_at'")
    assert row is not None


async def test_healthz_is_503_naming_a_dead_loop(store: Store, clock: FakeClock) -> None:
    dead = replace(HEALTHY, alive=False, failures=4, last_error="RuntimeError: boom")
    response = await healthz(store, clock, FixedLoops(dead))

    assert response.status_code == 503
    assert response.json()["reasons"] == [
        "loop push_contacts[t1] is down after 4 failures: RuntimeError: boom"
    ]


async def test_healthz_is_503_without_loops(store: Store, clock: FakeClock) -> None:
    response = await healthz(store, clock, None)
    assert response.status_code == 503
    assert "loops not running" in response.json()["reasons"][0]


async def test_healthz_is_503_when_the_store_refuses_writes(store: Store, clock: FakeClock) -> None:
    await store.conn.execute("PRAGMA query_only = ON")
    response = await healthz(store, clock, FixedLoops(HEALTHY))

    assert response.status_code == 503
    assert response.json()["reasons"][0].startswith("store not writable")
