"""`xerowatch sync --once` with source.kind connectwise, SIGKILLed at points inside its Xero and
ConnectWise writes, then run again: no duplicate contact or invoice in Xero, every invoice posted
in ConnectWise exactly once and only after Xero had it — through the real entry point."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest

from tests.cli.proc import xerowatch
from xerowatch.config import load_settings
from xerowatch.sim.connectwise import ConnectWiseSim
from xerowatch.sim.demo_connectwise import connectwise_config_text
from xerowatch.sim.server import serve_in_thread
from xerowatch.sim.xero import XeroSim, XeroSimConfig
from xerowatch.wiring import connect_custom_connection, open_runtime

INVOICES = 300


@dataclass
class Served:
    xero: XeroSim
    cw: ConnectWiseSim
    tenant_id: str
    config: Path

    def xero_writes(self, path: str) -> int:
        return self.xero.calls("POST", f"*{path}")

    def cw_posts(self) -> int:
        return sum(1 for r in self.cw.requests if r.method == "POST" and r.path.endswith("batches"))


@contextmanager
def served(tmp_path: Path) -> Iterator[Served]:
    xero = XeroSim(XeroSimConfig(seed=3))
    tenant_id = xero.add_tenant("MSP Pty")
    cw = ConnectWiseSim()
    cw.seed(customers=50, invoices=INVOICES, lines=4, expenses=0, purchases=0)
    with serve_in_thread(xero.app) as xs, serve_in_thread(cw.app) as cs:
        config = tmp_path / "xerowatch.toml"
        config.write_text(
            connectwise_config_text(tmp_path / "x.db", xs.url, cs.url, http_port=None),
            encoding="utf-8",
        )

        async def connect() -> None:
            async with open_runtime(load_settings(config)) as rt:
                await connect_custom_connection(rt)

        anyio.run(connect)
        yield Served(xero, cw, tenant_id, config)


def _kill_when(world: Served, reached: Callable[[], bool]) -> None:
    """Run `sync --once`, SIGKILL it as soon as `reached()` holds (or let it finish)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("XEROWATCH_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "xerowatch", "--config", str(world.config), "sync", "--once"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            if reached():
                os.kill(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.005)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


@pytest.mark.parametrize(
    "point",
    ["first contact batch", "second invoice batch", "tenth ConnectWise post"],
)
def test_sigkill_inside_the_writes_leaves_no_duplicate(tmp_path: Path, point: str) -> None:
    with served(tmp_path) as world:
        reached = {
            "first contact batch": lambda: world.xero_writes("/Contacts") >= 1,
            "second invoice batch": lambda: world.xero_writes("/Invoices") >= 2,
            "tenth ConnectWise post": lambda: world.cw_posts() >= 10,
        }[point]
        _kill_when(world, reached)
        posted_before = set(world.cw.accounting.posted_ids())
        in_xero = {i["InvoiceNumber"] for i in world.xero.records(world.tenant_id, "Invoices")}
        numbers = {i.id: i.number for i in world.cw.records.invoices.values()}
        assert {numbers[i] for i in posted_before} <= in_xero  # never posted before Xero had it
        assert len(posted_before) < INVOICES  # the kill came before the run was done

        done = xerowatch("sync", "--once", config=world.config, timeout=120)
        assert done.returncode in (0, 4), done.stdout + done.stderr
        assert "Traceback" not in done.stderr

        invoices = Counter(
            i["InvoiceNumber"] for i in world.xero.records(world.tenant_id, "Invoices")
        )
        assert len(invoices) == INVOICES and set(invoices.values()) == {1}
        contacts = Counter(c["ContactNumber"] for c in world.xero.contacts(world.tenant_id))
        assert set(contacts.values()) == {1}
        names = Counter(c["Name"] for c in world.xero.contacts(world.tenant_id))
        assert set(names.values()) == {1}
        assert world.cw.accounting.posted_ids() == set(world.cw.records.invoices)
