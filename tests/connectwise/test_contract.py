"""The client's requests and the simulator's answers, validated against openapi.yaml.

The document's server is https://api-na.myconnectwise.net/v4_6_release/apis/3.0, so each
recorded exchange is replayed to openapi-core with that host and the request's full path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from typing import Any

import httpx
import pytest
import yaml
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from xerowatch.clock import FakeClock
from xerowatch.sim.connectwise import ConnectWiseSim
from xerowatch.source.connectwise import ConnectWiseError, batch_identifier
from xerowatch.source.connectwise.accounting import PostKind, document_batch_identifier

from .conftest import MakeAccounting

SPEC_HOST = "https://api-na.myconnectwise.net"
BASE = "/v4_6_release/apis/3.0"


@pytest.fixture(scope="module")
def spec() -> OpenAPI:
    text = resources.files("xerowatch.source.connectwise").joinpath("openapi.yaml")
    return OpenAPI.from_dict(yaml.safe_load(text.read_text("utf-8")))


@dataclass
class Exchange:
    request: httpx.Request
    response: httpx.Response


class RecordingTransport(httpx.AsyncBaseTransport):
    """Pass requests to the simulator and keep each request/response pair."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.exchanges: list[Exchange] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        copy = httpx.Response(response.status_code, headers=response.headers, content=body)
        self.exchanges.append(Exchange(request, copy))
        return copy


def as_mock_request(request: httpx.Request) -> MockRequest:
    return MockRequest(
        SPEC_HOST,
        request.method.lower(),
        request.url.path,
        args=dict(request.url.params),
        headers=dict(request.headers),
        data=request.content or None,
    )


def as_mock_response(response: httpx.Response) -> MockResponse:
    return MockResponse(
        response.content,
        status_code=response.status_code,
        headers=dict(response.headers),
        content_type=response.headers.get("content-type", "application/json"),
    )


async def test_every_request_and_answer_matches_the_document(
    spec: OpenAPI, sim: ConnectWiseSim, make_accounting: MakeAccounting, clock: FakeClock
) -> None:
    sim.seed(customers=6, invoices=30, expenses=4, purchases=5)
    recorder = RecordingTransport(httpx.ASGITransport(app=sim.app))
    accounting = make_accounting(recorder, page_size=10, location_id=1)
    await accounting.system_info()
    invoices = [i async for page in accounting.unposted_invoices(clock.now()) for i in page]
    invoices = [i async for page in accounting.unposted_invoices(None) for i in page]
    exported = await accounting.export_invoices(invoices[:4], batch="preview")
    for invoice, gl in zip(invoices[:2], exported.transactions, strict=False):
        batch = batch_identifier(invoice.invoice_number, invoice.id)
        await accounting.post_invoice(batch, gl.entry_ids)
        await accounting.post_invoice(batch, gl.entry_ids)  # repeat: refused, then counted
    companies = [c async for page in accounting.changed_companies(None) for c in page]
    await accounting.company(companies[0].id)
    await accounting.company(424242)  # 404
    billing = companies[0].billing_contact
    assert billing is not None and billing.id is not None
    await accounting.contact(billing.id)
    for path in ("/finance/accounting/unpostedexpenses", "/finance/accounting/unpostedprocurement"):
        async for _ in accounting.client.pages(path):
            pass
    expense_id, purchase_id = min(sim.records.expenses), min(sim.records.purchases)
    posts: list[tuple[PostKind, int]] = [("expenses", expense_id), ("products", purchase_id)]
    for kind, record_id in posts:
        batch = document_batch_identifier(kind[:1].upper(), str(record_id))
        await accounting.post_records(batch, kind, [record_id])
        await accounting.post_records(batch, kind, [record_id])  # repeat: refused, then counted
    assert sim.records.expenses[expense_id].batch == f"XW-E{expense_id}"
    assert sim.records.purchases[purchase_id].batch == f"XW-P{purchase_id}"
    sim.link_headers = False
    async for _ in accounting.client.pages("/finance/accounting/batches"):
        pass
    await accounting.add_payment(invoices[0].id, Decimal("10.00"), clock.now().date())
    assert [p.amount for p in await accounting.invoice_payments(invoices[0].id)] == [
        Decimal("10.00")
    ]

    paths = {e.request.url.path.removeprefix(BASE) for e in recorder.exchanges}
    assert {
        "/system/info",
        "/finance/accounting/unpostedinvoices",
        "/finance/accounting/export",
        "/finance/accounting/batches",
        "/finance/accounting/batches/count",
        "/company/companies",
        "/company/contacts/" + str(billing.id),
        f"/finance/invoices/{invoices[0].id}/payments",
    } <= paths
    assert {e.response.status_code for e in recorder.exchanges} == {200, 201, 400, 404}
    for exchange in recorder.exchanges:
        request = as_mock_request(exchange.request)
        spec.validate_request(request)
        spec.validate_response(request, as_mock_response(exchange.response))


async def test_error_answers_match_the_document(
    spec: OpenAPI, sim: ConnectWiseSim, make_accounting: MakeAccounting
) -> None:
    recorder = RecordingTransport(httpx.ASGITransport(app=sim.app))
    sim.fail("/system/info", 429, retry_after=1)
    sim.fail("/system/info", 403)
    accounting = make_accounting(recorder)
    with pytest.raises(ConnectWiseError):
        await accounting.system_info()
    with pytest.raises(ConnectWiseError):
        await make_accounting(recorder, private_key="wrong").system_info()
    with pytest.raises(ConnectWiseError):
        await accounting.client.get_json("/company/companies", {"conditions": "id >"})
    statuses = [e.response.status_code for e in recorder.exchanges]
    assert statuses == [429, 403, 401, 400]
    for exchange in recorder.exchanges:
        request = as_mock_request(exchange.request)
        spec.validate_response(request, as_mock_response(exchange.response))


@pytest.mark.parametrize(
    ("path", "args", "body", "error"),
    [
        ("/finance/accounting/unpostedinvoices", {"pageSize": "5000"}, None, "InvalidParameter"),
        ("/finance/accounting/batches", {}, {"batchIdentifier": "x"}, "InvalidRequestBody"),
        (
            "/finance/accounting/batches",
            {},
            {"batchIdentifier": "x" * 51, "processedRecordIds": [1]},
            "InvalidRequestBody",
        ),
        (
            "/finance/accounting/export",
            {},
            {"summarizeInvoices": "Everything", "exportInvoicesFlag": True},
            "InvalidRequestBody",
        ),
    ],
)
def test_the_document_rejects_what_connectwise_would_not_take(
    spec: OpenAPI, path: str, args: dict[str, str], body: dict[str, Any] | None, error: str
) -> None:
    request = MockRequest(
        SPEC_HOST,
        "post" if body is not None else "get",
        BASE + path,
        args=args,
        headers={
            "clientId": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
            "Authorization": "Basic eDp5",
            "Content-Type": "application/json",
        },
        data=json.dumps(body).encode() if body is not None else None,
    )
    with pytest.raises(Exception) as info:
        spec.validate_request(request)
    assert type(info.value).__name__ == error
