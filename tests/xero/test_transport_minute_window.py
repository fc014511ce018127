"""A fake Xero with fixed, offset 60-per-minute windows never has to answer the transport 429."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import anyio
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xerowatch.clock import FakeClock
from xerowatch.xero.quota import Lane, QuotaLimits, QuotaScheduler
from xerowatch.xero.transport import TenantRef, XeroTransport

API = "https://api.xero.test/api.xro/2.0"
TENANT = TenantRef("tenant-acme", "conn-1")


class StaticTokens:
    async def access_token(self, connection_id: str, *, force_refresh: bool = False) -> str:
        return "token"


@dataclass
class FixedWindowXero:
    """Counts calls in fixed 60 s windows that start `offset` seconds into virtual time, like
    Xero's per-tenant windows that are not aligned to the wall minute; over the limit → 429."""

    clock: FakeClock
    offset: float
    limit: int = 60
    latencies: list[float] = field(default_factory=lambda: [0.0])
    per_window: dict[int, int] = field(default_factory=dict)
    statuses: list[int] = field(default_factory=list)

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        # Network latency before Xero counts the call, varying from call to call.
        await self.clock.sleep(self.latencies[len(self.statuses) % len(self.latencies)])
        window = math.floor((self.clock.monotonic() - self.offset) / 60)
        used = self.per_window[window] = self.per_window.get(window, 0) + 1
        if used > self.limit:
            self.statuses.append(429)
            reset = self.offset + (window + 1) * 60 - self.clock.monotonic()
            headers = {"X-Rate-Limit-Problem": "minute", "Retry-After": str(math.ceil(reset))}
            return httpx.Response(429, headers=headers)
        self.statuses.append(200)
        remaining = {"X-MinLimit-Remaining": str(self.limit - used)}
        return httpx.Response(200, json={"Contacts": []}, headers=remaining)


async def run_calls(server: FixedWindowXero, calls: int, lanes: list[Lane]) -> None:
    quota = QuotaScheduler(QuotaLimits(), server.clock)
    async with httpx.AsyncClient(transport=httpx.MockTransport(server)) as http:
        transport = XeroTransport(
            http=http, api_url=API, tokens=StaticTokens(), quota=quota, clock=server.clock
        )

        async def one(lane: Lane) -> None:
            await transport.request("GET", "/Contacts", tenant=TENANT, lane=lane)

        async with anyio.create_task_group() as group:
            for n in range(calls):
                group.start_soon(one, lanes[n % len(lanes)])


@pytest.mark.parametrize("offset", [17.3, 42.0, 59.9])
async def test_300_calls_finish_without_a_minute_429(offset: float) -> None:
    clock = FakeClock()
    clock.advance(5)  # the windows are offset from the scheduler's own start too
    server = FixedWindowXero(clock, offset=offset, latencies=[0.05, 0.4, 0.1, 1.2, 0.0])
    await run_calls(server, 300, [Lane.BULK, Lane.INCREMENTAL, Lane.OPERATOR])
    assert server.statuses.count(429) == 0
    assert len(server.statuses) == 300
    assert max(server.per_window.values()) <= 60
    elapsed = clock.monotonic() - 5
    assert 240 <= elapsed < 330  # about five minutes: four full windows of waiting, then the last


async def test_without_throttling_the_fake_would_have_said_429() -> None:
    """The fake really enforces its limit (so the test above can fail)."""
    clock = FakeClock()
    server = FixedWindowXero(clock, offset=0.0, limit=3)
    async with httpx.AsyncClient(transport=httpx.MockTransport(server)) as http:
        statuses = [(await http.get(f"{API}/Contacts")).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    offset=st.floats(min_value=0, max_value=59.99),
    latencies=st.lists(st.floats(min_value=0, max_value=5), min_size=1, max_size=7),
    limit=st.integers(min_value=1, max_value=12),
)
def test_no_fixed_window_ever_sees_more_than_the_limit(
    offset: float, latencies: list[float], limit: int
) -> None:
    """Whatever the window offset and however the latency varies, the sliding log holds."""
    clock = FakeClock()
    server = FixedWindowXero(clock, offset=offset, limit=limit, latencies=latencies)

    async def main() -> None:
        quota = QuotaScheduler(QuotaLimits(per_minute=limit, concurrent=3), clock)
        async with httpx.AsyncClient(transport=httpx.MockTransport(server)) as http:
            transport = XeroTransport(
                http=http, api_url=API, tokens=StaticTokens(), quota=quota, clock=clock
            )
            async with anyio.create_task_group() as group:
                for _ in range(3 * limit + 2):
                    group.start_soon(
                        lambda: transport.request("GET", "/C", tenant=TENANT, lane=Lane.BULK)
                    )

    anyio.run(main)
    assert server.statuses.count(429) == 0
    assert len(server.statuses) == 3 * limit + 2
