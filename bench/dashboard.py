"""The dashboard on a large store: first paint, a change made visible, paging, idle CPU, RSS.

A child process builds a store of 100,000 learners, 10,000 open alerts and 1,000,000 history
rows (so its memory is not counted here). This process then opens the real dashboard headless
at 120x40, twice:

- **attached**: a lease with a fresh heartbeat (kept beating here, as a daemon would) makes
  the dashboard attach; a second connection then writes a history row and an alert, as the
  daemon would, and the time until both are on screen is measured;
- **embedded**: no lease, so the dashboard runs the whole daemon inside itself (its Xero and
  Wisenet URLs point at a closed loopback port, so the loops run and fail without a network).

Idle CPU is this process's CPU time over 10 s of wall time with nothing changing but the
lease heartbeat (and, embedded, the daemon's own loops).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bench.big_store import StoreSize
from bench.existing_org import cpu_s, current_rss_mb
from bench.measure import PhaseResult, peak_rss_mb
from xerowatch.config import Settings
from xerowatch.store.alerts import raise_alert
from xerowatch.store.db import open_store
from xerowatch.store.history import HistoryEntry, record

REPO_ROOT = Path(__file__).resolve().parents[1]
IDLE_S = 10.0
WAIT_S = 60.0
SETTLE_S = 300.0
SIZE = 120, 40
CLOSED = "http://127.0.0.1:9"


def _build(path: Path, size: StoreSize) -> float:
    """Build the store in a child process; return the seconds it took."""
    started = time.perf_counter()
    code = (
        "import asyncio, sys; from pathlib import Path; "
        "from bench.big_store import StoreSize, build_big_store, now_utc; "
        f"asyncio.run(build_big_store(Path(sys.argv[1]), StoreSize({size.learners}, "
        f"{size.open_alerts}, {size.history}), now_utc()))"
    )
    subprocess.run([sys.executable, "-c", code, str(path)], cwd=REPO_ROOT, check=True)  # noqa: S603
    return time.perf_counter() - started


def _settings(path: Path) -> Settings:
    return Settings.model_validate(
        {
            "store": {"path": str(path)},
            "xero": {
                "auth_mode": "custom_connection",
                "client_id": "bench",
                "client_secret": "bench",
                "api_url": f"{CLOSED}/api.xro/2.0",
                "identity_url": f"{CLOSED}/identity",
                "connections_url": f"{CLOSED}/connections",
            },
            "wisenet": {"base_url": f"{CLOSED}/v1", "api_key": "bench"},
            "tui": {"log_file": str(path.with_suffix(".log"))},
        }
    )


async def _until(check: Callable[[], bool], what: str) -> float:
    started = time.perf_counter()
    while not check():
        if time.perf_counter() - started > WAIT_S:
            raise TimeoutError(f"dashboard benchmark: {what} not seen within {WAIT_S:.0f} s")
        await asyncio.sleep(0.005)
    return time.perf_counter() - started


async def _heartbeat(path: Path, stop: asyncio.Event) -> None:
    """Hold the lease as a live daemon would: a heartbeat every 5 s from another connection."""
    store = await open_store(path)
    try:
        while not stop.is_set():
            now = datetime.now(UTC).isoformat()
            await store.execute(
                "INSERT INTO daemon_lease (name, holder, pid, host, acquired_at, heartbeat_at) "
                "VALUES ('daemon', 'bench', ?, 'bench-host', ?, ?) ON CONFLICT (name) DO "
                "UPDATE SET heartbeat_at = excluded.heartbeat_at",
                (os.getpid(), now, now),
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 5.0)
        await store.execute("DELETE FROM daemon_lease WHERE holder = 'bench'")
    finally:
        await store.close()


def _history_records(app: object) -> set[str]:
    from xerowatch.tui.widgets.history import HistoryPane

    pane = app.query_one(HistoryPane)  # type: ignore[attr-defined]
    return {entry.record for entry in pane.entries}


async def _measure(path: Path, *, attached: bool, idle_s: float) -> dict[str, float]:
    from xerowatch.tui.app import DashboardApp

    settings = _settings(path)
    stop = asyncio.Event()
    beating = asyncio.create_task(_heartbeat(path, stop)) if attached else None
    if beating is not None:
        await asyncio.sleep(0.2)  # the first heartbeat is in
    figures: dict[str, float] = {}
    started = time.perf_counter()
    app = DashboardApp(settings, None, mode="attach" if attached else "embedded")
    async with app.run_test(size=SIZE) as pilot:
        await asyncio.wait_for(app.painted.wait(), WAIT_S)
        figures["first_paint_s"] = time.perf_counter() - started
        await pilot.pause()
        if attached:
            figures.update(await _change_visible(path, app))
            figures.update(await _paging(pilot, app))
        else:
            figures["daemon_settled_s"] = await _settled(app)
        cpu_before, wall_before = cpu_s(), time.perf_counter()
        await asyncio.sleep(idle_s)
        figures["idle_cpu_pct"] = 100 * (cpu_s() - cpu_before) / (time.perf_counter() - wall_before)
        figures["rss_now_mb"] = current_rss_mb()
        await pilot.press("q")
        await _until(lambda: app.return_code is not None or not app.is_running, "exit")
    stop.set()
    if beating is not None:
        await beating
    return figures


def _loops_ran_once(app: object) -> bool:
    runner = getattr(app, "runner", None)
    supervisor = runner.supervisor if runner is not None else None
    if supervisor is None:
        return False
    health = supervisor.health()
    return bool(health) and all(h.last_ok_at or h.failures for h in health.values())


async def _settled(app: object) -> float:
    """Wait until every loop of the embedded daemon finished its first iteration.

    The first push of this store validates its 5,000 pending learners (their alerts and link
    states): daemon work, not the idle cost this benchmark is after.
    """
    started = time.perf_counter()
    while not _loops_ran_once(app):
        if time.perf_counter() - started > SETTLE_S:
            raise TimeoutError(f"the embedded daemon's loops did not all run in {SETTLE_S:.0f} s")
        await asyncio.sleep(0.1)
    return time.perf_counter() - started


async def _change_visible(path: Path, app: object) -> dict[str, float]:
    """Another connection writes what a daemon would; time until the screen shows it."""
    writer = await open_store(path)
    try:
        marker = f"BENCH{time.monotonic_ns()}"
        written = time.perf_counter()
        await record(writer, HistoryEntry(marker, "push", "ok", "to_xero", message="bench"))
        await raise_alert(writer, "bench_alert", "a change made by another process", record=marker)
        await _until(lambda: marker in _history_records(app), "the new history row")
        return {"change_visible_s": time.perf_counter() - written}
    finally:
        await writer.close()


def _page_moved(pane: object) -> Callable[[], bool]:
    """A check that the pane shows another page than it does now."""
    before = getattr(pane, "shown", None)
    return lambda: getattr(pane, "shown", None) is not before


async def _paging(pilot: object, app: object) -> dict[str, float]:
    """Page through the pending list: the time from a key to the next page on screen."""
    from xerowatch.tui.feed import PAGE
    from xerowatch.tui.widgets.pending import PendingPane

    pane = app.query_one(PendingPane)  # type: ignore[attr-defined]
    view = app.overview  # type: ignore[attr-defined]
    bucket = app.main.query_state.bucket  # type: ignore[attr-defined]
    pages = -(-getattr(view.pending, bucket) // PAGE)
    times: list[float] = []
    for _ in range(min(10, pages - 1)):
        moved = _page_moved(pane)  # taken before the key, so the next page is news
        started = time.perf_counter()
        await pilot.press("]")  # type: ignore[attr-defined]
        await _until(moved, "the next page")
        times.append(time.perf_counter() - started)
    if not times:
        return {}
    return {"page_ms": 1000 * sum(times) / len(times), "page_max_ms": 1000 * max(times)}


def _size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.glob("big.db*")) / (1024 * 1024)


async def run(
    size: StoreSize, idle_s: float = IDLE_S, *, embedded: bool = True
) -> list[PhaseResult]:
    """Build the store, then measure the dashboard attached (and embedded)."""
    results: list[PhaseResult] = []
    with tempfile.TemporaryDirectory(prefix="xerowatch-bench-") as tmp:
        path = Path(tmp) / "big.db"
        build_s = _build(path, size)
        store_mb = _size_mb(Path(tmp))
        for attached in (True, False) if embedded else (True,):
            wall = time.perf_counter()
            figures = await _measure(path, attached=attached, idle_s=idle_s)
            details: dict[str, int | float | str] = {k: round(v, 3) for k, v in figures.items()}
            details["store_mb"] = round(store_mb, 1)
            details["build_s"] = round(build_s, 1)
            results.append(
                PhaseResult(
                    scenario="dashboard-100k",
                    phase=(
                        "dashboard attached to a running daemon"
                        if attached
                        else "dashboard with the daemon embedded"
                    ),
                    clock="real",
                    wall_s=time.perf_counter() - wall,
                    virtual_s=None,
                    records=size.learners,
                    records_label="learners",
                    xero_calls={},
                    xero_429=0,
                    source_requests={},
                    peak_rss_mb=peak_rss_mb(),
                    details=details,
                )
            )
            print(json.dumps({"phase": results[-1].phase, **details}), file=sys.stderr)
    return results
