"""The engine against both simulators in virtual time, with Wisenet's budget as configured."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
from pydantic import SecretStr

from tests.sync.conftest import sim_settings
from xerowatch.clock import FakeClock
from xerowatch.config import SourceSettings, WisenetSettings
from xerowatch.sim.event_clock import EventClock
from xerowatch.sim.wisenet import WisenetSim
from xerowatch.sim.xero import XeroSim, XeroSimConfig
from xerowatch.source.wisenet import WisenetSource, build_wisenet_source
from xerowatch.wiring import Runtime, connect_custom_connection, open_runtime

WISENET_KEY = "world-key"


class Latency(httpx.AsyncBaseTransport):
    """Every request takes `seconds` of virtual time, half each way, each half ± `jitter`."""

    def __init__(
        self, inner: httpx.AsyncBaseTransport, clock: FakeClock, seconds: float, jitter: float
    ) -> None:
        self._inner = inner
        self._clock = clock
        self._half = seconds / 2
        self._jitter = jitter
        self._rng = random.Random(5)

    def _way(self) -> float:
        return max(0.0, self._half + self._rng.uniform(-self._jitter, self._jitter))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Delay, forward, delay."""
        await self._clock.sleep(self._way())
        response = await self._inner.handle_async_request(request)
        await self._clock.sleep(self._way())
        return response


@dataclass
class World:
    """A connected runtime whose source is the Wisenet simulator."""

    xero: XeroSim
    wisenet: WisenetSim
    rt: Runtime
    source: WisenetSource
    tenant_id: str
    clock: FakeClock

    def puts(self) -> int:
        """PUT /invoices requests Wisenet has answered."""
        return sum(1 for r in self.wisenet.requests if r.method == "PUT")

    def add_invoices(self, per_learner: int) -> list[str]:
        """Give every synced learner's contact `per_learner` invoices; return their ids."""
        ids = []
        for contact in self.xero.contacts(self.tenant_id):
            for n in range(per_learner):
                invoice = self.xero.add_invoice(self.tenant_id, contact["ContactID"], Total=100 + n)
                ids.append(str(invoice["InvoiceID"]))
        self.clock.advance(60)
        return ids


@asynccontextmanager
async def wisenet_world(
    tmp_path: Path,
    *,
    learners: int,
    wisenet: dict[str, Any] | None = None,
    sync: dict[str, Any] | None = None,
    latency: float = 0.0,
    jitter: float = 0.0,
) -> AsyncIterator[World]:
    """`learners` Wisenet learners, synced into an empty Xero organisation (first cycle run).

    With a `latency`, time is an `EventClock`, so concurrent requests overlap in virtual time.
    """
    if latency:
        clock: FakeClock = EventClock()
        async with anyio.create_task_group() as group:
            group.start_soon(clock.drive)  # type: ignore[attr-defined]
            async with _world(tmp_path, clock, learners, wisenet, sync, latency, jitter) as world:
                yield world
            group.cancel_scope.cancel()
        return
    async with _world(tmp_path, FakeClock(), learners, wisenet, sync, latency, jitter) as world:
        yield world


@asynccontextmanager
async def _world(
    tmp_path: Path,
    clock: FakeClock,
    learners: int,
    wisenet: dict[str, Any] | None,
    sync: dict[str, Any] | None,
    latency: float,
    jitter: float,
) -> AsyncIterator[World]:
    xero = XeroSim(XeroSimConfig(seed=7), clock=clock)
    xero.add_tenant("Test RTO")
    sim = WisenetSim(clock=clock, api_key=WISENET_KEY, daily_quota=10_000_000)
    sim.seed_learners(learners, seed=3)
    settings = sim_settings(tmp_path / "w.db", **(sync or {}))
    source_settings = WisenetSettings(
        base_url="http://wisenet.sim/v1", api_key=SecretStr(WISENET_KEY), **(wisenet or {})
    )
    settings = settings.model_copy(
        update={"source": SourceSettings(kind="wisenet"), "wisenet": source_settings}
    )
    inner: httpx.AsyncBaseTransport = httpx.ASGITransport(app=sim.app)
    transport = Latency(inner, clock, latency, jitter) if latency else inner
    async with httpx.AsyncClient(transport=transport) as http:
        source = build_wisenet_source(source_settings, clock=clock, http=http)
        xero_transport = httpx.ASGITransport(app=xero.app)
        async with open_runtime(
            settings, clock=clock, xero_transport=xero_transport, source=source
        ) as rt:
            [tenant] = await connect_custom_connection(rt)
            world = World(xero, sim, rt, source, tenant.tenant_id, clock)
            await rt.engine.run_cycle()
            yield world
