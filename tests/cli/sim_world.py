"""Both simulators on loopback and a config pointing at them, for real-process CLI tests."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.cli.proc import xerowatch
from xerowatch.sim.demo import sim_config_text
from xerowatch.sim.server import serve_in_thread
from xerowatch.sim.wisenet import WisenetSim
from xerowatch.sim.xero import XeroSim, XeroSimConfig


@dataclass
class SimWorld:
    """Running simulators, a config file for them, and the `xerowatch` process runner."""

    xero: XeroSim
    wisenet: WisenetSim
    config: Path
    tenant_id: str
    xero_url: str
    wisenet_url: str

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run `xerowatch --config CONFIG ARGS…` as a child process."""
        return xerowatch(*args, config=self.config)

    def json(self, *args: str) -> Any:
        """Run a command with `--json` and parse its stdout."""
        done = self.run(*args, "--json")
        return json.loads(done.stdout)

    def edit(self, old: str, new: str) -> None:
        """Change the config text."""
        text = self.config.read_text(encoding="utf-8")
        assert old in text, old
        self.config.write_text(text.replace(old, new), encoding="utf-8")

    def connect(self) -> None:
        """Connect the Xero simulator's organisation (custom connection)."""
        done = self.run("connect", "--all-tenants")
        assert done.returncode == 0, done.stderr


@pytest.fixture
def sim_world(tmp_path: Path) -> Iterator[SimWorld]:
    """Xero with one organisation, Wisenet with 12 ordinary learners."""
    xero = XeroSim(XeroSimConfig(seed=3))
    tenant_id = xero.add_tenant("Loopback RTO")
    wisenet = WisenetSim()
    wisenet.seed_learners(12)
    with serve_in_thread(xero.app) as xs, serve_in_thread(wisenet.app) as ws:
        config = tmp_path / "xerowatch.toml"
        text = sim_config_text(tmp_path / "xerowatch.db", xs.url, ws.url, http_port=None)
        config.write_text(text, encoding="utf-8")
        yield SimWorld(xero, wisenet, config, tenant_id, xs.url, ws.url)
