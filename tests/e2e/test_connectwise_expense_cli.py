"""The expense stream through the real entry point: `sync --once` sends expense bills and exits 4
for the held ones, `xerowatch retry cw-expense:<id>` (and `EXP-<id>`) re-reads one, and the next
`sync --once` sends just it."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from xerowatch.sim.demo_connectwise import connectwise_demo_world


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_sync_once_sends_expenses_and_retry_re_reads_a_held_one(tmp_path: Path) -> None:
    with connectwise_demo_world(
        tmp_path / "w",
        customers=5,
        invoices=0,
        expenses=30,
        purchases=0,
        adjustments=0,
        transfers=0,
        http_port=_free_port(),
    ) as world:

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "-m", "xerowatch", "--config", str(world.config), *args],
                capture_output=True,
                text=True,
                timeout=120,
            )

        assert run("connect").returncode == 0
        assert world.connectwise is not None
        expenses = world.connectwise.records.expenses.values()
        personal = sorted(e.id for e in expenses if e.classification == "Personal")
        sent = len(expenses) - len(personal)
        first = run("sync", "--once")
        assert first.returncode == 4, first.stderr  # new alerts: the Personal expenses held
        assert f"30 read, {sent} queued, {len(personal)} held" in first.stdout
        assert (
            f"{sent} in Xero, 0 refused, 0 in doubt; {sent} posted in ConnectWise" in first.stdout
        )
        assert "Traceback" not in first.stdout + first.stderr

        fixed = world.connectwise.records.expenses[personal[0]]
        fixed.classification = "Reimbursable"  # corrected in ConnectWise, lastUpdated untouched
        retried = run("retry", f"cw-expense:{fixed.id}")
        assert retried.returncode == 0, retried.stderr
        assert retried.stdout.strip() == f"expense EXP-{fixed.id} will be read again"
        by_number = run("retry", f"EXP-{personal[1]}")
        assert by_number.returncode == 0 and "will be read again" in by_number.stdout
        unknown = run("retry", "cw-expense:999999")
        assert unknown.returncode == 1
        assert unknown.stderr.startswith("error: no ConnectWise record cw-expense:999999")

        again = run("sync", "--once")
        # personal[1] is still Personal: held again under its open alert (nothing new: exit 0)
        assert again.returncode == 0, again.stdout + again.stderr
        assert f"{len(personal)} read, 1 queued, 1 held" in again.stdout, again.stdout
        assert f"alerts: {len(personal) - 1} open (0 new)" in again.stdout
        assert "1 in Xero, 0 refused, 0 in doubt; 1 posted in ConnectWise" in again.stdout
        assert fixed.batch is not None and fixed.batch.endswith(
            f"W{fixed.date.isocalendar()[1]:02d}-{fixed.id}"
        )  # its own weekly bill
