"""`xerowatch run` against both simulators keeps syncing while the CLI acts on it; SIGTERM stops it.

The daemon is a real subprocess; the simulators serve on loopback in this process.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.daemon_world import cli, running_daemon, wait_for
from xerowatch.sim.xero import XeroSim


@pytest.fixture
def daemon_world(tmp_path: Path) -> Iterator[tuple[XeroSim, str, Path, subprocess.Popen[str]]]:
    with running_daemon(
        tmp_path, seed=5, tenant="Daemon RTO", seed_wisenet=lambda sim: sim.seed_learners(40)
    ) as world:
        yield world.xero, world.tenant_id, world.config, world.daemon


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
