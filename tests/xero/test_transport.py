"""XeroTransport over respx: headers, retries, typed errors, 429 kinds — in virtual time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import anyio
import httpx
import pytest
import respx

from xerowatch import __version__
from xerowatch.clock import FakeClock
from xerowatch.xero.errors import (
    XeroAuthError,
    XeroError,
    XeroNotFound,
    XeroRateLimited,
    XeroTransientError,
    XeroValidationError,
)
from xerowatch.xero.quota import Lane, QuotaLimits, QuotaScheduler
from xerowatch.xero.transport import CallRecord, TenantRef, XeroTransport, endpoint_name

API = "https://api.xero.test/api.xro/2.0"
TOKEN = "tok-SECRET-abc123"  # a fake token the tests look for in errors and logs
ACME = TenantRef("tenant-acme", "conn-1")
BETA = TenantRef("tenant-beta", "conn-1")


@dataclass
class FakeTokens:
    """Hands out TOKEN (or TOKEN-n after the n-th forced refresh) and remembers each call."""

    calls: list[bool] = field(default_factory=list)
    refreshes: int = 0

    async def access_token(self, connection_id: str, *, force_refresh: bool = False) -> str:
        self.calls.append(force_refresh)
        if force_refresh:
            self.refreshes += 1
        return TOKEN if not self.refreshes else f"{TOKEN}-{self.refreshes}"


@dataclass
class FakeAlerts:
    """Collects alerts as (type, tenant, message, fix)."""

    raised: list[tuple[str, str, str, str]] = field(default_factory=list)

    async def __call__(self, type_: str, message: str, *, fix: str, tenant_id: str) -> None:
        self.raised.append((type_, tenant_id, message, fix))


@dataclass
class Rig:
    clock: FakeClock
    tokens: FakeTokens
    alerts: FakeAlerts
    quota: QuotaScheduler
    records: list[CallRecord]
    transport: XeroTransport


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    clock = FakeClock()
    tokens, alerts = FakeTokens(), FakeAlerts()
    records: list[CallRecord] = []
    quota = QuotaScheduler(QuotaLimits(), clock)
    async with httpx.AsyncClient() as http:
        transport = XeroTransport(
            http=http,
            api_url=API,
            tokens=tokens,
            quota=quota,
            clock=clock,
            max_retries=3,
            alerts=alerts,
            on_call=records.append,
        )
        yield Rig(clock, tokens, alerts, quota, records, transport)


def ok(body: object = None, **headers: str) -> httpx.Response:
    return httpx.Response(200, json=body if body is not None else {"Contacts": []}, headers=headers)


def limited(problem: str | None, retry_after: str | None = None) -> httpx.Response:
    headers = {"Xero-Correlation-Id": "corr-429"}
    if problem is not None:
        headers["X-Rate-Limit-Problem"] = problem
    if retry_after is not None:
        headers["Retry-After"] = retry_after
    return httpx.Response(429, headers=headers)


async def get_contacts(rig: Rig, tenant: TenantRef = ACME, lane: Lane = Lane.INCREMENTAL) -> object:
    response = await rig.transport.request("GET", "/Contacts", tenant=tenant, lane=lane)
    return response.body


# --- request shape -------------------------------------------------------------------------------


@respx.mock
async def test_sends_auth_tenant_and_idempotency_headers(rig: Rig) -> None:
    route = respx.post(f"{API}/Contacts").mock(
        return_value=ok({"Contacts": [{"ContactID": "c1"}]}, **{"Xero-Correlation-Id": "corr-1"})
    )
    response = await rig.transport.request(
        "POST",
        "/Contacts",
        tenant=ACME,
        lane=Lane.OPERATOR,
        params={"summarizeErrors": "false"},
        json={"Contacts": [{"Name": "Ada"}]},
        headers={"Authorization": "caller must not override this"},
        idempotency_key="key-1",
    )
    sent = route.calls.last.request
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["xero-tenant-id"] == "tenant-acme"
    assert sent.headers["Accept"] == "application/json"
    assert sent.headers["User-Agent"] == f"xerowatch/{__version__}"
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.headers["Idempotency-Key"] == "key-1"
    assert sent.url.params["summarizeErrors"] == "false"
    assert response.body == {"Contacts": [{"ContactID": "c1"}]}
    assert response.correlation_id == "corr-1"
    assert route.call_count == 1


@respx.mock
async def test_caller_headers_in_another_case_never_add_a_second_tenant_or_token(rig: Rig) -> None:
    route = respx.get(f"{API}/Contacts").mock(return_value=ok())
    await rig.transport.request(
        "GET",
        "/Contacts",
        tenant=ACME,
        lane=Lane.OPERATOR,
        headers={
            "Xero-Tenant-Id": "tenant-someone-else",
            "authorization": "Bearer not-ours",
            "If-Modified-Since": "Mon, 02 Nov 2026 09:00:00 GMT",
        },
    )
    sent = route.calls.last.request.headers
    assert sent.get_list("xero-tenant-id") == ["tenant-acme"]
    assert sent.get_list("authorization") == [f"Bearer {TOKEN}"]
    assert sent["if-modified-since"] == "Mon, 02 Nov 2026 09:00:00 GMT"


@respx.mock
async def test_get_sends_no_body_headers(rig: Rig) -> None:
    route = respx.get(f"{API}/Contacts").mock(return_value=ok())
    await get_contacts(rig)
    sent = route.calls.last.request
    assert "Content-Type" not in sent.headers
    assert "Idempotency-Key" not in sent.headers


@pytest.mark.parametrize("key", ["", "x" * 129, "has space", "naïve"])
async def test_rejects_a_bad_idempotency_key_before_sending(rig: Rig, key: str) -> None:
    with (
        respx.mock(assert_all_called=False) as mock,
        pytest.raises(ValueError, match=r"(?i)idempotency key"),
    ):
        mock.post(f"{API}/Contacts").mock(return_value=ok())
        await rig.transport.request(
            "POST", "/Contacts", tenant=ACME, lane=Lane.OPERATOR, json={}, idempotency_key=key
        )
    assert rig.records == []


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("get", "/Contacts", "GET /Contacts"),
        ("POST", "/Contacts?summarizeErrors=false", "POST /Contacts"),
        ("GET", "/Invoices/0f3b-11aa/OnlineInvoice", "GET /Invoices/{id}/OnlineInvoice"),
        ("GET", "/Contacts/CN-0042", "GET /Contacts/{id}"),
        ("PUT", "/Invoices/abc/Attachments/file.pdf", "PUT /Invoices/{id}/Attachments/{id}"),
        ("GET", "/Reports/BalanceSheet", "GET /Reports/BalanceSheet"),
        ("GET", "/Reports/9d3c", "GET /Reports/{id}"),
        ("GET", "/Organisation/abc/CISSettings", "GET /Organisation/{id}/CISSettings"),
    ],
)
def test_endpoint_name_replaces_ids(method: str, path: str, expected: str) -> None:
    assert endpoint_name(method, path) == expected


# --- 429 kinds -----------------------------------------------------------------------------------


@respx.mock
async def test_minute_429_pauses_the_tenant_then_the_retry_succeeds(rig: Rig) -> None:
    route = respx.get(f"{API}/Contacts").mock(side_effect=[limited("minute", "30"), ok()])
    assert await get_contacts(rig) == {"Contacts": []}
    assert route.call_count == 2
    assert rig.clock.monotonic() >= 30
    assert [r.status for r in rig.records] == [429, 200]
    assert [r.attempt for r in rig.records] == [1, 2]
    assert rig.quota.snapshot().tenants["tenant-acme"].last_problem == "minute"
    assert rig.alerts.raised == []


@respx.mock
async def test_minute_429_pauses_other_requests_of_the_tenant_too(rig: Rig) -> None:
    respx.get(f"{API}/Contacts").mock(side_effect=[limited("Minute", "20"), ok()])
    respx.get(f"{API}/Invoices").mock(return_value=ok({"Invoices": []}))
    await get_contacts(rig)
    state = rig.quota.snapshot().tenants["tenant-acme"]
    assert state.paused_until is None  # the pause is over once the retry went through
    rig.quota.on_rate_limited("tenant-acme", "minute", 15)
    before = rig.clock.monotonic()
    await rig.transport.request("GET", "/Invoices", tenant=ACME, lane=Lane.OPERATOR)
    assert rig.clock.monotonic() - before >= 15


@respx.mock
async def test_day_429_parks_the_tenant_alerts_and_keeps_serving_others(rig: Rig) -> None:
    acme = respx.get(f"{API}/Contacts", headers={"xero-tenant-id": "tenant-acme"}).mock(
        return_value=limited("day", "66975")
    )
    beta = respx.get(f"{API}/Contacts", headers={"xero-tenant-id": "tenant-beta"}).mock(
        return_value=ok()
    )
    with pytest.raises(XeroRateLimited) as caught:
        await get_contacts(rig, ACME)
    assert caught.value.problem == "day"
    assert caught.value.retry_after == 66975
    assert caught.value.correlation_id == "corr-429"
    assert acme.call_count == 1  # never retried
    assert rig.quota.is_parked("tenant-acme")
    [(kind, tenant, message, fix)] = rig.alerts.raised
    assert (kind, tenant) == ("xero_day_limit", "tenant-acme")
    assert "daily" in message and fix

    assert await get_contacts(rig, BETA) == {"Contacts": []}
    assert beta.call_count == 1

    rig.clock.advance(60)
    with pytest.raises(XeroRateLimited) as again:
        await get_contacts(rig, ACME, Lane.OPERATOR)
    assert again.value.problem == "day"
    assert again.value.retry_after == pytest.approx(66975 - 60)
    assert acme.call_count == 1  # failed fast, no HTTP
    assert len(rig.alerts.raised) == 1  # one alert per park

    rig.clock.advance(66975)
    acme.mock(return_value=ok())
    assert await get_contacts(rig, ACME) == {"Contacts": []}
    assert not rig.quota.is_parked("tenant-acme")


@pytest.mark.parametrize("problem", ["concurrent", "appminute", "something-new", None])
@respx.mock
async def test_other_429s_back_off_and_retry(rig: Rig, problem: str | None) -> None:
    route = respx.get(f"{API}/Contacts").mock(side_effect=[limited(problem), ok()])
    assert await get_contacts(rig) == {"Contacts": []}
    assert route.call_count == 2
    assert rig.clock.monotonic() >= 1  # some backoff happened, in virtual time
    assert rig.alerts.raised == []


@respx.mock
async def test_unknown_429_honours_retry_after(rig: Rig) -> None:
    route = respx.get(f"{API}/Contacts").mock(side_effect=[limited("whatever", "42"), ok()])
    await get_contacts(rig)
    assert route.call_count == 2
    assert rig.clock.monotonic() >= 42


@respx.mock
async def test_minute_429_without_retry_after_waits_a_full_window(rig: Rig) -> None:
    route = respx.get(f"{API}/Contacts").mock(side_effect=[limited("minute"), ok()])
    await get_contacts(rig)
    assert route.call_count == 2
    assert rig.clock.monotonic() >= 60


@respx.mock
async def test_a_minute_429_with_an_endless_retry_after_pauses_a_window_not_forever(
    rig: Rig,
) -> None:
    route = respx.get(f"{API}/Contacts").mock(side_effect=[limited("minute", "inf"), ok()])
    assert await get_contacts(rig) == {"Contacts": []}
    assert route.call_count == 2
    assert 60 <= rig.clock.monotonic() < 120
    assert rig.quota.snapshot().tenants["tenant-acme"].paused_until is None


@respx.mock
async def test_429s_until_retries_run_out_raise_rate_limited(rig: Rig) -> None:
    route = respx.get(f"{API}/Contacts").mock(return_value=limited("minute", "1"))
    with pytest.raises(XeroRateLimited) as caught:
        await get_contacts(rig)
    assert caught.value.problem == "minute"
    assert route.call_count == 4  # 1 + max_retries


# --- transient failures --------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504])
@respx.mock
async def test_5xx_is_retried_then_succeeds(rig: Rig, status: int) -> None:
    route = respx.get(f"{API}/Contacts").mock(side_effect=[httpx.Response(status), ok()])
    assert await get_contacts(rig) == {"Contacts": []}
    assert route.call_count == 2


@respx.mock
async def test_503_retry_after_is_honoured(rig: Rig) -> None:
    busy = httpx.Response(503, headers={"Retry-After": "7"}, text="Service Unavailable")
    route = respx.get(f"{API}/Contacts").mock(side_effect=[busy, ok()])
    await get_contacts(rig)
    assert route.call_count == 2
    assert rig.clock.monotonic() >= 7


@pytest.mark.parametrize(
    "failure", [httpx.ReadTimeout("timed out"), httpx.ConnectError("connection refused")]
)
@respx.mock
async def test_timeouts_and_connection_errors_are_retried(
    rig: Rig, failure: httpx.TransportError
) -> None:
    route = respx.get(f"{API}/Contacts").mock(side_effect=[failure, failure, ok()])
    assert await get_contacts(rig) == {"Contacts": []}
    assert route.call_count == 3
    assert [r.status for r in rig.records] == [None, None, 200]


@respx.mock
async def test_retries_are_bounded_and_carry_the_correlation_id(rig: Rig) -> None:
    failing = httpx.Response(500, headers={"Xero-Correlation-Id": "corr-500"}, text="boom")
    route = respx.get(f"{API}/Contacts").mock(return_value=failing)
    with pytest.raises(XeroTransientError) as caught:
        await get_contacts(rig)
    assert route.call_count == 4
    assert caught.value.correlation_id == "corr-500"
    assert caught.value.status == 500
    assert [r.attempt for r in rig.records] == [1, 2, 3, 4]


@respx.mock
async def test_a_long_retry_after_goes_to_the_caller_instead_of_sleeping(rig: Rig) -> None:
    route = respx.get(f"{API}/Contacts").mock(
        return_value=httpx.Response(503, headers={"Retry-After": "3600"})
    )
    with pytest.raises(XeroTransientError):
        await get_contacts(rig)
    assert route.call_count == 1
    assert rig.clock.monotonic() < 1


# --- permanent errors ----------------------------------------------------------------------------


@respx.mock
async def test_400_parses_per_element_validation_errors(rig: Rig) -> None:
    body = {
        "ErrorNumber": 10,
        "Type": "ValidationException",
        "Message": "A validation exception occurred",
        "Elements": [
            {
                "Name": "Ada",
                "EmailAddress": "not-an-email",
                "ValidationErrors": [
                    {"Message": "Email address must be valid."},
                    {"Message": "Name already used."},
                ],
            },
            {"Name": "Grace", "ValidationErrors": []},
            {"Name": "", "ValidationErrors": [{"Message": "Name is required."}]},
        ],
    }
    response = httpx.Response(400, json=body, headers={"Xero-Correlation-Id": "corr-400"})
    route = respx.post(f"{API}/Contacts").mock(return_value=response)
    with pytest.raises(XeroValidationError) as caught:
        await rig.transport.request(
            "POST", "/Contacts", tenant=ACME, lane=Lane.INCREMENTAL, json={"Contacts": []}
        )
    error = caught.value
    assert route.call_count == 1
    assert error.correlation_id == "corr-400"
    assert error.message == "A validation exception occurred"
    assert [(e.index, e.messages) for e in error.elements] == [
        (0, ["Email address must be valid.", "Name already used."]),
        (2, ["Name is required."]),
    ]
    assert error.elements[0].element == {"Name": "Ada", "EmailAddress": "not-an-email"}


@respx.mock
async def test_400_with_a_non_json_body_is_still_typed(rig: Rig) -> None:
    respx.get(f"{API}/Contacts").mock(return_value=httpx.Response(400, text="<ApiException/>"))
    with pytest.raises(XeroValidationError) as caught:
        await get_contacts(rig)
    assert caught.value.elements == []
    assert "ApiException" in caught.value.message


@respx.mock
async def test_401_forces_one_refresh_then_succeeds(rig: Rig) -> None:
    expired = httpx.Response(
        401, json={"Title": "Unauthorized", "Detail": "TokenExpired: token expired", "Status": 401}
    )
    route = respx.get(f"{API}/Contacts").mock(side_effect=[expired, ok()])
    assert await get_contacts(rig) == {"Contacts": []}
    assert route.call_count == 2
    assert rig.tokens.calls == [False, False, True, False]  # before and inside each slot
    assert route.calls[1].request.headers["Authorization"] == f"Bearer {TOKEN}-1"


@respx.mock
async def test_401_after_the_refresh_is_an_auth_error(rig: Rig) -> None:
    denied = httpx.Response(
        401, json={"Title": "Unauthorized", "Detail": "AuthenticationUnsuccessful"}
    )
    route = respx.get(f"{API}/Contacts").mock(return_value=denied)
    with pytest.raises(XeroAuthError) as caught:
        await get_contacts(rig)
    assert route.call_count == 2
    assert rig.tokens.calls == [False, False, True, False]  # one forced refresh, no more
    assert caught.value.needs_reconnect
    assert caught.value.status == 401
    assert "AuthenticationUnsuccessful" in str(caught.value)


class LostTokens:
    """A connection whose authorisation is gone: every token request fails."""

    async def access_token(self, connection_id: str, *, force_refresh: bool = False) -> str:
        raise XeroAuthError("connection needs reconnecting", needs_reconnect=True)


@respx.mock
async def test_a_call_that_never_got_a_token_is_not_charged_to_the_quota() -> None:
    route = respx.get(f"{API}/Contacts").mock(return_value=ok())
    clock = FakeClock()
    quota = QuotaScheduler(QuotaLimits(), clock)
    async with httpx.AsyncClient() as http:
        transport = XeroTransport(
            http=http, api_url=API, tokens=LostTokens(), quota=quota, clock=clock
        )
        for _ in range(3):  # e.g. three daemon cycles on a broken connection
            with pytest.raises(XeroAuthError):
                await transport.request("GET", "/Contacts", tenant=ACME, lane=Lane.INCREMENTAL)
    assert route.call_count == 0
    state = quota.snapshot().tenants.get("tenant-acme")
    assert state is None or (state.day_used, state.minute_used, state.in_flight) == (0, 0, 0)


@respx.mock
async def test_403_names_the_wrong_tenant_or_disconnection(rig: Rig) -> None:
    forbidden = httpx.Response(
        403,
        json={"Title": "Forbidden", "Detail": "AuthenticationUnsuccessful"},
        headers={"Xero-Correlation-Id": "corr-403"},
    )
    route = respx.get(f"{API}/Contacts").mock(return_value=forbidden)
    with pytest.raises(XeroAuthError) as caught:
        await get_contacts(rig)
    assert route.call_count == 1
    assert "tenant" in caught.value.message and "disconnected" in caught.value.message
    assert caught.value.correlation_id == "corr-403"
    assert caught.value.status == 403


@respx.mock
async def test_404_is_not_found(rig: Rig) -> None:
    missing = httpx.Response(404, text="Not Found", headers={"Xero-Correlation-Id": "corr-404"})
    route = respx.get(f"{API}/Invoices/abc").mock(return_value=missing)
    with pytest.raises(XeroNotFound) as caught:
        await rig.transport.request("GET", "/Invoices/abc", tenant=ACME, lane=Lane.OPERATOR)
    assert route.call_count == 1
    assert caught.value.correlation_id == "corr-404"
    assert rig.records[0].endpoint == "GET /Invoices/{id}"


@respx.mock
async def test_an_unexpected_status_is_a_plain_xero_error(rig: Rig) -> None:
    respx.get(f"{API}/Contacts").mock(return_value=httpx.Response(412, text="TLS 1.0"))
    with pytest.raises(XeroError) as caught:
        await get_contacts(rig)
    assert type(caught.value) is XeroError
    assert caught.value.status == 412


@respx.mock
async def test_the_token_never_appears_in_errors_or_logs(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    failure = httpx.ConnectError(f"refused while sending Authorization: Bearer {TOKEN}")
    respx.get(f"{API}/Contacts").mock(side_effect=failure)
    with pytest.raises(XeroTransientError) as caught:
        await get_contacts(rig)
    assert TOKEN not in str(caught.value)
    assert TOKEN not in repr(caught.value.__cause__)
    assert caplog.records  # the retries were logged ...
    assert TOKEN not in caplog.text  # ... without the token


# --- quota interplay -----------------------------------------------------------------------------


@respx.mock
async def test_minute_remaining_zero_makes_the_next_call_wait(rig: Rig) -> None:
    route = respx.get(f"{API}/Contacts").mock(
        side_effect=[ok(**{"X-MinLimit-Remaining": "0", "X-DayLimit-Remaining": "4000"}), ok()]
    )
    await get_contacts(rig)
    assert rig.clock.monotonic() == 0
    state = rig.quota.snapshot().tenants["tenant-acme"]
    assert (state.minute_remaining, state.day_used) == (0, 1000)
    await get_contacts(rig)
    assert route.call_count == 2
    assert rig.clock.monotonic() >= 60


async def test_never_more_than_five_in_flight_per_tenant() -> None:
    clock = FakeClock()
    in_flight: dict[str, int] = {}
    peak: dict[str, int] = {}

    async def handler(request: httpx.Request) -> httpx.Response:
        tenant = request.headers["xero-tenant-id"]
        in_flight[tenant] = in_flight.get(tenant, 0) + 1
        peak[tenant] = max(peak.get(tenant, 0), in_flight[tenant])
        await clock.sleep(0.5)
        in_flight[tenant] -= 1
        return ok()

    quota = QuotaScheduler(QuotaLimits(), clock)
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        transport = XeroTransport(
            http=http, api_url=API, tokens=FakeTokens(), quota=quota, clock=clock
        )

        async def one(tenant: TenantRef) -> None:
            await transport.request("GET", "/Contacts", tenant=tenant, lane=Lane.BULK)

        async with anyio.create_task_group() as group:
            for n in range(40):
                group.start_soon(one, ACME if n % 2 else BETA)
    assert peak == {"tenant-acme": 5, "tenant-beta": 5}
    assert all(state.in_flight == 0 for state in quota.snapshot().tenants.values())


@respx.mock
async def test_a_cancelled_request_releases_its_slot(rig: Rig) -> None:
    started = anyio.Event()

    async def hang(request: httpx.Request) -> httpx.Response:
        started.set()
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    respx.get(f"{API}/Contacts").mock(side_effect=hang)
    async with anyio.create_task_group() as group:
        group.start_soon(get_contacts, rig)
        await started.wait()
        assert rig.quota.snapshot().tenants["tenant-acme"].in_flight == 1
        group.cancel_scope.cancel()
    assert rig.quota.snapshot().tenants["tenant-acme"].in_flight == 0
    assert [r.status for r in rig.records] == [None]


@respx.mock
async def test_a_failing_on_call_hook_does_not_break_the_request(rig: Rig) -> None:
    def broken(record: CallRecord) -> None:
        raise RuntimeError("metrics down")

    respx.get(f"{API}/Contacts").mock(return_value=ok())
    async with httpx.AsyncClient() as http:
        transport = XeroTransport(
            http=http,
            api_url=API,
            tokens=FakeTokens(),
            quota=rig.quota,
            clock=rig.clock,
            on_call=broken,
        )
        response = await transport.request("GET", "/Contacts", tenant=ACME, lane=Lane.OPERATOR)
    assert response.status == 200


@respx.mock
async def test_our_own_day_count_fails_fast_and_alerts_once(rig: Rig) -> None:
    route = respx.get(f"{API}/Contacts").mock(return_value=ok(**{"X-DayLimit-Remaining": "0"}))
    await get_contacts(rig)  # Xero says this was the last call of the day
    for _ in range(3):
        with pytest.raises(XeroRateLimited) as caught:
            await get_contacts(rig)
        assert (caught.value.problem, caught.value.status) == ("day", None)
    assert route.call_count == 1
    [(kind, _, message, _)] = rig.alerts.raised
    assert kind == "xero_day_limit" and "xerowatch's count" in message
