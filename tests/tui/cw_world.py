"""A ConnectWise store with fixed content and timestamps, as the dashboard over a daemon running
the ConnectWise streams would see it: customers and invoices in every state, alerts with fixes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import SecretStr

from tests.tui.world import DAEMON_HOST, DAEMON_PID, NOW, TENANT, at
from xerowatch.config import Settings, SourceSettings, StoreSettings, TuiSettings
from xerowatch.store import alerts, cursors, live
from xerowatch.store import connectwise_records as records
from xerowatch.store.connectwise_records import RecordUpdate
from xerowatch.store.db import Store, open_store
from xerowatch.store.history import HistoryEntry, record
from xerowatch.store.live import LiveLoop, LiveState, LiveTenantQuota
from xerowatch.store.tenants import TenantInfo, upsert_tenants
from xerowatch.store.tokens import IssuedTokens, create_connection

HELD_ID = 1828
"""The held invoice (its tax code has no Xero TaxType)."""
HELD_NUMBER = "000628"
HELD_FIX = "Add it to [connectwise] tax_types"
REFUSED_ID = 1830
REFUSED_NUMBER = "000630"
CURSOR = "2026-12-03T10:20:05+00:00"


def connectwise_settings(path: Path, **tui: object) -> Settings:
    """Settings over the store at `path` with ConnectWise as the source."""
    return Settings(
        store=StoreSettings(path=path),
        source=SourceSettings(kind="connectwise"),
        tui=TuiSettings.model_validate(tui),
    )


async def _records(store: Store) -> None:
    customers = [RecordUpdate(700 + n, str(700 + n), "done", xero_id=f"c-{n}") for n in range(4)]
    customers.append(RecordUpdate(709, "709", "held", error="company 709 has no name — name it"))
    await records.save(store, TENANT, "customer", customers)
    invoices = [RecordUpdate(1800 + n, f"0006{n:02d}", "posted") for n in range(12)]
    invoices += [
        RecordUpdate(1820, "000620", "in_xero", xero_id="x-1820"),
        RecordUpdate(1821, "000621", "queued"),
        RecordUpdate(
            HELD_ID,
            HELD_NUMBER,
            "held",
            error=f"invoice {HELD_NUMBER}: no Xero TaxType for ConnectWise tax code 'EXEMPT'",
        ),
        RecordUpdate(
            REFUSED_ID, REFUSED_NUMBER, "rejected", error="Account code '999' is not a valid code"
        ),
    ]
    await records.save(store, TENANT, "invoice", invoices)
    await cursors.set_cursor(store, "connectwise:invoices", CURSOR, TENANT)
    await alerts.raise_alert(
        store,
        "cw_invoice_held",
        "ConnectWise invoice held, not sent to Xero: invoice "
        f"{HELD_NUMBER}: no Xero TaxType for ConnectWise tax code 'EXEMPT'",
        fix=HELD_FIX,
        record=f"cw-invoice:{HELD_ID}",
        tenant_id=TENANT,
    )
    await alerts.raise_alert(
        store,
        "cw_invoice_rejected",
        f"Xero refused ConnectWise invoice {REFUSED_NUMBER}: Account code '999' is not valid",
        fix="Fix the invoice in ConnectWise (or the [connectwise] mapping), then `r` retries it",
        record=f"cw-invoice:{REFUSED_ID}",
        tenant_id=TENANT,
    )
    await record(
        store,
        HistoryEntry(f"cw-invoice:{HELD_ID}", "map", "error", "to_xero", message="held"),
    )


async def _daemon(store: Store) -> None:
    loops = {
        name: LiveLoop(name, TENANT, True, False, at(-0.2), 0, None)
        for name in (f"connectwise[{TENANT}]", f"connectwise_payments[{TENANT}]")
    }
    await live.publish(
        store,
        LiveState(
            taken_at=at(0),
            app_minute_used=6,
            app_minute_limit=10_000,
            tenants={TENANT: LiveTenantQuota(TENANT, 0, 6, 60, 112, 5000, day_resets_at=at(800))},
            loops=loops,
        ),
    )
    await store.execute(
        "INSERT INTO daemon_lease (name, holder, pid, host, acquired_at, heartbeat_at) "
        "VALUES ('daemon', 'ops-box:4242', ?, ?, ?, ?)",
        (DAEMON_PID, DAEMON_HOST, at(-90), at(-0.05)),
    )


async def _fix_times(store: Store) -> None:
    await store.execute("UPDATE cw_records SET updated_at = ?", (at(-12),))
    await store.execute(
        "UPDATE cw_records SET updated_at = ? WHERE state IN ('held', 'rejected')", (at(-3),)
    )
    await store.execute("UPDATE cursors SET updated_at = ?", (at(-3),))
    await store.execute("UPDATE alerts SET first_seen = ?, last_seen = ?", (at(-3), at(-3)))
    await store.execute("UPDATE history SET at = ?", (at(-3),))


async def build_connectwise_world(path: Path) -> None:
    """One organisation synced from ConnectWise by an attached daemon."""
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
            store, cid, [TenantInfo(TENANT, "Demo MSP Pty Ltd", "ORGANISATION", None)], now=NOW
        )
        await _records(store)
        await _daemon(store)
        await _fix_times(store)
    finally:
        await store.close()
