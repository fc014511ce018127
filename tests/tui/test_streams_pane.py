"""The Streams pane (ConnectWise as the source): each stream's counts, a held record's fix, `r`
retrying just the selected record, ⏎ its history, `f` another stream, live updates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tests.tui.cw_world import (
    HELD_FIX,
    HELD_ID,
    HELD_NUMBER,
    REFUSED_NUMBER,
)
from tests.tui.helpers import commands_in, cw_dashboard, painted, rows, shown, until
from tests.tui.world import TENANT
from xerowatch.store import connectwise_records as records
from xerowatch.store.connectwise_records import RecordUpdate
from xerowatch.store.connectwise_view import StreamPage, StreamView
from xerowatch.store.db import open_store
from xerowatch.store.tenants import TenantInfo, upsert_tenants
from xerowatch.tui.app import DashboardApp
from xerowatch.tui.feed import Query, is_current, turn_page


async def _streams(pilot: Pilot[Any]) -> DashboardApp:
    await painted(pilot)
    app = pilot.app
    assert isinstance(app, DashboardApp)
    return app


async def _invoices(pilot: Pilot[Any]) -> DashboardApp:
    """Painted, then `f` → invoices (the pane opens on customers: the first with one held)."""
    app = await _streams(pilot)
    await pilot.press("f", "down", "enter")  # customers, invoices
    await until(pilot, lambda: rows(app, "#streams-table")[0][1] == HELD_NUMBER, "invoices")
    return app


async def test_the_pane_shows_each_stream_with_counts_cursor_and_the_held_records_fix(
    cw_world: Path,
) -> None:
    app = cw_dashboard(cw_world)
    async with app.run_test(size=(100, 30)) as pilot:
        await _streams(pilot)
        assert "▸Streams 3◂" in shown(app, "#tabs")  # 2 invoices + 1 customer to act on
        assert "Pending" not in shown(app, "#tabs") and "Resyncs" not in shown(app, "#tabs")
        assert "last cycle: 12 s ago · ok" in shown(app, "#header")
        summary = shown(app, "#streams-summary").splitlines()
        assert summary[0] == "▸customers◂ 5: in Xero 4 · held 1 · last 3 min ago"
        assert rows(app, "#streams-table")[0][:2] == ["held", "709"]  # first to act on
        await _invoices(pilot)
        summary = shown(app, "#streams-summary").splitlines()
        assert summary == [
            " customers  5: in Xero 4 · held 1 · last 3 min ago",
            "▸invoices◂ 16: posted 12 · in Xero 1 · queued 1 · held 1 · refused 1 · "
            "read to 10:20:05 · last 3 min ago",
        ]
        table = rows(app, "#streams-table")
        assert [row[:2] for row in table[:3]] == [
            ["held", HELD_NUMBER],
            ["refused", REFUSED_NUMBER],
            ["queued", "000621"],
        ]
        assert table[0][3].startswith(f"invoice {HELD_NUMBER}: no Xero TaxType")  # cut: "…"
        detail = shown(app, "#streams-detail")
        assert f"invoice {HELD_NUMBER} · cw-invoice:{HELD_ID} · held since 10:27:00" in detail
        assert "row 1 of 16" in detail
        assert "no Xero TaxType for ConnectWise tax code 'EXEMPT'" in detail
        assert f"fix: {HELD_FIX}" in detail


async def test_r_queues_a_retry_of_exactly_the_selected_record(cw_world: Path) -> None:
    app = cw_dashboard(cw_world)
    async with app.run_test(size=(100, 30)) as pilot:
        await _invoices(pilot)
        await pilot.press("down")  # from the held invoice to the refused one
        await pilot.press("r")
        await until(pilot, lambda: bool(commands_in(cw_world)), "the command")
        assert commands_in(cw_world) == [("retry", {"ref": "cw-invoice:1830"}, "tui")]
        await until(pilot, lambda: "retry cw-invoice:1830" in shown(app, "#command"), "its line")


async def test_learner_only_keys_are_hidden_and_enter_opens_the_records_history(
    cw_world: Path,
) -> None:
    app = cw_dashboard(cw_world)
    async with app.run_test(size=(100, 30)) as pilot:
        await _invoices(pilot)
        keys = shown(app, "KeyBar")
        assert "r retry" in keys and "resync" not in keys and "retry all" not in keys
        await pilot.press("y", "R")  # hidden, so nothing is queued
        await pilot.press("enter")
        await until(pilot, lambda: "▸History◂" in shown(app, "#tabs"), "the History pane")
        assert app.main.query_state.history_record == f"cw-invoice:{HELD_ID}"
        await until(pilot, lambda: len(rows(app, "#history-table")) == 1, "its history")
        assert commands_in(cw_world) == []


async def test_the_pane_follows_cw_records_through_the_change_feed(cw_world: Path) -> None:
    app = cw_dashboard(cw_world)
    async with app.run_test(size=(100, 30)) as pilot:
        await _invoices(pilot)
        other = await open_store(cw_world)  # another process: the daemon
        try:
            await records.save(
                other, TENANT, "invoice", [RecordUpdate(HELD_ID, HELD_NUMBER, "posted")]
            )
        finally:
            await other.close()
        await until(
            pilot,
            lambda: "posted 13 · in Xero 1 · queued" in shown(app, "#streams-summary"),
            "the invoice posted",
        )
        assert "held" not in shown(app, "#streams-summary").splitlines()[1]
        assert rows(app, "#streams-table")[0][:2] == ["refused", REFUSED_NUMBER]
        assert "▸Streams 2◂" in shown(app, "#tabs")


def test_pages_stay_within_the_list_and_a_stale_read_is_dropped() -> None:
    assert [turn_page(0, 1, 250), turn_page(200, 1, 250), turn_page(0, -1, 250)] == [100, 200, 0]
    assert turn_page(0, 1, 0) == 0
    invoices = StreamView("invoice", "invoices", {"posted": 250})
    page = StreamPage([invoices], "invoice", 100, tenant_id=TENANT)
    assert is_current(page, Query(stream_kind="invoice", stream_offset=100, tenant_id=TENANT))
    assert is_current(page, Query(stream_kind="", stream_offset=100, tenant_id=TENANT))
    assert not is_current(page, Query(stream_kind="invoice", stream_offset=0, tenant_id=TENANT))
    assert not is_current(page, Query(stream_kind="invoice", stream_offset=100, tenant_id=None))
    customers = StreamView("customer", "customers", {"done": 3})
    both = StreamPage([customers, invoices], "invoice", 0, tenant_id=TENANT)
    assert not is_current(both, Query(stream_kind="customer", tenant_id=TENANT))


async def test_o_shows_the_next_organisations_streams(cw_world: Path) -> None:
    other = "0d3c9a51-7a0c-4c1e-9d62-9a3b1f2c4e77"
    store = await open_store(cw_world)
    try:
        row = await store.fetchone("SELECT id FROM connections")
        assert row is not None
        both = [
            TenantInfo(TENANT, "Demo MSP Pty Ltd", "ORGANISATION", None),
            TenantInfo(other, "Zeta Books", "ORGANISATION", None),
        ]
        await upsert_tenants(store, str(row[0]), both)
        await records.save(store, other, "invoice", [RecordUpdate(77, "Z-77", "posted")])
    finally:
        await store.close()
    app = cw_dashboard(cw_world)
    async with app.run_test(size=(100, 30)) as pilot:
        await _invoices(pilot)
        assert "Demo MSP Pty Ltd (1/2, o: next)" in shown(app, "#header")
        await pilot.press("o")
        await until(pilot, lambda: "Zeta Books" in shown(app, "#header"), "the next organisation")
        await until(
            pilot,
            lambda: shown(app, "#streams-summary").startswith("▸invoices◂ 1: posted 1"),
            "its streams",
        )
        assert [row[:2] for row in rows(app, "#streams-table")] == [["posted", "Z-77"]]
        assert "▸Streams 0◂" in shown(app, "#tabs")
