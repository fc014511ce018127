"""The shared read model: overview figures, the change feed, the panes' pages, live state."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from xerowatch.records import SourceLearner
from xerowatch.store import alerts, jobs, learners, links, live, overview, panes, quota_samples
from xerowatch.store.backlog import BacklogForecast
from xerowatch.store.changes import ChangeTracker
from xerowatch.store.db import Store, open_store
from xerowatch.store.history import HistoryEntry, record
from xerowatch.store.live import LiveState, LiveTenantQuota
from xerowatch.store.quota_samples import QuotaSample
from xerowatch.store.tenants import TenantInfo, upsert_tenants
from xerowatch.store.tokens import IssuedTokens, create_connection

NOW = datetime(2026, 12, 3, 10, 30, tzinfo=UTC)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await open_store(tmp_path / "s.db")
    yield opened
    await opened.close()


async def _tenant(store: Store, tenant_id: str = "t1", name: str = "Demo RTO") -> None:
    tokens = IssuedTokens(
        access_token=SecretStr("a"),
        access_expires_at=NOW + timedelta(minutes=20),
        refresh_token=SecretStr("r"),
        scopes="accounting.contacts",
    )
    cid = await create_connection(
        store, provider="xero", auth_mode="custom_connection", tokens=tokens, now=NOW
    )
    await upsert_tenants(store, cid, [TenantInfo(tenant_id, name, "ORGANISATION", None)], now=NOW)


async def _learner(store: Store, ref: str, first: str = "Ada", last: str = "Lovelace") -> str:
    learner = SourceLearner(
        source_id=f"src-{ref}",
        ref_internal=ref,
        first_name=first,
        last_name=last,
        sync_to_xero=True,
        is_active=True,
    )
    await learners.upsert_learner(store, learner, f"hash-{ref}")
    return learner.source_id


async def test_pending_counts_and_lists_agree_bucket_by_bucket(store: Store) -> None:
    for n in range(1, 8):
        await _learner(store, f"R{n}", first=f"L{n}")
    await links.mark_many_pending(store, "t1", [(f"R{n}", f"src-R{n}") for n in (1, 2, 3, 4)])
    await links.mark(store, "t1", "R5", "src-R5", "invalid", error="Email missing")
    await links.mark(store, "t1", "R6", "src-R6", "blocked", error="archived")
    await links.mark(store, "t1", "R7", "src-R7", "dead", error="503 eight times")
    async with store.transaction() as conn:  # R2 in flight, R3 waiting for its retry
        await jobs.begin_attempts(conn, "t1", "contact", ["R2", "R3"], "idem-1")
    async with store.transaction() as conn:
        await jobs.schedule_retry(
            conn,
            "t1",
            "contact",
            "R3",
            error="503",
            next_attempt_at=datetime(2026, 12, 3, 11, tzinfo=UTC),
        )

    counts = await overview.pending_counts(store)
    assert counts == overview.PendingCounts(queued=2, in_doubt=1, retrying=1, failed=2, dead=1)
    for bucket in panes.PENDING_BUCKETS:
        rows = await panes.pending_learners(store, bucket)
        assert len(rows) == getattr(counts, bucket), bucket
    [retrying] = await panes.pending_learners(store, "retrying")
    assert (retrying.ref_internal, retrying.attempts) == ("R3", 1)
    assert retrying.next_attempt_at is not None
    assert retrying.next_attempt_at.startswith("2026-12-03T11:00:00")
    assert retrying.name == "L3 Lovelace"
    queued = await panes.pending_learners(store, "queued", limit=1, offset=1)
    assert [p.ref_internal for p in queued] == ["R4"]
    with pytest.raises(ValueError, match="unknown bucket"):
        await panes.pending_learners(store, "lost")  # type: ignore[arg-type]


async def test_alert_pages_filter_by_type_and_text_and_count_the_same(store: Store) -> None:
    for n in range(5):
        await alerts.raise_alert(
            store, "learner_invalid", f"Email of R{n} has a blank", record=f"R{n}"
        )
    await alerts.raise_alert(store, "xero_auth", "Xero refused the token 100%_sure", record="")
    assert await panes.count_alerts(store) == 6
    assert len(await panes.alert_page(store, type_="learner_invalid")) == 5
    found = await panes.alert_page(store, search="R3")
    assert [a.record for a in found] == ["R3"]
    assert await panes.count_alerts(store, search="100%_") == 1  # LIKE wildcards are literal
    assert await panes.count_alerts(store, search="100%x") == 0
    page = await panes.alert_page(store, limit=2, offset=2)
    assert len(page) == 2
    assert await overview.open_alerts_by_type(store) == {"learner_invalid": 5, "xero_auth": 1}


async def test_history_tail_and_what_is_newer(store: Store) -> None:
    for n in range(5):
        await record(store, HistoryEntry(f"R{n % 2}", "push", "ok", "to_xero", "t1", f"m{n}"))
    tail = await panes.history_tail(store, limit=3)
    assert [e.message for e in tail] == ["m4", "m3", "m2"]
    newer = await panes.history_after(store, tail[-1].id)
    assert [e.message for e in newer] == ["m3", "m4"]
    assert [e.message for e in await panes.history_tail(store, record="R1")] == ["m3", "m1"]
    assert [e.message for e in await panes.history_after(store, 0, record="R1")] == ["m1", "m3"]


async def test_learner_detail_gathers_its_story(store: Store) -> None:
    source_id = await _learner(store, "R9")
    await links.mark(store, "t1", "R9", source_id, "invalid", error="Postcode missing")
    await alerts.raise_alert(store, "learner_invalid", "Postcode missing", record="R9")
    await record(store, HistoryEntry("R9", "validate", "error", "system", "t1", "Postcode"))
    detail = await panes.learner_detail(store, "R9")
    assert detail is not None and detail.learner is not None
    assert detail.learner.learner.first_name == "Ada"
    assert [link.state for link in detail.links] == ["invalid"]
    assert [a.message for a in detail.alerts] == ["Postcode missing"]
    assert [h.action for h in detail.history] == ["validate"]
    assert await panes.learner_detail(store, "NOPE") is None


async def test_overview_reads_live_quota_only_from_a_live_daemon(store: Store) -> None:
    await _tenant(store)
    state = LiveState(
        taken_at=NOW.isoformat(),
        app_minute_used=7,
        app_minute_limit=10_000,
        tenants={"t1": LiveTenantQuota("t1", 2, 41, 60, 1200, 5000)},
    )
    await live.publish(store, state)
    before = await overview.read_overview(store, NOW)
    assert before.daemon is None and before.live is None  # nobody holds the lease
    await store.execute(
        "INSERT INTO daemon_lease (name, holder, pid, host, acquired_at, heartbeat_at) "
        "VALUES ('daemon', 'h', 4242, 'box', ?, ?)",
        (NOW.isoformat(), (NOW - timedelta(seconds=3)).isoformat()),
    )
    seen = await overview.read_overview(store, NOW)
    assert seen.daemon is not None and (seen.daemon.pid, seen.daemon.host) == (4242, "box")
    [tenant] = seen.tenants
    assert tenant.quota == state.tenants["t1"]
    assert tenant.connection_status == "connected" and tenant.name == "Demo RTO"
    data = seen.to_json()
    assert data["tenants"][0]["quota"]["minute_used"] == 41
    assert data["daemon"]["pid"] == 4242
    stale = await overview.read_overview(store, NOW + timedelta(minutes=5))
    assert stale.daemon is None and stale.tenants[0].quota is None


async def test_calls_per_minute_fill_the_last_hour_and_drive_the_forecast(store: Store) -> None:
    await _tenant(store)
    for back in range(10):  # 30 calls a minute for the last ten minutes
        minute = (NOW - timedelta(minutes=back)).replace(second=0, microsecond=0)
        await quota_samples.record(
            store, QuotaSample("t1", minute.isoformat(), 30, None, None, None)
        )
    old = (NOW - timedelta(hours=3)).replace(second=0, microsecond=0)
    await quota_samples.record(store, QuotaSample("t1", old.isoformat(), 500, None, None, None))
    [tenant] = (await overview.read_overview(store, NOW)).tenants
    assert len(tenant.calls_per_minute) == overview.SPARK_MINUTES
    assert tenant.calls_per_minute[-10:] == [30] * 10
    assert sum(tenant.calls_per_minute) == 300  # the 3-hour-old minute is off the sparkline
    assert tenant.day_calls_sampled == 800
    forecast = tenant.forecast(NOW, day_limit=5000)
    # 4,200 left at 20/min (300 calls over the last 15 minutes) = 210 minutes from 10:30
    assert forecast.pace_per_minute == 20
    assert forecast.describe() == "runs out at 14:00"


def test_forecast_lasts_the_day_when_the_pace_is_slow_or_nil() -> None:
    resets = NOW.replace(hour=0, minute=0) + timedelta(days=1)
    slow = overview.forecast_day(
        day_used=100, day_limit=5000, pace_per_minute=1, now=NOW, resets_at=resets
    )
    assert slow.describe() == "lasts the day"
    idle = overview.forecast_day(
        day_used=0, day_limit=5000, pace_per_minute=0, now=NOW, resets_at=resets
    )
    assert idle.runs_out_at is None
    spent = overview.forecast_day(
        day_used=5000, day_limit=5000, pace_per_minute=0, now=NOW, resets_at=resets
    )
    assert spent.runs_out_at == NOW


async def test_change_tracker_names_only_the_tables_another_connection_wrote(
    store: Store, tmp_path: Path
) -> None:
    tracker = ChangeTracker(store)
    assert "alerts" in await tracker.changed()  # the first look sees everything
    assert await tracker.changed() == frozenset()
    other = await open_store(tmp_path / "s.db")
    try:
        await alerts.raise_alert(other, "x", "m", record="R1")
        await record(other, HistoryEntry("R1", "a", "ok", "system"))
        assert await tracker.changed() == {"alerts", "history"}
        assert await tracker.changed() == frozenset()
    finally:
        await other.close()
    await links.mark(store, "t1", "R1", "s1", "pending")  # our own write: data_version stays
    assert await tracker.changed() == frozenset()
    assert await tracker.changed(force=True) == {"contact_links"}


async def test_live_state_round_trips_and_tolerates_an_unreadable_value(store: Store) -> None:
    quota = LiveTenantQuota("t1", 0, 1, 60, 1, 5000)
    state = LiveState(taken_at=NOW.isoformat(), tenants={"t1": quota})
    await live.publish(store, state)
    assert await live.read(store) == state
    assert state.same_as(LiveState(taken_at="later", tenants=dict(state.tenants)))
    assert live.from_json({"taken_at": "x", "tenants": {"t1": {"bogus": 1}}}) is None
    assert live.from_json("nonsense") is None
    await live.clear(store)
    assert await live.read(store) is None


def test_the_backlog_forecast_follows_the_rolling_day() -> None:
    fresh = BacklogForecast(17_767, 8_000)  # nothing used: 8,000 now, then a day at a time
    assert fresh.days == pytest.approx(2.0)
    assert "17,767 to write, done in ~2.0 days" in fresh.describe()
    # 5 a minute over the last day: 800 go now, the other 3,200 as 640 old minutes age out.
    spread = BacklogForecast(4_000, 8_000, [(ago * 60.0, 5) for ago in range(1_440)])
    assert spread.room_now == 800
    oldest_needed = 1_440 - 640  # minutes ago: the 640th oldest minute
    assert spread.days == pytest.approx((86_400 - oldest_needed * 60) / 86_400)
    assert BacklogForecast(50, 8_000).describe() == "50 to write, done today at your quota"
    assert BacklogForecast(50).describe() == "50 to write"  # a source without a quota
    assert BacklogForecast(0, 8_000).describe() == "nothing to write back"
