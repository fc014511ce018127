"""`xerowatch sync --once [--json]` with ConnectWise as the source prints what the ConnectWise
stream did per organisation (not the learner steps' lines), through the real entry point."""

from __future__ import annotations

import json
from collections.abc import Iterator
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

HELD_TAX_CODE = "EXEMPT"
"""A ConnectWise tax code the simulator config's `tax_types` leaves out: its invoice is held."""


@dataclass
class World:
    config: Path
    tenant_id: str


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """8 customers and 20 invoices in ConnectWise, one with a tax code the config leaves out."""
    xero = XeroSim(XeroSimConfig(seed=5))
    tenant_id = xero.add_tenant("MSP Pty")
    cw = ConnectWiseSim()
    invoice_ids = cw.seed(customers=8, invoices=20, lines=3, expenses=0, purchases=0)
    cw.records.invoices[invoice_ids[3]].tax_code = HELD_TAX_CODE
    with serve_in_thread(xero.app) as xs, serve_in_thread(cw.app) as cs:
        config = tmp_path / "xerowatch.toml"
        text = connectwise_config_text(tmp_path / "x.db", xs.url, cs.url, http_port=None)
        config.write_text(text, encoding="utf-8")

        async def connect() -> None:
            async with open_runtime(load_settings(config)) as rt:
                await connect_custom_connection(rt)

        anyio.run(connect)
        yield World(config, tenant_id)


def test_sync_once_prints_the_connectwise_stream_per_organisation(world: World) -> None:
    done = xerowatch("sync", "--once", config=world.config)
    assert done.returncode == 4, done.stderr  # done, and the held invoice raised an alert
    lines = done.stdout.splitlines()
    head = lines.index(f"connectwise → xero {world.tenant_id}:")
    assert lines[head + 1 : head + 5] == [
        "  invoices: 20 unposted read, 1 held (see `xerowatch alerts`), 19 queued for Xero",
        "  customers → contacts: 8 created, 0 updated",
        "  in Xero: 19 created, 0 refused, 0 in doubt; 19 posted in ConnectWise",
        "  payments back: 0 posted, 0 refused, 0 credit(s) to apply by hand",
    ]
    learner_lines = ("source:", "write-back:", f"xero {world.tenant_id}:")
    assert not any(line.startswith(learner_lines) for line in lines), done.stdout
    assert lines[-1].startswith("alerts: ") and "(0 new)" not in lines[-1]

    again = xerowatch("sync", "--once", "--json", config=world.config)
    assert again.returncode == 0, again.stderr
    data = json.loads(again.stdout)
    assert data["source_kind"] == "connectwise" and data["exit_code"] == 0
    assert not {"source", "tenants", "writeback", "resyncs"} & set(data)
    stream = data["connectwise"][world.tenant_id]
    assert (stream["read"], stream["created"], stream["posted"]) == (0, 0, 0)  # nothing new
    assert stream["payments"]["refused"] == 0


def test_a_paused_connectwise_sync_once_says_so_without_learner_lines(world: World) -> None:
    assert xerowatch("pause", config=world.config).returncode == 0
    done = xerowatch("sync", "--once", config=world.config)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("sync is paused (xerowatch resume)")
    assert "learners" not in done.stdout and "write-back" not in done.stdout


def test_status_shows_the_streams_instead_of_learners(world: World) -> None:
    assert xerowatch("sync", "--once", config=world.config).returncode == 4
    status = xerowatch("status", config=world.config)
    assert status.returncode == 0, status.stderr
    assert "ConnectWise invoices: posted 19 · held 1" in status.stdout
    assert "learners:" not in status.stdout and "transactions:" not in status.stdout
    assert "last cycle: ok, last step done" in status.stdout
