"""The resync dialog's preview: validated input, calls at most, ETA at the current budget."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

from tests.store.test_overview import NOW, _learner, _tenant
from xerowatch.config import Settings
from xerowatch.store import live
from xerowatch.store.db import Store, open_store
from xerowatch.store.live import LiveState, LiveTenantQuota
from xerowatch.sync.resync_preview import parse_resync_input, preview_resync
from xerowatch.xero.links import contact_url, transaction_url


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await open_store(tmp_path / "s.db")
    yield opened
    await opened.close()


def test_input_is_validated_with_one_line_reasons() -> None:
    assert parse_resync_input("2026-01-01", "2026-02-01", ["invoices", "credit-notes"]) == (
        date(2026, 1, 1),
        date(2026, 2, 1),
        ["invoices", "credit_notes"],
    )
    with pytest.raises(ValueError, match="from: '2026-13-01' is not a date"):
        parse_resync_input("2026-13-01", "2026-02-01", ["invoices"])
    with pytest.raises(ValueError, match="end of the range must be after its start"):
        parse_resync_input("2026-02-01", "2026-01-01", ["invoices"])
    with pytest.raises(ValueError, match="choose at least one type"):
        parse_resync_input("2026-01-01", "2026-02-01", [])
    with pytest.raises(ValueError, match="unknown resync type"):
        parse_resync_input("2026-01-01", "2026-02-01", ["contacts"])


async def _invoices(store: Store, count: int, matched: int) -> None:
    await store.executemany(
        "INSERT INTO transactions (tenant_id, kind, xero_id, status, date, updated_utc, "
        "data_json, content_hash, matched) VALUES ('t1', 'invoice', ?, 'PAID', '2026-01-15', "
        "'2026-01-15T00:00:00', '{}', 'h', ?)",
        [(f"inv-{n}", int(n < matched)) for n in range(count)],
    )


async def test_preview_counts_pages_writes_and_the_eta(store: Store) -> None:
    await _tenant(store)
    await _invoices(store, 2500, matched=2000)
    for n in range(120):
        await _learner(store, f"R{n}")
    settings = Settings()
    preview = await preview_resync(
        store,
        settings,
        date_from=date(2026, 1, 1),
        date_to=date(2026, 2, 1),
        types=["invoices", "payments"],
    )
    assert (preview.reads, preview.writes_at_most, preview.calls) == (3 + 1, 0, 4)
    assert preview.source_requests == 2000
    assert preview.eta_seconds == 2000 / settings.wisenet.requests_per_second
    assert preview.fits_today
    assert preview.lines[0].startswith("invoices: 2,500 stored in range → 3 page read(s)")


async def test_preview_says_when_the_day_cannot_hold_it(store: Store) -> None:
    await _tenant(store)
    await _invoices(store, 80_000, matched=0)
    await live.publish(
        store,
        LiveState(
            taken_at=NOW.isoformat(), tenants={"t1": LiveTenantQuota("t1", 0, 60, 60, 3950, 5000)}
        ),
    )
    state = await live.read(store)
    preview = await preview_resync(
        store,
        Settings(),
        date_from=date(2026, 1, 1),
        date_to=date(2026, 2, 1),
        types=["invoices"],
        live=state,
    )
    # 80 pages; the minute is spent now: 80 calls need two more minutes
    assert preview.calls == 80 and preview.eta_seconds == 120
    # 1,050 left today, 1,000 of them reserved for operators and incremental sync: 50 for bulk
    assert not preview.fits_today
    assert "only 50 are left today for bulk work" in preview.lines[-1]


def test_xero_links_open_the_record_in_the_web_app() -> None:
    assert contact_url("c-1") == "https://go.xero.com/Contacts/View/c-1"
    assert contact_url("c-1", "!abc") == "https://go.xero.com/app/%21abc/contacts/contact/c-1"
    assert transaction_url("invoice", "i-1") == (
        "https://go.xero.com/AccountsReceivable/View.aspx?InvoiceID=i-1"
    )
    assert transaction_url("credit_note", "n-1", "S1") is not None
    assert transaction_url("payment", "p-1") is None
