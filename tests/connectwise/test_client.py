"""The ConnectWise client against the simulator: headers, paging, throttling, retries, errors."""

from __future__ import annotations

import base64
import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from xerowatch.clock import FakeClock
from xerowatch.sim.connectwise import ConnectWiseSim
from xerowatch.source.connectwise import (
    ConnectWiseAccounting,
    ConnectWiseAuthError,
    ConnectWiseClient,
    ConnectWiseError,
)
from xerowatch.source.connectwise.accounting import UNPOSTED_INVOICES
from xerowatch.source.port import SourceError

from .conftest import MakeAccounting, cw_settings

PATH = "/v4_6_release/apis/3.0/finance/accounting/unpostedinvoices"


class Recorder(httpx.AsyncBaseTransport):
    """Pass requests to the simulator and keep them."""

    def __init__(self, sim: ConnectWiseSim) -> None:
        self.inner = httpx.ASGITransport(app=sim.app)
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await self.inner.handle_async_request(request)


async def _all_ids(accounting: ConnectWiseAccounting, since: datetime | None = None) -> list[int]:
    return [i.id async for page in accounting.unposted_invoices(since) for i in page]


async def test_every_request_carries_basic_auth_client_id_and_the_pinned_version(
    sim: ConnectWiseSim, make_accounting: MakeAccounting
) -> None:
    sim.seed(customers=2, invoices=3)
    recorder = Recorder(sim)
    accounting = make_accounting(recorder, api_version="2025.8")
    await accounting.system_info()
    await _all_ids(accounting)
    assert recorder.requests
    for request in recorder.requests:
        scheme, _, value = request.headers["authorization"].partition(" ")
        assert scheme == "Basic"
        assert base64.b64decode(value).decode() == "xerowatch+sim-public:sim-private"
        assert request.headers["clientid"] == sim.client_id
        assert request.headers["accept"] == "application/vnd.connectwise.com+json; version=2025.8"
    assert accounting.client.server_version == "2025.16"


@pytest.mark.parametrize("links", ["forward-only", "none", "drop-conditions"])
async def test_paging_reads_every_record_once_in_the_minimum_calls(
    sim: ConnectWiseSim, make_accounting: MakeAccounting, links: str
) -> None:
    ids = sim.seed(customers=5, invoices=103)
    sim.link_headers = links != "none"
    sim.links_drop_conditions = links == "drop-conditions"
    accounting = make_accounting(page_size=25)
    since = datetime(2000, 1, 1, tzinfo=UTC)
    got = await _all_ids(accounting, since)
    assert got == sorted(ids)
    # 103 records in pages of 25: 5 pages; without Link, the short 5th page says it is the last
    assert accounting.client.requests_sent == math.ceil(103 / 25)
    lists = [r for r in sim.requests if r.path == PATH]
    assert all(
        "_info/lastUpdated >= [2000-01-01T00:00:00Z]" in r.query["conditions"] for r in lists
    )
    assert all(r.query["orderBy"] == "id asc" for r in lists)


@pytest.mark.parametrize(("links", "calls"), [(True, 2), (False, 3)])
async def test_an_exact_multiple_of_the_page_size_needs_an_empty_page_only_without_links(
    sim: ConnectWiseSim, make_accounting: MakeAccounting, links: bool, calls: int
) -> None:
    sim.seed(customers=2, invoices=50)
    sim.link_headers = links
    accounting = make_accounting(page_size=25)
    assert len(await _all_ids(accounting)) == 50
    assert accounting.client.requests_sent == calls


async def test_records_posted_while_paging_never_shift_a_page(
    sim: ConnectWiseSim, make_accounting: MakeAccounting
) -> None:
    ids = sim.seed(customers=3, invoices=60)
    accounting = make_accounting(page_size=20)
    seen: list[int] = []
    async for page in accounting.unposted_invoices(None):
        seen += [i.id for i in page]
        for invoice in page[:5]:  # post some of what was read, as the stream does
            sim.records.invoices[invoice.id].batch = "elsewhere"
    assert seen == sorted(ids)


async def test_incremental_read_takes_only_what_changed_since_the_cursor(
    sim: ConnectWiseSim, make_accounting: MakeAccounting, clock: FakeClock
) -> None:
    ids = sim.seed(customers=3, invoices=10)
    cursor = clock.now()
    clock.advance(60)
    sim.records.invoices[ids[3]].updated = clock.now()
    sim.records.invoices[ids[7]].updated = clock.now()
    assert await _all_ids(make_accounting(), cursor) == [ids[3], ids[7]]


async def test_location_filter_keeps_other_billing_locations_out(
    sim: ConnectWiseSim, make_accounting: MakeAccounting
) -> None:
    ids = sim.seed(customers=3, invoices=6)
    sim.records.invoices[ids[1]].location_id = 2
    assert await _all_ids(make_accounting(location_id=2)) == [ids[1]]
    assert ids[1] not in await _all_ids(make_accounting(location_id=1))


async def test_429_waits_the_retry_after_connectwise_sends(
    sim: ConnectWiseSim, make_accounting: MakeAccounting, clock: FakeClock
) -> None:
    sim.seed(customers=1, invoices=2)
    sim.fail("/unpostedinvoices", 429, retry_after=17, times=2)
    accounting = make_accounting()
    before = clock.monotonic()
    assert len(await _all_ids(accounting)) == 2
    assert clock.monotonic() - before == pytest.approx(34)
    assert accounting.client.requests_sent == 3


async def test_server_errors_are_retried_then_given_up_as_transient(
    sim: ConnectWiseSim, make_accounting: MakeAccounting
) -> None:
    sim.seed(customers=1, invoices=2)
    sim.fail("/unpostedinvoices", 503, times=2)
    accounting = make_accounting(max_attempts=3)
    assert len(await _all_ids(accounting)) == 2
    sim.fail("/unpostedinvoices", 500, times=5)
    with pytest.raises(SourceError) as info:
        await _all_ids(accounting)
    assert info.value.transient
    assert "gave up after 3 attempts" in str(info.value)
    assert accounting.client.requests_sent == 3 + 3


async def test_network_failure_names_the_site_and_the_keys_to_check(
    make_accounting: MakeAccounting,
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    accounting = make_accounting(httpx.MockTransport(refuse), max_attempts=2)
    with pytest.raises(SourceError) as info:
        await accounting.system_info()
    assert "cannot reach ConnectWise at http://cw.test/v4_6_release/apis/3.0" in str(info.value)
    assert "[connectwise] site_url and codebase" in str(info.value)


async def test_wrong_keys_are_an_auth_error_naming_what_to_check(
    make_accounting: MakeAccounting,
) -> None:
    accounting = make_accounting(private_key="wrong")
    with pytest.raises(ConnectWiseAuthError) as info:
        await accounting.system_info()
    message = str(info.value)
    assert "HTTP 401" in message and "Unauthorized" in message
    assert "company_id and the API member's public/private keys" in message
    assert "wrong" not in message
    assert accounting.client.requests_sent == 1


async def test_forbidden_names_the_security_role(
    sim: ConnectWiseSim, make_accounting: MakeAccounting
) -> None:
    sim.fail("/unpostedinvoices", 403)
    with pytest.raises(ConnectWiseError) as info:
        await _all_ids(make_accounting())
    assert info.value.status == 403 and not info.value.transient
    assert "security role" in str(info.value)


async def test_a_validation_error_names_the_field_connectwise_named(
    make_accounting: MakeAccounting,
) -> None:
    accounting = make_accounting()
    with pytest.raises(ConnectWiseError) as info:
        await accounting.client.post_json("/finance/accounting/batches", {"batchIdentifier": "x"})
    assert info.value.status == 400
    assert "processedRecordIds: required" in str(info.value)
    with pytest.raises(ConnectWiseError, match="pageSize must be between 1 and 1000"):
        await accounting.client.get_json(UNPOSTED_INVOICES, {"pageSize": 5000})


async def test_a_body_that_is_not_json_is_one_clear_line() -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(200, text="<html>login</html>"))
    async with httpx.AsyncClient(transport=transport) as http:
        client = ConnectWiseClient(cw_settings(), clock=FakeClock(), http=http)
        with pytest.raises(SourceError, match=r"not JSON \(is \[connectwise\] site_url"):
            await client.get_json("/system/info")


async def test_a_server_that_ignores_paging_is_stopped_not_looped(
    make_accounting: MakeAccounting,
) -> None:
    page = [{"id": n, "invoiceNumber": str(n)} for n in range(1, 26)]
    transport = httpx.MockTransport(lambda r: httpx.Response(200, json=page))
    accounting = make_accounting(transport, page_size=25)
    with pytest.raises(SourceError, match="paging is not honoured"):
        await _all_ids(accounting)
    assert accounting.client.requests_sent == 2


async def test_money_is_read_as_exact_decimals(
    sim: ConnectWiseSim, make_accounting: MakeAccounting
) -> None:
    sim.seed(customers=1, invoices=5)
    accounting = make_accounting()
    invoices = [i async for page in accounting.unposted_invoices(None) for i in page]
    for invoice in invoices:
        assert invoice.total == sim.records.invoices[invoice.id].total
        assert invoice.total is not None and invoice.total == invoice.total.quantize(
            Decimal("0.01")
        )


async def test_cursor_datetimes_are_sent_in_utc_whole_seconds(
    sim: ConnectWiseSim, make_accounting: MakeAccounting
) -> None:
    from zoneinfo import ZoneInfo

    since = datetime(2026, 11, 2, 20, 30, 15, 999, tzinfo=ZoneInfo("Australia/Sydney"))
    await _all_ids(make_accounting(), since)
    sent = sim.requests[-1].query["conditions"]
    assert sent == "_info/lastUpdated >= [2026-11-02T09:30:15Z]"
    assert since - timedelta(microseconds=999) == datetime(2026, 11, 2, 9, 30, 15, tzinfo=UTC)
