"""`xerowatch demo --source connectwise` serves the ConnectWise simulator and the daemon runs the
customer + invoice stream into the Xero simulator, through the real entry point."""

from __future__ import annotations

import os
import re
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path


def _expenses_done(line: str) -> bool:
    """The seeded 60 expenses are all posted or (Personal ones) held."""
    found = re.search(r"expenses posted (\d+), held (\d+)", line)
    return found is not None and int(found[1]) > 0 and int(found[1]) + int(found[2]) == 60


def test_the_connectwise_demo_posts_every_invoice_and_stops_cleanly(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "xerowatch",
            "demo",
            "--source",
            "connectwise",
            "--headless",
            "--dir",
            str(tmp_path / "demo"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    seen: list[str] = []
    try:
        assert proc.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if not selector.select(timeout=1):
                continue
            line = proc.stdout.readline()
            if not line:
                break
            seen.append(line)
            if "invoices posted 300," in line and _expenses_done(line):
                break
        assert any("invoices posted 300," in line for line in seen), "".join(seen)
        assert any(_expenses_done(line) for line in seen), "".join(seen)
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = "".join(seen) + rest
    assert proc.returncode == 0, output
    assert "ConnectWise simulator" in output and "Traceback" not in output
    assert "demo stopped (exit code 0)" in rest
    config = (tmp_path / "demo" / "xerowatch.toml").read_text()
    assert 'kind = "connectwise"' in config
