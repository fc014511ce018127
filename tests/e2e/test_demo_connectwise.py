"""`xerowatch demo --source connectwise` serves the ConnectWise simulator and the daemon runs the
customer + invoice stream into the Xero simulator, through the real entry point."""

from __future__ import annotations

import re
from pathlib import Path

from tests.e2e.demo_run import run_demo_until


def _expenses_done(line: str) -> bool:
    """The seeded 60 expenses are all posted or (Personal ones) held."""
    found = re.search(r"expenses posted (\d+), held (\d+)", line)
    return found is not None and int(found[1]) > 0 and int(found[1]) + int(found[2]) == 60


def test_the_connectwise_demo_posts_every_invoice_and_stops_cleanly(tmp_path: Path) -> None:
    run = run_demo_until(
        ["--source", "connectwise", "--dir", str(tmp_path / "demo")],
        lambda line: "invoices posted 300," in line and _expenses_done(line),
        within_s=90,
    )
    assert any("invoices posted 300," in line for line in run.seen), run.output
    assert any(_expenses_done(line) for line in run.seen), run.output
    assert run.returncode == 0, run.output
    assert "ConnectWise simulator" in run.output and "Traceback" not in run.output
    assert "demo stopped (exit code 0)" in run.rest
    config = (tmp_path / "demo" / "xerowatch.toml").read_text()
    assert 'kind = "connectwise"' in config
