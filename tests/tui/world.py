"""A store with fixed content and timestamps, as a dashboard over a busy daemon would see it."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import SecretStr

from xerowatch.clock import FakeClock
from xerowatch.config import Settings, StoreSettings, TuiSettings
from xerowatch.records import SourceAddress, SourceLearner, SourceTransaction
from xerowatch.store import (
    alerts,
    jobs,
    learners,
    links,
    live,
    quota_samples,
    resyncs,
    runtime,
)
from xerowatch.store.backlog import SOURCE_BUDGET_KEY
from xerowatch.store.db import Store, open_store
from xerowatch.store.history import Direction, HistoryEntry, Outcome, record
from xerowatch.store.live import LiveLoop, LiveSourceBudget, LiveState, LiveTenantQuota
from xerowatch.store.quota_samples import QuotaSample
from xerowatch.store.tenants import TenantInfo, upsert_tenants
from xerowatch.store.tokens import IssuedTokens, create_connection

NOW = datetime(2026, 12, 3, 10, 30, tzinfo=UTC)
TENANT = "6f1c2e84-0d3b-4f55-9d43-5b1a2c3d4e5f"
DAEMON_PID = 4242
DAEMON_HOST = "ops-box"
INVOICE_ID = "0b9d2f6e-1c3a-4e8b-9f70-2d5c6a7b8e91"
CONTACT_ID = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"


def clock() -> FakeClock:
    """The fixed moment every test of the dashboard sees."""
    return FakeClock(NOW)


def settings_for(path: Path, **tui: object) -> Settings:
    """Settings over the store at `path` (nothing read from the environment's config)."""
    return Settings(store=StoreSettings(path=path), tui=TuiSettings.model_validate(tui))


def at(minutes: float) -> str:
    """NOW shifted by `minutes`, as stored."""
    return (NOW + timedelta(minutes=minutes)).isoformat()


async def _learner(store: Store, ref: str, first: str | None, last: str, email: str) -> str:
    learner = SourceLearner(
        source_id=f"src-{ref}",
        ref_internal=ref,
        first_name=first,
        last_name=last,
        email=email,
        postal_address=SourceAddress(
            lines=("12 Example Street",),
            city="Hobart",
            state="TAS",
            postcode="7000",
            country="Australia",
        ),
    )
    await learners.upsert_learner(store, learner, f"hash-{ref}")
    return learner.source_id


async def _people(store: Store) -> None:
    people = [
        ("DAU0001001", "Ada", "Lovelace", "ada@example.com"),
        ("DAU0001002", "Mary", "Smith", "mary.smith @example.com"),
        ("DAU0001003", None, "Nobody", "nobody@example.com"),
        ("DAU0001004", "Alan", "Turing", "alan@example.com"),
        ("DAU0001005", "Grace", "Hopper", "grace@example.com"),
        ("DAU0001006", "Edsger", "Dijkstra", "edsger@example.com"),
        ("DAU0001007", "Barbara", "Liskov", "barbara@example.com"),
    ]
    for ref, first, last, email in people:
        await _learner(store, ref, first, last, email)
    await links.mark_many_pending(store, TENANT, [("DAU0001005", "src-DAU0001005")])
    await links.mark(
        store,
        TENANT,
        "DAU0001002",
        "src-DAU0001002",
        "invalid",
        error="Email has blanks: 'mary.smith @example.com'",
    )
    await links.mark(
        store, TENANT, "DAU0001003", "src-DAU0001003", "invalid", error="First name missing"
    )
    await links.mark(
        store,
        TENANT,
        "DAU0001007",
        "src-DAU0001007",
        "dead",
        error="503 Service Unavailable, 8 attempts",
    )
    await links.mark_many_pending(store, TENANT, [("DAU0001004", "src-DAU0001004")])
    async with store.transaction() as conn:
        await jobs.begin_attempts(conn, TENANT, "contact", ["DAU0001004"], "idem-4")
        await jobs.schedule_retry(
            conn,
            TENANT,
            "contact",
            "DAU0001004",
            error="503 from Xero",
            next_attempt_at=NOW + timedelta(minutes=4),
        )
        await links.record_synced(
            conn, TENANT, "DAU0001001", "src-DAU0001001", CONTACT_ID, "hash-DAU0001001"
        )


async def _alerts(store: Store) -> None:
    await alerts.raise_alert(
        store,
        "learner_invalid",
        "Email has blanks: 'mary.smith @example.com'",
        fix="Remove the blank from the learner's email in Wisenet",
        record="DAU0001002",
        tenant_id=TENANT,
    )
    await alerts.raise_alert(
        store,
        "learner_invalid",
        "First name missing",
        fix="Enter the first name in the learner's record in Wisenet",
        record="DAU0001003",
        tenant_id=TENANT,
    )
    await alerts.raise_alert(
        store,
        "xero_duplicate_name",
        "A Xero contact named 'Edsger Dijkstra' already exists",
        fix="Merge the contacts in Xero or set sync.adopt_name_matches",
        record="DAU0001006",
        tenant_id=TENANT,
    )
    for _ in range(2):
        await alerts.raise_alert(
            store,
            "source_record_unreadable",
            "Personal.LearnerNumber (RefInternal) is empty",
            fix="Give the learner a LearnerNumber in Wisenet",
            record="Wisenet learner 88",
        )


async def _history(store: Store) -> None:
    rows: list[tuple[str, str, Outcome, Direction, int | None, str | None, str]] = [
        ("DAU0001001", "create", "ok", "to_xero", 200, "c0ffee01", f"contact {CONTACT_ID}"),
        ("DAU0001004", "create", "retry", "to_xero", 503, "c0ffee02", "Service Unavailable"),
        ("DAU0001002", "validate", "error", "system", None, None, "Email has blanks"),
        (
            "DAU0001001",
            "write_back_invoice",
            "ok",
            "to_source",
            200,
            "c0ffee03",
            "INV-0042 AUTHORISED",
        ),
        ("DAU0001007", "create", "error", "to_xero", 503, "c0ffee04", "gave up after 8 attempts"),
    ]
    for ref, action, outcome, direction, status, corr, message in rows:
        await record(
            store,
            HistoryEntry(
                ref,
                action,
                outcome,
                direction,
                TENANT,
                message,
                http_status=status,
                correlation_id=corr,
            ),
        )


async def _money(store: Store) -> None:
    await store.execute(
        "INSERT INTO transactions (tenant_id, kind, xero_id, contact_id, ref_internal, "
        "source_id, number, xero_type, status, date, total, currency, updated_utc, data_json, "
        "content_hash, matched, written_hash, written_back_at) VALUES "
        "(?, 'invoice', ?, ?, 'DAU0001001', 'src-DAU0001001', 'INV-0042', 'ACCREC', "
        "'AUTHORISED', '2026-12-01', '450.00', 'AUD', ?, '{}', 'h1', 1, 'h1', ?)",
        (TENANT, INVOICE_ID, CONTACT_ID, at(-60), at(-20)),
    )


BACKLOG = 12_000
"""Invoices of one learner waiting to be written back: 7,679 go now, the rest a day later."""


def _invoice_json(n: int) -> str:
    return SourceTransaction(
        xero_id=f"inv-{n:05d}",
        kind="invoice",
        learner_source_id="src-DAU0009999",
        ref_internal="DAU0009999",
        number=f"INV-{n:05d}",
        status="AUTHORISED",
    ).model_dump_json()


async def _backlog(store: Store) -> None:
    """Write-backs waiting, and the Wisenet requests of the day (as the budget saves them)."""
    async with store.transaction() as conn:
        await conn.executemany(
            "INSERT INTO transactions (tenant_id, kind, xero_id, contact_id, ref_internal, "
            "source_id, number, xero_type, status, updated_utc, data_json, content_hash, "
            "matched) VALUES (?, 'invoice', ?, 'c-9999', 'DAU0009999', 'src-DAU0009999', ?, "
            "'ACCREC', 'AUTHORISED', ?, ?, 'h', 1)",
            [
                (TENANT, f"inv-{n:05d}", f"INV-{n:05d}", at(-120), _invoice_json(n))
                for n in range(BACKLOG)
            ],
        )
    minute = int(NOW.timestamp() // 60)
    await runtime.put(
        store,
        SOURCE_BUDGET_KEY,
        {"minutes": [[minute - 30, 321]], "daily_quota": 10_000, "write_limit": 8_000},
    )


async def _daemon(store: Store) -> None:
    run = await resyncs.create(
        store,
        tenant_id="",
        types=["invoices", "payments"],
        date_from="2026-11-01",
        date_to="2026-12-04",
    )
    await resyncs.update(
        store,
        run,
        state="running",
        done=420,
        total=1000,
        calls_used=37,
        progress={"eta_seconds": 150},
    )
    done = await resyncs.create(
        store, tenant_id="", types=["learners"], date_from="2026-10-01", date_to="2026-11-01"
    )
    await resyncs.update(
        store,
        done,
        state="done",
        done=163,
        total=163,
        calls_used=9,
        message="163 learners compared, 4 contacts updated",
    )
    for back in range(60):
        calls = (back * 7) % 23
        if calls:
            minute = (NOW - timedelta(minutes=back)).replace(second=0)
            await quota_samples.record(
                store, QuotaSample(TENANT, minute.isoformat(), calls, None, None, None)
            )
    loops = {
        name: LiveLoop(name, TENANT, True, False, at(-0.2), 0, None)
        for name in ("poll_source", f"push_contacts:{TENANT}", "write_back")
    }
    state = LiveState(
        taken_at=at(0),
        app_minute_used=14,
        app_minute_limit=10_000,
        tenants={
            TENANT: LiveTenantQuota(TENANT, 1, 14, 60, 1234, 5000, day_resets_at=at(13.5 * 60))
        },
        source=LiveSourceBudget("wisenet", 321, 10_000),
        loops=loops,
    )
    await live.publish(store, state)
    await store.execute(
        "INSERT INTO daemon_lease (name, holder, pid, host, acquired_at, heartbeat_at) "
        "VALUES ('daemon', 'ops-box:4242', ?, ?, ?, ?)",
        (DAEMON_PID, DAEMON_HOST, at(-90), at(-0.05)),
    )
    assert json.dumps(asdict(state))


async def _fix_times(store: Store) -> None:
    """Every timestamp the helpers stamped with the wall clock, pinned to NOW-relative ones."""
    await store.execute("UPDATE learners SET seen_at = ?", (at(-30),))
    await store.execute(
        "UPDATE contact_links SET updated_at = ?, last_synced_at = "
        "CASE WHEN last_synced_at IS NULL THEN NULL ELSE ? END",
        (at(-25), at(-25)),
    )
    await store.execute("UPDATE jobs SET created_at = ?, updated_at = ?", (at(-6), at(-6)))
    await store.execute("UPDATE alerts SET first_seen = ?, last_seen = ?", (at(-50), at(-2)))
    await store.execute("UPDATE history SET at = ?", (at(-3),))
    await store.execute("UPDATE history SET at = ? WHERE id <= 2", (at(-10),))
    await store.execute(
        "UPDATE resyncs SET created_at = ?, started_at = ?, updated_at = ?, "
        "finished_at = CASE WHEN finished_at IS NULL THEN NULL ELSE ? END",
        (at(-40), at(-39), at(-1), at(-20)),
    )
    await store.execute("UPDATE oauth_tokens SET access_expires_at = ?", (at(18),))


async def build_world(path: Path, *, daemon: bool = True) -> None:
    """The fixed store: one organisation, learners in every bucket, alerts, history, resyncs."""
    store = await open_store(path)
    try:
        tokens = IssuedTokens(
            access_token=SecretStr("a"),
            access_expires_at=NOW + timedelta(minutes=18),
            refresh_token=SecretStr("r"),
            scopes="accounting.contacts",
        )
        cid = await create_connection(
            store, provider="xero", auth_mode="custom_connection", tokens=tokens, now=NOW
        )
        await upsert_tenants(
            store, cid, [TenantInfo(TENANT, "Demo RTO Pty Ltd", "ORGANISATION", None)], now=NOW
        )
        await _people(store)
        await _alerts(store)
        await _history(store)
        await _money(store)
        await _backlog(store)
        if daemon:
            await _daemon(store)
        await _fix_times(store)
    finally:
        await store.close()
