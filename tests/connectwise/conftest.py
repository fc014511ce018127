"""Fixtures for the ConnectWise tests: virtual time, the simulator, a client wired to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from xerowatch.clock import FakeClock
from xerowatch.config_connectwise import ConnectWiseSettings
from xerowatch.sim.connectwise import SIM_CLIENT_ID, ConnectWiseSim
from xerowatch.source.connectwise import ConnectWiseAccounting, ConnectWiseClient

SITE = "http://cw.test"


def cw_settings(**overrides: Any) -> ConnectWiseSettings:
    values: dict[str, Any] = {
        "site_url": SITE,
        "company_id": "xerowatch",
        "public_key": SecretStr("sim-public"),
        "private_key": SecretStr("sim-private"),
        "client_id": SIM_CLIENT_ID,
        "page_size": 25,
    }
    values.update(overrides)
    return ConnectWiseSettings(**values)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def sim(clock: FakeClock) -> ConnectWiseSim:
    return ConnectWiseSim(clock=clock)


MakeAccounting = Callable[..., ConnectWiseAccounting]


@pytest.fixture
async def make_accounting(sim: ConnectWiseSim, clock: FakeClock) -> AsyncIterator[MakeAccounting]:
    clients: list[httpx.AsyncClient] = []

    def make(
        transport: httpx.AsyncBaseTransport | None = None, **overrides: Any
    ) -> ConnectWiseAccounting:
        http = httpx.AsyncClient(transport=transport or httpx.ASGITransport(app=sim.app))
        clients.append(http)
        settings = cw_settings(**overrides)
        client = ConnectWiseClient(settings, clock=clock, http=http)
        return ConnectWiseAccounting(client, settings, clock)

    yield make
    for http in clients:
        await http.aclose()
