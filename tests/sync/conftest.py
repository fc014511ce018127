"""Engine integration fixtures: the loopback Xero simulator, an in-memory source, virtual time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from tests.sync.memory_source import MemorySource
from xerowatch.clock import FakeClock
from xerowatch.config import Settings, StoreSettings, SyncSettings, XeroSettings
from xerowatch.sim.xero import SimUrls, XeroSim, XeroSimConfig
from xerowatch.wiring import Runtime, connect_custom_connection, open_runtime
from xerowatch.xero.transport import TenantRef

SIM_BASE = "http://xero.sim"


def sim_settings(store_path: Path, **sync: object) -> Settings:
    """Settings that point a custom connection at the simulator."""
    urls = SimUrls.at(SIM_BASE)
    return Settings(
        store=StoreSettings(path=store_path),
        xero=XeroSettings(
            auth_mode="custom_connection",
            client_id="sim-client",
            client_secret=SecretStr("sim-secret"),
            api_url=urls.api_url,
            identity_url=urls.identity_url,
            connections_url=urls.connections_url,
            authorize_url=urls.authorize_url,
            max_retries=4,
        ),
        sync=SyncSettings.model_validate(sync),
    )


@dataclass
class Env:
    """A connected engine against the simulator."""

    sim: XeroSim
    rt: Runtime
    source: MemorySource
    tenant: TenantRef
    clock: FakeClock
    settings: Settings

    @property
    def tenant_id(self) -> str:
        """The simulator tenant."""
        return self.tenant.tenant_id

    def writes(self) -> int:
        """Contact write calls the simulator has seen."""
        return self.sim.calls("POST", "*/Contacts") + self.sim.calls("PUT", "*/Contacts")


@pytest.fixture
def clock() -> FakeClock:
    """Virtual time shared by the simulator and the client."""
    return FakeClock()


@pytest.fixture
def sim(clock: FakeClock) -> XeroSim:
    """A simulator with one organisation."""
    simulator = XeroSim(XeroSimConfig(seed=7), clock=clock)
    simulator.add_tenant("Test RTO")
    return simulator


@pytest.fixture
async def env(tmp_path: Path, sim: XeroSim, clock: FakeClock) -> AsyncIterator[Env]:
    """A connected runtime against the simulator with an in-memory source."""
    settings = sim_settings(tmp_path / "x.db")
    source = MemorySource()
    transport = httpx.ASGITransport(app=sim.app)
    async with open_runtime(settings, clock=clock, xero_transport=transport, source=source) as rt:
        [tenant] = await connect_custom_connection(rt)
        yield Env(
            sim, rt, source, TenantRef(tenant.tenant_id, tenant.connection_id), clock, settings
        )
