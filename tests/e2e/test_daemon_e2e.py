"""`xerowatch run` against both simulators keeps syncing while the CLI acts on it; SIGTERM stops it.

The daemon is a real subprocess; the simulators serve on loopback in this process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.test_cli_full_cycle import write_config
from xerowatch.sim.server import serve_in_thread
from xerowatch.sim.wisenet import WisenetSim
from xerowatch.sim.xero import XeroSim, XeroSimConfig

DEADLINE_S = 30.0


def cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "xerowatch", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def wait_for(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def daemon_world(tmp_path: Path) -> Iterator[tuple[XeroSim, str, Path, subprocess.Popen[str]]]:
    xero = XeroSim(XeroSimConfig(seed=5))
    tenant_id = xero.add_tenant("Daemon RTO")
    wisenet = WisenetSim()
    wisenet.seed_learners(40)
    with serve_in_thread(xero.app) as xs, serve_in_thread(wisenet.app) as ws:
        config = tmp_path / "xerowatch.toml"
        write_config(config, xs, ws, tmp_path / "xerowatch.db")
        config.write_text(
            config.read_text().replace("poll_seconds = 60", "poll_seconds = 1"), encoding="utf-8"
        )
        assert cli(config, "connect", "--all-tenants").returncode == 0
        proc = subprocess.Popen(
            [sys.executable, "-m", "xerowatch", "--config", str(config), "run"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            yield xero, tenant_id, config, proc
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)


def test_daemon_syncs_while_the_cli_acts_on_it_and_stops_on_sigterm(
    daemon_world: tuple[XeroSim, str, Path, subprocess.Popen[str]],
) -> None:
    xero, tenant_id, config, proc = daemon_world

    def synced() -> int:
        status = cli(config, "status", "--json")
        return int(json.loads(status.stdout)["contacts"].get("synced", 0)) if status.stdout else 0

    wait_for(lambda: synced() >= 20, "the first learners to reach Xero")
    assert json.loads(cli(config, "status", "--json").stdout)["daemon"] is not None

    contact = next(c for c in xero.contacts(tenant_id) if c.get("ContactNumber"))
    number = contact["ContactNumber"]
    retried = cli(config, "retry", number)
    assert retried.returncode == 0 and "queued" in retried.stdout, retried.stdout + retried.stderr

    resync = cli(
        config, "resync", "--from", "2020-01-01", "--to", "2030-01-01", "--types", "invoices"
    )
    assert resync.returncode == 0 and "resync 1 queued" in resync.stdout, resync.stderr

    def resync_done() -> bool:
        runs = json.loads(cli(config, "status", "--json").stdout)["resyncs"]
        return bool(runs) and runs[0]["state"] == "done"

    wait_for(resync_done, "the resync to finish")
    assert len({c["ContactNumber"] for c in xero.contacts(tenant_id)}) == len(
        xero.contacts(tenant_id)
    )

    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=15)
    output = proc.stdout.read() if proc.stdout else ""
    assert code == 0, output
    assert time.monotonic() - started < 10
    assert json.loads(cli(config, "status", "--json").stdout)["daemon"] is None
