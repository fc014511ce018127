"""Embedded mode: `q` with a contact batch in flight stops cleanly, and a restart writes no
duplicate — the batch left in doubt is reconciled by ContactNumber before anything is created."""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from pathlib import Path

from tests.e2e.daemon_world import cli
from tests.e2e.test_cli_full_cycle import write_config
from tests.tui.helpers import wait_until
from xerowatch.config import load_settings
from xerowatch.sim.server import serve_in_thread
from xerowatch.sim.wisenet import WisenetSim
from xerowatch.sim.xero import XeroSim, XeroSimConfig
from xerowatch.tui.app import DashboardApp

WAIT_S = 45.0
SLOW_S = 10.0
"""Longer than the daemon's grace after `q` (7 s): the batch is cut off, Xero still applies it."""


def test_q_with_a_batch_in_flight_stops_at_once_and_leaves_no_duplicate(tmp_path: Path) -> None:
    xero = XeroSim(XeroSimConfig(seed=9))
    tenant_id = xero.add_tenant("Embedded RTO")
    slow = xero.faults.add("slow", "POST /Contacts", times=1, delay=SLOW_S)
    wisenet = WisenetSim()
    wisenet.seed_learners(12)
    with serve_in_thread(xero.app) as xs, serve_in_thread(wisenet.app) as ws:
        config = tmp_path / "xerowatch.toml"
        write_config(config, xs, ws, tmp_path / "xerowatch.db")
        assert cli(config, "connect", "--all-tenants").returncode == 0
        settings = load_settings(config)
        app = DashboardApp(settings, config, mode="embedded")

        async def drive() -> None:
            async with app.run_test(size=(100, 30)) as pilot:
                await asyncio.wait_for(app.painted.wait(), WAIT_S)
                await wait_until(lambda: slow.hits == 1, "a contact batch in flight")
                await pilot.press("q")
                await wait_until(lambda: not app.is_running, "the dashboard to exit")

        asyncio.run(drive())
        assert app.return_code == 0
        with sqlite3.connect(settings.store.path) as conn:
            assert conn.execute("SELECT COUNT(*) FROM daemon_lease").fetchone() == (0,)
            cut_off = conn.execute(
                "SELECT COUNT(*) FROM jobs WHERE kind = 'contact' AND state = 'running'"
            ).fetchone()[0]
        assert cut_off > 0, "the batch should have been cut off in flight"

        again = cli(config, "sync", "--once")  # the restart, through the real entry point
        assert again.returncode in (0, 4), again.stderr
        contacts = [c for c in xero.contacts(tenant_id) if c.get("ContactStatus") == "ACTIVE"]
        numbers = Counter(c.get("ContactNumber") for c in contacts if c.get("ContactNumber"))
        names = Counter(c["Name"] for c in contacts)
        assert [n for n, k in numbers.items() if k > 1] == []
        assert [n for n, k in names.items() if k > 1] == []
        with sqlite3.connect(settings.store.path) as conn:
            running = conn.execute("SELECT COUNT(*) FROM jobs WHERE state = 'running'").fetchone()
            synced = conn.execute(
                "SELECT COUNT(*) FROM contact_links WHERE state = 'synced'"
            ).fetchone()[0]
        assert running == (0,)
        assert synced == len(numbers) > 0
