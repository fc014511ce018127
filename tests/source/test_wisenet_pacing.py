"""Wisenet pacing with latency: the server's one-second window never sees an eleventh request."""

from __future__ import annotations

import random

import httpx
from pydantic import SecretStr

from xerowatch.clock import FakeClock
from xerowatch.sim.wisenet import WisenetSim
from xerowatch.source.wisenet.auth import ApiKeyAuth
from xerowatch.source.wisenet.budget import RequestBudget
from xerowatch.source.wisenet.client import WisenetClient

KEY = "pacing-key"


class JitteryNetwork(httpx.AsyncBaseTransport):
    """Each way of each request takes 0-60 ms of virtual time, at random (seeded)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, clock: FakeClock, seed: int) -> None:
        self._inner = inner
        self._clock = clock
        self._rng = random.Random(seed)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await self._clock.sleep(self._rng.uniform(0.0, 0.06))
        response = await self._inner.handle_async_request(request)
        await self._clock.sleep(self._rng.uniform(0.0, 0.06))
        return response


async def test_full_pace_writes_over_a_jittery_network_get_no_429() -> None:
    clock = FakeClock()
    sim = WisenetSim(clock=clock, api_key=KEY)
    network = JitteryNetwork(httpx.ASGITransport(app=sim.app), clock, seed=3)
    budget = RequestBudget(clock, daily_quota=10_000, requests_per_second=10)
    client = WisenetClient(
        base_url="http://wisenet.sim/v1",
        auth=ApiKeyAuth(SecretStr(KEY)),
        budget=budget,
        clock=clock,
        http=httpx.AsyncClient(transport=network),
    )
    learner = sim.data.add_learner()
    for n in range(600):
        await client.put_json(f"/invoices/INV-{n}", {"LearnerId": learner, "Total": n})
    statuses = [r.status for r in sim.requests]
    assert statuses.count(429) == 0
    assert len(statuses) == 600 == budget.used  # no request spent on a retry
    assert clock.monotonic() < 600 / 10 * 1.15  # still close to full pace: 10 a second
    await client.aclose()
