"""A store found damaged while the daemon runs stops the daemon (exit 2), no traceback loop."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import anyio
import pytest

from tests.daemon.test_runner import make_runner
from tests.store.damage import build_store, zero_pages
from xerowatch.clock import FakeClock
from xerowatch.daemon.runner import EXIT_STORE_DAMAGED
from xerowatch.daemon.supervisor import LoopSpec
from xerowatch.store.db import Store


async def corrupt_database_error(tmp_path: Path) -> sqlite3.DatabaseError:
    """A real "database disk image is malformed" from SQLite."""
    path = tmp_path / "broken.db"
    await build_store(path)
    zero_pages(path)
    conn = sqlite3.connect(path)
    try:
        conn.execute("SELECT * FROM alerts").fetchall()
    except sqlite3.DatabaseError as exc:
        return exc
    finally:
        conn.close()
    raise AssertionError("the zeroed pages were not noticed")


async def test_a_loop_hitting_a_damaged_store_stops_the_daemon_with_exit_2(
    store: Store, clock: FakeClock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    error = await corrupt_database_error(tmp_path)
    attempts: list[int] = []

    async def broken() -> float | None:
        attempts.append(1)
        raise error

    async def healthy() -> float | None:
        return None

    runner = make_runner(
        store,
        clock,
        lambda ctx: [LoopSpec("broken", broken, 1.0), LoopSpec("healthy", healthy, 1.0)],
    )
    with anyio.fail_after(30):  # hang guard only
        code = await runner.serve()
    assert code == EXIT_STORE_DAMAGED
    assert attempts == [1]  # not restarted with backoff
    critical = [r for r in caplog.records if r.levelno >= logging.CRITICAL]
    assert len(critical) == 1
    assert "is damaged (database disk image is malformed)" in critical[0].getMessage()
    assert critical[0].exc_info is None
