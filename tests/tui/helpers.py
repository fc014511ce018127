"""Test helpers: what the screen shows, what the store's commands table holds, waiting."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Callable
from datetime import UTC
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable

from tests.tui.cw_world import connectwise_settings
from tests.tui.world import clock, settings_for
from xerowatch.tui.app import DashboardApp

WAIT_S = 10.0


def dashboard(path: Path, **tui: Any) -> DashboardApp:
    """The dashboard over the store at `path`, on the fixed clock, times in UTC."""
    tui.setdefault("refresh_seconds", 0.2)
    return DashboardApp(settings_for(path, **tui), clock=clock(), tz=UTC)


def cw_dashboard(path: Path, **tui: Any) -> DashboardApp:
    """The dashboard over a ConnectWise store, on the fixed clock, times in UTC."""
    tui.setdefault("refresh_seconds", 0.2)
    return DashboardApp(connectwise_settings(path, **tui), clock=clock(), tz=UTC)


def shown(app: DashboardApp, selector: str) -> str:
    """The plain text a widget on the active screen shows."""
    return str(app.screen.query_one(selector).render())


def links(app: DashboardApp, selector: str) -> set[str]:
    """The terminal hyperlinks a widget on the active screen shows."""
    content = app.screen.query_one(selector).render()
    spans = getattr(content, "spans", [])
    return {span.style.link for span in spans if getattr(span.style, "link", None)}


def rows(app: DashboardApp, selector: str) -> list[list[str]]:
    """A table's rows as plain text."""
    table: DataTable[Any] = app.screen.query_one(selector, DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def commands_in(path: Path) -> list[tuple[str, dict[str, Any], str]]:
    """(kind, args, requested_by) of every command in the store, oldest first."""
    with sqlite3.connect(path) as conn:
        found = conn.execute("SELECT kind, args_json, requested_by FROM commands ORDER BY id")
        return [(kind, json.loads(args), by) for kind, args, by in found.fetchall()]


async def until(pilot: Pilot[Any], check: Callable[[], bool], what: str) -> None:
    """Let the app run until `check()` holds (fails naming `what` after WAIT_S)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


async def painted(pilot: Pilot[Any]) -> None:
    """Wait for the first data on every pane."""
    app = pilot.app
    assert isinstance(app, DashboardApp)
    await asyncio.wait_for(app.painted.wait(), WAIT_S)
    await pilot.pause()


async def wait_until(check: Callable[[], bool], what: str, seconds: float = 45.0) -> None:
    """Wait (outside a pilot) until `check()` holds, e.g. for another process."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)
