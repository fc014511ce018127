"""A real `xerowatch run` in another process against both simulators served in this one."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.test_cli_full_cycle import write_config
from xerowatch.sim.server import serve_in_thread
from xerowatch.sim.wisenet import WisenetSim
from xerowatch.sim.xero import XeroSim, XeroSimConfig

DEADLINE_S = 30.0


def cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run one `xerowatch` command through the real entry point."""
    return subprocess.run(
        [sys.executable, "-m", "xerowatch", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def wait_for(check: Callable[[], bool], what: str, deadline_s: float = DEADLINE_S) -> None:
    """Poll `check` until it holds, or fail naming `what` was awaited."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class DaemonWorld:
    """Both simulators on loopback, a connected store, and `xerowatch run` on it."""

    xero: XeroSim
    tenant_id: str
    wisenet: WisenetSim
    config: Path
    daemon: subprocess.Popen[str]


@contextmanager
def running_daemon(
    tmp_path: Path, *, seed: int, tenant: str, seed_wisenet: Callable[[WisenetSim], object]
) -> Iterator[DaemonWorld]:
    """Serve both simulators, connect every tenant, start the daemon; kill it on the way out."""
    xero = XeroSim(XeroSimConfig(seed=seed))
    tenant_id = xero.add_tenant(tenant)
    wisenet = WisenetSim()
    seed_wisenet(wisenet)
    with serve_in_thread(xero.app) as xs, serve_in_thread(wisenet.app) as ws:
        config = tmp_path / "xerowatch.toml"
        write_config(config, xs, ws, tmp_path / "xerowatch.db")
        config.write_text(
            config.read_text().replace("poll_seconds = 60", "poll_seconds = 1"), encoding="utf-8"
        )
        assert cli(config, "connect", "--all-tenants").returncode == 0
        daemon = subprocess.Popen(
            [sys.executable, "-m", "xerowatch", "--config", str(config), "run"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            yield DaemonWorld(xero, tenant_id, wisenet, config, daemon)
        finally:
            if daemon.poll() is None:
                daemon.kill()
                daemon.wait(timeout=10)
