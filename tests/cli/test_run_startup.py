"""`xerowatch run` starts with one line of facts and says what to run when it cannot sync."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from tests.cli.proc import running_daemon
from tests.cli.sim_world import SimWorld, sim_world

__all__ = ["sim_world"]


def _run_until_ready(world: SimWorld) -> str:
    """Start the daemon, collect its log until it is ready, stop it with SIGTERM."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("XEROWATCH_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "xerowatch", "--config", str(world.config), "run"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**env, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stderr is not None
    lines: list[str] = []
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            lines.append(line)
            if "daemon ready" in line:
                break
        proc.send_signal(signal.SIGTERM)
        _, rest = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, "".join(lines) + rest
    return "".join(lines) + rest


def test_run_says_what_it_runs_with_and_to_connect_when_nothing_is(sim_world: SimWorld) -> None:
    log = _run_until_ready(sim_world)
    [start] = [line for line in log.splitlines() if " starting: " in line]
    assert f"store {sim_world.config.parent / 'xerowatch.db'}" in start
    assert "organisations: none" in start and f"Wisenet {sim_world.wisenet_url}/v1" in start
    assert log.count("run `xerowatch connect`") == 1


def test_run_names_the_connected_organisation(sim_world: SimWorld) -> None:
    sim_world.connect()
    log = _run_until_ready(sim_world)
    assert f"organisations: Loopback RTO ({sim_world.tenant_id})" in log
    assert "xerowatch connect" not in log


def test_a_second_run_on_the_same_store_exits_3(sim_world: SimWorld) -> None:
    with running_daemon(sim_world.config) as first:
        second = sim_world.run("run")
        assert first.poll() is None  # the first one keeps running
    assert second.returncode == 3, second.stderr
    assert "another xerowatch daemon is running on store" in second.stderr
    assert f"pid {first.pid} " in second.stderr
