"""`xerowatch demo` (what `make demo` runs) syncs against the simulators and stops on Ctrl-C."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path


def test_demo_syncs_and_stops_cleanly(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "xerowatch",
            "demo",
            "--dir",
            str(tmp_path / "demo"),
            "--learners",
            "20",
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
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if not selector.select(timeout=1):
                continue
            line = proc.stdout.readline()
            if not line:
                break
            seen.append(line)
            if "contacts synced" in line and "contacts synced 0," not in line:
                break
        assert any("contacts synced" in line for line in seen), "".join(seen)
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, "".join(seen) + rest
    assert "demo stopped (exit code 0)" in rest
    assert (tmp_path / "demo" / "xerowatch.toml").exists()
