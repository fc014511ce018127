"""ConnectWise's streams by state: in `status` (text and --json) and the pending pane."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tests.tui.helpers import dashboard, painted, shown, until
from tests.tui.world import TENANT
from xerowatch.cli.status_text import render_status
from xerowatch.store import connectwise_records as records
from xerowatch.store.connectwise_records import RecordUpdate
from xerowatch.store.db import open_store
from xerowatch.store.overview import read_overview


async def _stream(path: Path, posted: int, held: int) -> None:
    store = await open_store(path)
    try:
        await records.save(
            store, TENANT, "customer", [RecordUpdate(7, "CW-7", "done", xero_id="c-7")]
        )
        invoices = [RecordUpdate(100 + n, f"INV{n}", "posted") for n in range(posted)]
        invoices += [RecordUpdate(900 + n, f"H{n}", "held", error="no tax") for n in range(held)]
        await records.save(store, TENANT, "invoice", invoices)
    finally:
        await store.close()


async def test_the_streams_are_in_the_read_model_and_status(world: Path) -> None:
    store = await open_store(world)
    try:
        assert (await read_overview(store, datetime.now(UTC))).streams == []  # a learner source
    finally:
        await store.close()
    await _stream(world, posted=3, held=1)
    store = await open_store(world)
    try:
        view = await read_overview(store, datetime.now(UTC))
    finally:
        await store.close()
    assert view.streams == [
        "ConnectWise customers: in Xero 1",
        "ConnectWise invoices: posted 3 · held 1",
    ]
    assert view.to_json()["streams"] == view.streams
    assert "ConnectWise invoices: posted 3 · held 1" in render_status(view, 5000)


async def test_the_pending_pane_shows_the_streams_once_there_are_any(world: Path) -> None:
    app = dashboard(world)
    async with app.run_test(size=(120, 30)) as pilot:
        await painted(pilot)
        assert not app.screen.query_one("#pending-streams").display
        await _stream(world, posted=2, held=0)
        await until(
            pilot,
            lambda: "ConnectWise invoices: posted 2" in shown(app, "#pending-streams"),
            "the streams line",
        )
        await pilot.pause()
        assert app.screen.query_one("#pending-streams").size.height == 2  # both lines on screen
