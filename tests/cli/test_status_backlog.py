"""The write-back backlog and its forecast in `status`, `status --json` (the real entry point)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import anyio

from xerowatch.clock import SystemClock
from xerowatch.records import SourceTransaction
from xerowatch.source.wisenet.budget import RequestBudget
from xerowatch.source.wisenet.budget_ledger import StoreBudgetLedger
from xerowatch.store.db import open_store
from xerowatch.store.transactions import TransactionRow, upsert_transactions


async def _fill(path: Path, backlog: int) -> None:
    store = await open_store(path)
    try:
        rows = [
            TransactionRow(
                "tenant-1",
                "contact-1",
                True,
                SourceTransaction(
                    xero_id=f"inv-{n}",
                    kind="invoice",
                    learner_source_id="7",
                    ref_internal="R7",
                    status="AUTHORISED",
                ),
            )
            for n in range(backlog)
        ]
        async with store.transaction() as conn:
            await upsert_transactions(conn, rows)
        # What a daemon's Wisenet budget saved: 20 of a 100-a-day quota used, 20 % kept for reads.
        budget = RequestBudget(
            SystemClock(),
            daily_quota=100,
            requests_per_second=1e6,
            read_reserve_share=0.2,
            ledger=StoreBudgetLedger(store),
        )
        for _ in range(20):
            await budget.acquire("write")
        await budget.flush()
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


def test_status_shows_the_write_back_backlog_with_its_forecast(tmp_path: Path) -> None:
    anyio.run(lambda: _fill(tmp_path / "s.db", 200))
    text = _status(tmp_path)
    assert text.returncode == 0, text.stderr
    # 60 go now (80 for write-backs less the 20 used); those 80 free their places a day later,
    # the 60 after that go then, and the last 60 a day later again.
    line = "write-back: 200 to write, done in ~2.0 days at your quota (80 write-backs a day)"
    assert line in text.stdout.splitlines()
    data = json.loads(_status(tmp_path, "--json").stdout)
    assert data["writeback_backlog"] == {
        "to_write": 200,
        "write_limit_per_day": 80,
        "used_24h": 20,
        "room_now": 60,
        "days": 2.0,
        "forecast": line.removeprefix("write-back: "),
    }


def test_a_backlog_the_day_still_allows_is_done_today(tmp_path: Path) -> None:
    anyio.run(lambda: _fill(tmp_path / "s.db", 50))
    out = _status(tmp_path).stdout
    assert "write-back: 50 to write, done today at your quota" in out
