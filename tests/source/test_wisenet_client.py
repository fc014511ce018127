"""The Wisenet HTTP client (respx): headers, retries and backoff, 401, errors, paging guard."""

from __future__ import annotations

import httpx
import pytest
import respx
from pydantic import SecretStr

from xerowatch.clock import FakeClock
from xerowatch.source.port import SourceBudgetRefused, SourceError
from xerowatch.source.wisenet.auth import ApiKeyAuth
from xerowatch.source.wisenet.budget import RequestBudget
from xerowatch.source.wisenet.client import WisenetClient, WisenetHTTPError

BASE = "https://api.wisenet.co/v1"
KEY = "secret-key-abc"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def client(clock: FakeClock):
    budget = RequestBudget(clock, daily_quota=10_000, requests_per_second=10)
    c = WisenetClient(base_url=BASE, auth=ApiKeyAuth(SecretStr(KEY)), budget=budget, clock=clock)
    yield c
    await c.aclose()


@respx.mock
async def test_sends_key_and_accept_and_counts_the_request(client: WisenetClient) -> None:
    route = respx.get(f"{BASE}/combos/states").respond(json=[])
    assert await client.get_json("/combos/states") == []
    request = route.calls.last.request
    assert request.headers["x-api-key"] == KEY
    assert request.headers["accept"] == "application/json"
    assert client.requests_sent == 1
    assert client.budget.used == 1
    assert KEY not in repr(client) and KEY not in repr(ApiKeyAuth(SecretStr(KEY)))


@respx.mock
async def test_5xx_is_retried_with_exponential_backoff(
    client: WisenetClient, clock: FakeClock
) -> None:
    route = respx.get(f"{BASE}/combos/states").mock(
        side_effect=[httpx.Response(503), httpx.Response(502), httpx.Response(200, json=[])]
    )
    assert await client.get_json("/combos/states") == []
    assert route.call_count == 3
    assert clock.monotonic() == pytest.approx(1 + 2)
    assert client.budget.used == 3  # every attempt spends quota


@respx.mock
async def test_429_waits_for_retry_after(client: WisenetClient, clock: FakeClock) -> None:
    respx.get(f"{BASE}/combos/states").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "7"}),
            httpx.Response(200, json=[]),
        ]
    )
    await client.get_json("/combos/states")
    assert clock.monotonic() == pytest.approx(7)


@respx.mock
async def test_network_errors_are_retried(client: WisenetClient) -> None:
    route = respx.get(f"{BASE}/combos/states").mock(
        side_effect=[
            httpx.ConnectError("refused"),
            httpx.ReadTimeout("slow"),
            httpx.Response(200, json=[]),
        ]
    )
    await client.get_json("/combos/states")
    assert route.call_count == 3


@respx.mock
async def test_gives_up_after_max_attempts_as_a_transient_error(client: WisenetClient) -> None:
    route = respx.get(f"{BASE}/combos/states").respond(429)
    with pytest.raises(SourceError, match="rate limited") as info:
        await client.get_json("/combos/states")
    assert info.value.transient is True
    assert route.call_count == 6


@respx.mock
async def test_401_is_permanent_with_a_clear_message(client: WisenetClient) -> None:
    route = respx.get(f"{BASE}/combos/states").respond(401, json={"Message": "denied"})
    with pytest.raises(WisenetHTTPError) as info:
        await client.get_json("/combos/states")
    assert info.value.transient is False
    assert info.value.status == 401
    assert "[wisenet] api_key" in str(info.value)
    assert KEY not in str(info.value)
    assert route.call_count == 1


@respx.mock
async def test_other_4xx_is_permanent_and_carries_a_redacted_excerpt(
    client: WisenetClient,
) -> None:
    respx.put(f"{BASE}/invoices/abc").respond(
        400, json={"Message": "LearnerId is required", "x-api-key": "leaked"}
    )
    with pytest.raises(WisenetHTTPError, match=r"HTTP 400: .*LearnerId is required") as info:
        await client.put_json("/invoices/abc", {"InvoiceId": "abc"})
    assert "leaked" not in str(info.value)
    assert info.value.transient is False


@respx.mock
async def test_non_json_success_is_a_transient_error(client: WisenetClient) -> None:
    respx.get(f"{BASE}/combos/states").respond(200, text="<html>maintenance</html>")
    with pytest.raises(SourceError, match="not JSON") as info:
        await client.get_json("/combos/states")
    assert info.value.transient is True


@respx.mock
async def test_pages_until_a_short_page(client: WisenetClient) -> None:
    def page(request: httpx.Request) -> httpx.Response:
        skip = int(request.url.params["skip"])
        take = int(request.url.params["take"])
        rows = [{"Data": {"LearnerId": i}} for i in range(skip, min(skip + take, 5))]
        return httpx.Response(200, json=rows)

    respx.get(f"{BASE}/learnersAU").mock(side_effect=page)
    pages = [p async for p in client.pages("/learnersAU", {"isActiveFilter": "true"}, page_size=2)]
    assert [len(p) for p in pages] == [2, 2, 1]


@respx.mock
async def test_page_size_is_capped_at_1000(client: WisenetClient) -> None:
    route = respx.get(f"{BASE}/learnersAU").respond(json=[])
    _ = [p async for p in client.pages("/learnersAU", {}, page_size=5000)]
    assert route.calls.last.request.url.params["take"] == "1000"


@respx.mock
async def test_a_server_ignoring_skip_is_detected_not_looped(client: WisenetClient) -> None:
    respx.get(f"{BASE}/learnersAU").respond(
        json=[{"Data": {"LearnerId": 1}}, {"Data": {"LearnerId": 2}}]
    )
    with pytest.raises(SourceError, match="paging is not honoured"):
        _ = [p async for p in client.pages("/learnersAU", {}, page_size=2)]


@respx.mock
async def test_a_non_list_page_is_an_error(client: WisenetClient) -> None:
    respx.get(f"{BASE}/learnersAU").respond(json={"Message": "odd"})
    with pytest.raises(SourceError, match="JSON array"):
        _ = [p async for p in client.pages("/learnersAU", {})]


async def test_budget_exhaustion_stops_before_sending(clock: FakeClock) -> None:
    budget = RequestBudget(clock, daily_quota=10, requests_per_second=10)
    client = WisenetClient(
        base_url=BASE, auth=ApiKeyAuth(SecretStr(KEY)), budget=budget, clock=clock
    )
    with respx.mock:
        route = respx.get(f"{BASE}/combos/states").respond(json=[])
        for _ in range(10):  # reads may use the whole quota, the read reserve included
            await client.get_json("/combos/states")
        with pytest.raises(SourceBudgetRefused, match="daily quota spent"):
            await client.get_json("/combos/states")
    assert route.call_count == 10
    await client.aclose()


@respx.mock
async def test_an_unreachable_wisenet_names_the_url_and_the_setting(client: WisenetClient) -> None:
    respx.get(f"{BASE}/combos/states").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(SourceError) as info:
        await client.get_json("/combos/states")
    assert info.value.transient is True
    assert f"{BASE}/combos/states" in str(info.value)
    assert "[wisenet] base_url" in str(info.value)
