"""The simulator's four rate limits, their headers and their 429s, in virtual time."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from xerowatch.clock import FakeClock
from xerowatch.sim.xero import XeroSim, XeroSimConfig

API = "/api.xro/2.0"


@pytest.fixture
def xero_config() -> XeroSimConfig:
    return XeroSimConfig(minute_limit=3, day_limit=5, app_minute_limit=4, concurrent_limit=2)


async def test_every_api_response_carries_the_limit_headers(xero_http):
    ok = await xero_http.get(f"{API}/Contacts")
    missing = await xero_http.get(f"{API}/Contacts/00000000-0000-4000-8000-000000000000")
    unauthorised = await xero_http.get(f"{API}/Contacts", headers={"Authorization": "Bearer x"})
    for response in (ok, missing):
        assert response.headers["X-MinLimit-Remaining"]
        assert response.headers["X-DayLimit-Remaining"]
    for response in (ok, missing, unauthorised):
        assert response.headers["X-AppMinLimit-Remaining"]
        assert response.headers["Xero-Correlation-Id"]
    assert [ok.headers["X-MinLimit-Remaining"], missing.headers["X-MinLimit-Remaining"]] == [
        "2",
        "1",
    ]


async def test_minute_limit_uses_offset_windows(xero_sim, xero_clock, xero_http):
    statuses = [(await xero_http.get(f"{API}/Contacts")).status_code for _ in range(3)]
    refused = await xero_http.get(f"{API}/Contacts")

    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert refused.headers["X-Rate-Limit-Problem"] == "minute"
    # the clock starts at 09:00:00 and windows start 17 s past the minute
    assert refused.headers["Retry-After"] == "17"
    assert refused.headers["X-MinLimit-Remaining"] == "0"

    xero_clock.advance(16)
    assert (await xero_http.get(f"{API}/Contacts")).status_code == 429
    xero_clock.advance(1)
    assert (await xero_http.get(f"{API}/Contacts")).status_code == 200
    assert xero_sim.calls("GET", "/Contacts", status=429) == 2


async def test_day_limit_parks_until_the_day_window_ends(xero_clock, xero_http):
    for _ in range(5):
        assert (await xero_http.get(f"{API}/Contacts")).status_code == 200
        xero_clock.advance(60)
    refused = await xero_http.get(f"{API}/Contacts")
    assert refused.headers["X-Rate-Limit-Problem"] == "day"
    # 09:05:00 → next day window at 00:00:17 UTC
    assert refused.headers["Retry-After"] == str(14 * 3600 + 55 * 60 + 17)
    assert refused.headers["X-DayLimit-Remaining"] == "0"


async def test_app_minute_limit_spans_tenants(xero_sim, xero_tenant, xero_http):
    other = xero_sim.add_tenant("Second org")
    token = xero_sim.grant_authorization([other])["access_token"]
    for _ in range(2):
        assert (await xero_http.get(f"{API}/Contacts")).status_code == 200
    headers = {"Authorization": f"Bearer {token}", "xero-tenant-id": other}
    for _ in range(2):
        assert (await xero_http.get(f"{API}/Contacts", headers=headers)).status_code == 200
    refused = await xero_http.get(f"{API}/Contacts", headers=headers)
    assert refused.status_code == 429
    assert refused.headers["X-Rate-Limit-Problem"] == "appminute"
    assert refused.headers["X-AppMinLimit-Remaining"] == "0"


class GatedClock(FakeClock):
    """Virtual time whose sleeps wait until the test opens the gate."""

    def __init__(self, expected_sleepers: int) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.all_asleep = asyncio.Event()
        self.expected = expected_sleepers
        self.sleepers = 0

    async def sleep(self, seconds: float) -> None:
        self.sleepers += 1
        if self.sleepers >= self.expected:
            self.all_asleep.set()
        await self.gate.wait()
        await super().sleep(seconds)


async def test_concurrency_limit_refuses_the_call_over_the_limit(xero_config):
    clock = GatedClock(expected_sleepers=2)
    sim = XeroSim(xero_config, clock)
    tenant = sim.add_tenant()
    token = sim.grant_authorization([tenant])["access_token"]
    sim.faults.add("slow", "GET /Contacts", times=2, delay=3)
    headers = {
        "Authorization": f"Bearer {token}",
        "xero-tenant-id": tenant,
        "Accept": "application/json",
    }
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sim.app), base_url="http://sim", headers=headers
    ) as client:
        slow = [asyncio.create_task(client.get(f"{API}/Contacts")) for _ in range(2)]
        await asyncio.wait_for(clock.all_asleep.wait(), timeout=5)
        refused = await client.get(f"{API}/Contacts")
        clock.gate.set()
        finished = await asyncio.gather(*slow)

    assert refused.status_code == 429
    assert refused.headers["X-Rate-Limit-Problem"] == "concurrent"
    assert [response.status_code for response in finished] == [200, 200]
    assert sim.limits.in_flight(tenant) == 0
