"""`xerowatch status` through the real entry point: what an operator can act on, nothing raw."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio

from tests.store.test_overview import _tenant
from xerowatch.store import live, resyncs, runtime_state
from xerowatch.store.db import open_store
from xerowatch.store.live import LiveLoop, LiveSourceBudget, LiveState, LiveTenantQuota


async def _fill(path: Path, *, daemon: bool) -> None:
    store = await open_store(path)
    try:
        await _tenant(store, "tenant-abc-123", "Demo RTO")
        await runtime_state.set_paused(store, True)
        for _ in range(2):
            await resyncs.create(
                store,
                tenant_id="",
                types=["invoices"],
                date_from="2026-01-01",
                date_to="2026-02-01",
            )
        now = datetime.now(UTC)
        if daemon:
            await store.execute(
                "INSERT INTO daemon_lease (name, holder, pid, host, acquired_at, heartbeat_at) "
                "VALUES ('daemon', 'h', 4242, 'box', ?, ?)",
                (now.isoformat(), now.isoformat()),
            )
            await live.publish(
                store,
                LiveState(
                    taken_at=now.isoformat(),
                    tenants={
                        "tenant-abc-123": LiveTenantQuota(
                            "tenant-abc-123",
                            1,
                            41,
                            60,
                            1234,
                            5000,
                            parked_until=(now + timedelta(hours=2)).isoformat(),
                        )
                    },
                    source=LiveSourceBudget("wisenet", 321, 10000),
                    loops={
                        "write_back": LiveLoop(
                            "write_back", "", True, False, now.isoformat(), 2, "Wisenet 503"
                        )
                    },
                ),
            )
    finally:
        await store.close()


def _status(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "x.toml"
    config.write_text(f'[store]\npath = "{tmp_path / "s.db"}"\n', encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "xerowatch", "--config", str(config), "status", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_status_names_the_tenant_quota_pause_and_each_resync_on_a_line(tmp_path: Path) -> None:
    anyio.run(lambda: _fill(tmp_path / "s.db", daemon=True))
    proc = _status(tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "organisation: Demo RTO (tenant tenant-abc-123)" in out
    assert "41/60 this minute · 1,234/5,000 today" in out
    assert "parked until" in out and "day limit" in out
    assert "paused: all organisations" in out
    assert "daemon: running (pid 4242 on box" in out
    assert "wisenet: 321/10,000 requests today" in out
    assert "failing: write_back: Wisenet 503" in out
    assert len([line for line in out.splitlines() if line.startswith("resync ")]) == 2
    assert "{'" not in out and "': " not in out and "*" not in out  # no raw Python dicts
    assert "today (day spent: parked until" in out


def test_status_json_matches_the_text_and_says_when_figures_are_not_live(tmp_path: Path) -> None:
    anyio.run(lambda: _fill(tmp_path / "s.db", daemon=False))
    text = _status(tmp_path)
    data = json.loads(_status(tmp_path, "--json").stdout)
    assert data["daemon"] is None and data["tenants"][0]["quota"] is None
    assert "live figures need a running daemon" in text.stdout
    assert "daemon: not running" in text.stdout
    assert data["paused"] == {"*": True}
