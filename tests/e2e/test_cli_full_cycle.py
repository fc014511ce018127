"""As a user would: a config file, both simulators on loopback, and the `xerowatch` commands.

Wisenet simulator → engine → Xero simulator → write-back into the Wisenet simulator, driven only
through the CLI (connect, sync --once, status, alerts, history, retry, resync, report).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from xerowatch.cli import cli
from xerowatch.sim.demo import sim_config_text
from xerowatch.sim.server import RunningServer, serve_in_thread
from xerowatch.sim.wisenet import WisenetSim
from xerowatch.sim.xero import XeroSim, XeroSimConfig


@dataclass
class World:
    """Running simulators and a config file pointing at them."""

    xero: XeroSim
    wisenet: WisenetSim
    config: Path
    tenant_id: str

    def run(self, *args: str) -> Result:
        result = CliRunner().invoke(cli, ["--config", str(self.config), *args])
        return result


def write_config(path: Path, xero: RunningServer, wisenet: RunningServer, store: Path) -> None:
    path.write_text(
        sim_config_text(store, xero.url, wisenet.url, http_port=None, poll_seconds=60),
        encoding="utf-8",
    )


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    xero = XeroSim(XeroSimConfig(seed=3))
    tenant_id = xero.add_tenant("Loopback RTO")
    wisenet = WisenetSim()
    wisenet.seed_awkward()
    wisenet.seed_learners(30)
    with serve_in_thread(xero.app) as xero_server, serve_in_thread(wisenet.app) as wisenet_server:
        config = tmp_path / "xerowatch.toml"
        write_config(config, xero_server, wisenet_server, tmp_path / "xerowatch.db")
        yield World(xero, wisenet, config, tenant_id)


def test_full_cycle_through_the_cli(world: World) -> None:
    connected = world.run("connect", "--all-tenants")
    assert connected.exit_code == 0, connected.output

    first = world.run("sync", "--once", "--json")
    assert first.exit_code == 4, first.output  # done, with new alerts for the awkward learners
    summary = json.loads(first.output)
    push = summary["tenants"][world.tenant_id]["push"]
    source = summary["source"]
    assert source["seen"] >= 30
    assert push["created"] == source["seen"] - source["invalid"] - source["skipped"]
    assert summary["open_alerts"] >= 1  # the awkward learners raise alerts, the rest sync
    contacts = world.xero.contacts(world.tenant_id)
    assert len(contacts) == push["created"]
    assert len({c["ContactNumber"] for c in contacts}) == len(contacts)

    # Xero raises an invoice for one of them; the next cycle writes it back to Wisenet.
    contact = contacts[0]
    invoice = world.xero.add_invoice(world.tenant_id, contact["ContactID"], Total=450)
    second = world.run("sync", "--once", "--json")
    assert second.exit_code == 0, second.output
    again = json.loads(second.output)
    assert again["tenants"][world.tenant_id]["push"]["created"] == 0
    assert again["writeback"]["written"] >= 1
    assert world.wisenet.count(f"/invoices/{invoice['InvoiceID']}", method="PUT") == 1

    status = world.run("status", "--json")
    assert status.exit_code == 0, status.output
    state = json.loads(status.output)
    assert state["contacts"]["synced"] == push["created"]
    assert state["transactions"]["matched"] >= 1

    alerts = json.loads(world.run("alerts", "--json").output)
    assert any(a["type"] == "learner_invalid" and a["fix"] for a in alerts)

    history = world.run("history", contact["ContactNumber"])
    assert history.exit_code == 0 and "create" in history.output

    retry = world.run("retry", "--all")
    assert retry.exit_code == 0 and "requeued" in retry.output

    resync = world.run(
        "resync", "--from", "2020-01-01", "--to", "2030-01-01", "--types", "invoices"
    )
    assert resync.exit_code == 0 and "queued" in resync.output
    third = world.run("sync", "--once")
    assert third.exit_code == 0 and "done" in third.output

    report = world.run(
        "report", "invoices", "--from", "2020-01-01", "--to", "2030-01-01", "--format", "csv"
    )
    assert report.exit_code == 0
    assert contact["ContactNumber"] in report.output


def test_bad_config_is_one_line_and_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[xero]\nminute_limit = "lots"\n', encoding="utf-8")
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "xerowatch", "--config", str(config), "status"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "xero.minute_limit" in lines[0] and "XEROWATCH_XERO__MINUTE_LIMIT" in lines[0]
