"""Fixtures for the source tests: virtual time, the Wisenet simulator, a source wired to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from xerowatch.clock import FakeClock
from xerowatch.config import WisenetSettings
from xerowatch.sim.wisenet import WisenetSim
from xerowatch.source.port import LearnerBatch, SourcePort
from xerowatch.source.wisenet import WisenetSource, build_wisenet_source

BASE_URL = "http://wisenet.test/v1"
API_KEY = "test-key-123"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def sim(clock: FakeClock) -> WisenetSim:
    return WisenetSim(clock=clock, api_key=API_KEY)


def wisenet_settings(**overrides: Any) -> WisenetSettings:
    values: dict[str, Any] = {"base_url": BASE_URL, "api_key": SecretStr(API_KEY)}
    values.update(overrides)
    return WisenetSettings(**values)


MakeSource = Callable[..., WisenetSource]


@pytest.fixture
async def make_source(sim: WisenetSim, clock: FakeClock) -> AsyncIterator[MakeSource]:
    clients: list[httpx.AsyncClient] = []

    def make(**overrides: Any) -> WisenetSource:
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=sim.app))
        clients.append(http)
        return build_wisenet_source(wisenet_settings(**overrides), clock=clock, http=http)

    yield make
    for http in clients:
        await http.aclose()


async def collect(source: SourcePort, cursor: str | None) -> list[LearnerBatch]:
    return [batch async for batch in source.changed_learners(cursor)]
