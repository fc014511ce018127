"""A world for the ConnectWise stream: both simulators on loopback and a runtime whose source is
ConnectWise, with every request to Xero kept for the contract tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.connectwise.conftest import cw_settings
from tests.sync.conftest import sim_settings
from xerowatch.clock import FakeClock
from xerowatch.config import SourceSettings
from xerowatch.sim.connectwise import ConnectWiseSim
from xerowatch.sim.xero import XeroSim, XeroSimConfig
from xerowatch.source.connectwise import ConnectWiseAccounting, ConnectWiseClient
from xerowatch.source.connectwise.source import ConnectWiseSource
from xerowatch.sync.engine import CycleSummary
from xerowatch.wiring import Runtime, connect_custom_connection, open_runtime
from xerowatch.xero.transport import TenantRef

CUSTOMERS, INVOICES = 50, 300
MAPPING: dict[str, Any] = {
    "tax_types": {"GST": "OUTPUT"},
    "tax_rates": {"OUTPUT": Decimal(10)},
    "rounding_account_code": "860",
    "page_size": 1000,
}


class CapturingTransport(httpx.ASGITransport):
    """The simulator's ASGI transport, keeping every request it carries."""

    def __init__(self, app: Any) -> None:
        super().__init__(app=app)
        self.seen: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.seen.append(request)
        return await super().handle_async_request(request)


@dataclass
class World:
    """Both simulators and a runtime whose source is ConnectWise."""

    xero: XeroSim
    cw: ConnectWiseSim
    rt: Runtime
    tenant: TenantRef
    path: Path
    transport: CapturingTransport
    extra: dict[str, Any] = field(default_factory=dict)

    async def cycle(self) -> CycleSummary:
        """One `sync --once` cycle."""
        return await self.rt.engine.run_cycle()

    def xero_invoices(self) -> list[dict[str, Any]]:
        """The organisation's invoices, as Xero JSON."""
        return self.xero.records(self.tenant.tenant_id, "Invoices")


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    """50 customers and 300 invoices in ConnectWise, an empty Xero organisation, connected."""
    clock = FakeClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    xero = XeroSim(XeroSimConfig(seed=7), clock=clock)
    xero.add_tenant("MSP Pty")
    cw = ConnectWiseSim(clock=clock)
    cw.seed(customers=CUSTOMERS, invoices=INVOICES, lines=4, expenses=0, purchases=0)
    settings = sim_settings(tmp_path / "x.db").model_copy(
        update={"source": SourceSettings(kind="connectwise"), "connectwise": cw_settings(**MAPPING)}
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=cw.app)) as http:
        client = ConnectWiseClient(settings.connectwise, clock=clock, http=http)
        source = ConnectWiseSource(ConnectWiseAccounting(client, settings.connectwise, clock))
        transport = CapturingTransport(xero.app)
        async with open_runtime(
            settings, clock=clock, xero_transport=transport, source=source
        ) as rt:
            [tenant] = await connect_custom_connection(rt)
            yield World(
                xero,
                cw,
                rt,
                TenantRef(tenant.tenant_id, tenant.connection_id),
                tmp_path,
                transport,
            )


class AnswerLost(BaseException):
    """A crash between ConnectWise applying a request and xerowatch reading its answer."""


@contextmanager
def payment_answers_lost(world: World) -> Iterator[None]:
    """While the block runs, ConnectWise applies each payment POST and its answer is lost."""
    stream = world.rt.engine.connectwise
    assert stream is not None
    accounting = stream.payments.accounting
    real = accounting.add_payment

    async def lost(*args: Any, **kwargs: Any) -> Any:
        await real(*args, **kwargs)
        raise AnswerLost

    accounting.add_payment = lost  # type: ignore[method-assign]
    try:
        yield
    finally:
        accounting.add_payment = real  # type: ignore[method-assign]
