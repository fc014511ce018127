"""A wrong or rotated credential pauses the writes with one alert, and they resume by themselves."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from xerowatch.cli import cli
from xerowatch.sim.demo import sim_config_text
from xerowatch.sim.server import serve_in_thread
from xerowatch.sim.wisenet import WisenetSim
from xerowatch.sim.xero import XeroSim, XeroSimConfig

INVOICES = 12


@dataclass
class World:
    """Both simulators on loopback and a config file pointing at them."""

    xero: XeroSim
    wisenet: WisenetSim
    config: Path
    tenant_id: str

    def run(self, *args: str, code: int = 0) -> Any:
        result = CliRunner().invoke(cli, ["--config", str(self.config), *args])
        assert result.exit_code == code, result.output
        return json.loads(result.stdout) if "--json" in args else result.stdout

    def open_alerts(self) -> list[dict[str, Any]]:
        alerts: list[dict[str, Any]] = self.run("alerts", "--json")
        return alerts

    def invoice_puts(self) -> int:
        return sum(1 for r in self.wisenet.requests if r.method == "PUT")


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    xero = XeroSim(XeroSimConfig(seed=5))
    tenant_id = xero.add_tenant("Credential RTO")
    wisenet = WisenetSim()
    wisenet.seed_learners(6)
    with serve_in_thread(xero.app) as xero_server, serve_in_thread(wisenet.app) as wisenet_server:
        config = tmp_path / "xerowatch.toml"
        config.write_text(
            sim_config_text(tmp_path / "x.db", xero_server.url, wisenet_server.url, http_port=None),
            encoding="utf-8",
        )
        yield World(xero, wisenet, config, tenant_id)


def test_a_rotated_wisenet_key_pauses_write_backs_with_one_alert_and_they_resume(
    world: World,
) -> None:
    world.run("connect", "--all-tenants")
    world.run("sync", "--once", "--json")
    contacts = world.xero.contacts(world.tenant_id)
    invoices = [
        world.xero.add_invoice(
            world.tenant_id, contacts[n % len(contacts)]["ContactID"], Total=10 + n
        )
        for n in range(INVOICES)
    ]
    world.wisenet.api_key = "rotated-by-an-admin"  # our configured key is no longer valid

    puts_before = world.invoice_puts()
    for _ in range(3):
        summary = world.run("sync", "--once", "--json", code=1)  # the source refused us
        assert summary["writeback"]["written"] == 0
        assert summary["writeback"]["failed"] == 0
    status = world.run("status", "--json")

    alerts = world.open_alerts()
    assert [a["type"] for a in alerts] == ["source_auth"]
    assert "Wisenet rejected the API key" in alerts[0]["message"]
    assert "[wisenet] api_key" in alerts[0]["message"] + alerts[0]["fix"]
    assert status["jobs"].get("dead", 0) == 0
    assert world.invoice_puts() - puts_before <= 3  # one probe per pass, not one per record

    world.wisenet.api_key = "sim-api-key"  # the admin puts the new key in place
    resumed = world.run("sync", "--once", "--json")

    assert resumed["writeback"]["written"] == INVOICES
    assert {i["InvoiceID"] for i in invoices} <= set(world.wisenet.data.invoices)
    assert world.open_alerts() == []
    assert world.run("status", "--json")["transactions"]["pending_write"] == 0
