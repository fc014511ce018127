"""`xerowatch demo` (what `make demo` runs) syncs against the simulators and stops on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import anyio
import pytest

from tests.e2e.demo_run import run_demo_until
from xerowatch.cli.demo_cmds import print_status_every
from xerowatch.store.db import open_store


def test_demo_syncs_and_stops_cleanly(tmp_path: Path) -> None:
    run = run_demo_until(
        ["--dir", str(tmp_path / "demo"), "--learners", "20"],
        lambda line: "contacts synced" in line and "contacts synced 0," not in line,
        within_s=60,
    )
    assert any("contacts synced" in line for line in run.seen), run.output
    assert run.returncode == 0, run.output
    assert "demo stopped (exit code 0)" in run.rest
    assert (tmp_path / "demo" / "xerowatch.toml").exists()


def test_ctrl_c_while_the_demo_is_still_connecting_stops_it_cleanly(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "xerowatch", "demo", "--headless", "--dir", str(tmp_path / "demo")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    seen: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # the intro is printed once Ctrl-C is handled
            seen.append(line)
            if "Ctrl-C stops it cleanly" in line:
                proc.send_signal(signal.SIGINT)
                break
        rest, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = "".join(seen) + rest
    assert proc.returncode == 0, output
    assert "demo stopped (exit code 0)" in rest
    assert "Traceback" not in output


async def test_the_status_line_says_when_the_store_cannot_be_read_and_carries_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = await open_store(tmp_path / "x.db")
    await store.close()  # what the demo's store looks like to a status read that fails

    with anyio.move_on_after(0.5):
        await print_status_every(store, 0.05)

    lines = capsys.readouterr().out.splitlines()
    assert len(lines) >= 3
    assert all(line.startswith("status unavailable: ") for line in lines), lines
