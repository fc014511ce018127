"""Both simulators served on loopback threads for `xerowatch sync --once` in a child process
(ConnectWise mode), and a way to SIGKILL that process the moment a condition holds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio

from xerowatch.config import load_settings
from xerowatch.sim.connectwise import ConnectWiseSim
from xerowatch.sim.demo_connectwise import connectwise_config_text
from xerowatch.sim.server import serve_in_thread
from xerowatch.sim.xero import XeroSim, XeroSimConfig
from xerowatch.sim.xero.document_routes import add_tracking_category
from xerowatch.wiring import connect_custom_connection, open_runtime

RUN_TIMEOUT_S = 120.0


@dataclass
class Served:
    """The two simulators, the connected organisation and the config the child process reads."""

    xero: XeroSim
    cw: ConnectWiseSim
    tenant_id: str
    config: Path

    def xero_writes(self, path: str) -> int:
        """POSTs Xero has answered on a path (e.g. "/Invoices")."""
        return self.xero.calls("POST", f"*{path}")

    def cw_posts(self) -> int:
        """Posting batches ConnectWise has been sent."""
        return sum(1 for r in self.cw.requests if r.method == "POST" and r.path.endswith("batches"))

    def requests(self) -> int:
        """Every request either simulator has answered so far."""
        return self.xero.calls() + len(self.cw.requests)


@contextmanager
def served(tmp_path: Path, *, seed: Mapping[str, Any], xero_seed: int = 3) -> Iterator[Served]:
    """Seed ConnectWise (`ConnectWiseSim.seed` arguments), serve both, connect the store."""
    xero = XeroSim(XeroSimConfig(seed=xero_seed))
    tenant_id = xero.add_tenant("MSP Pty")
    procurement = any(seed.get(k) for k in ("purchases", "adjustments", "transfers"))
    if procurement:  # the tracking category the demo's procurement config names
        add_tracking_category(xero, tenant_id, "Division", ["Hardware", "Network"])
    cw = ConnectWiseSim()
    cw.seed(**seed)
    with serve_in_thread(xero.app) as xs, serve_in_thread(cw.app) as cs:
        config = tmp_path / "xerowatch.toml"
        text = connectwise_config_text(
            tmp_path / "x.db", xs.url, cs.url, http_port=None, procurement=procurement
        )
        config.write_text(text, encoding="utf-8")

        async def connect() -> None:
            async with open_runtime(load_settings(config)) as rt:
                await connect_custom_connection(rt)

        anyio.run(connect)
        yield Served(xero, cw, tenant_id, config)


def kill_when(
    world: Served, reached: Callable[[], bool], *, watch: Callable[[], None] | None = None
) -> bool:
    """Run `sync --once`, SIGKILL it as soon as `reached()` holds; True if it was killed.

    `watch` runs on every poll (every 5 ms) while the process lives, e.g. an invariant check.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("XEROWATCH_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "xerowatch", "--config", str(world.config), "sync", "--once"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    killed = False
    try:
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while proc.poll() is None and time.monotonic() < deadline:
            if watch is not None:
                watch()
            if reached():
                os.kill(proc.pid, signal.SIGKILL)
                killed = True
                break
            time.sleep(0.005)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    return killed
