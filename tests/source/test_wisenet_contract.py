"""The client's requests and the simulator's answers, validated against openapi.yaml.

The document's server is https://api.wisenet.co/v1, so each recorded exchange is replayed to
openapi-core with that host and the request's full path (which carries the /v1 prefix), whatever
host the test actually used.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from importlib import resources
from typing import Any

import httpx
import pytest
import yaml
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from xerowatch.clock import FakeClock
from xerowatch.records import SourceLineItem, SourcePayment, SourceTransaction
from xerowatch.sim.wisenet import WisenetSim
from xerowatch.source.wisenet import build_wisenet_source
from xerowatch.source.wisenet.writeback import STATUSES_BY_KIND

from .conftest import API_KEY, collect, wisenet_settings

SPEC_HOST = "https://api.wisenet.co"


@pytest.fixture(scope="module")
def spec() -> OpenAPI:
    text = resources.files("xerowatch.source.wisenet").joinpath("openapi.yaml").read_text("utf-8")
    return OpenAPI.from_dict(yaml.safe_load(text))


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


def transactions(learner_id: int) -> list[SourceTransaction]:
    out = []
    for kind, statuses in STATUSES_BY_KIND.items():
        for status in sorted(statuses):
            out.append(
                SourceTransaction(
                    xero_id=f"{kind}-{status}",
                    kind=kind,
                    learner_source_id=str(learner_id),
                    ref_internal=f"DAU{learner_id:07d}",
                    number="INV-1",
                    status=status,
                    date=date(2026, 11, 2),
                    due_date=date(2026, 11, 30),
                    line_items=[SourceLineItem(description="Course", line_amount=Decimal("10"))],
                    total=Decimal("11"),
                    amount_due=Decimal("11"),
                    payments=[SourcePayment(type="ACCRECPAYMENT", amount=Decimal("1"))],
                    updated_utc=datetime(2026, 11, 2, tzinfo=UTC),
                )
            )
    return out


async def test_every_request_and_answer_matches_the_document(spec: OpenAPI) -> None:
    clock = FakeClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    sim = WisenetSim(clock=clock, api_key=API_KEY)
    ids = sim.seed_awkward()
    sim.seed_learners(30)
    recorder = RecordingTransport(httpx.ASGITransport(app=sim.app))
    async with httpx.AsyncClient(transport=recorder) as http:
        source = build_wisenet_source(wisenet_settings(page_size=20), clock=clock, http=http)
        cursor = (await collect(source, None))[-1].cursor
        clock.advance(60)
        sim.data.delete_learner(ids["clean"])
        sim.data.update_learner(ids["unicode"], {"Personal": {"FirstName": "Zoé"}})
        await collect(source, cursor)
        await source.get_learner(str(ids["po_box"]))
        await source.get_learner("424242")  # 404
        for transaction in transactions(ids["po_box"]):
            await source.write_transaction(transaction)
        await http.get(
            f"{wisenet_settings().base_url}/invoices/invoice-PAID", headers={"x-api-key": API_KEY}
        )

    paths = {e.request.url.path for e in recorder.exchanges}
    assert {
        "/v1/learnersAU",
        "/v1/combos/states",
        "/v1/combos/countries",
        "/v1/audit-logs",
    } <= paths
    assert sum(e.request.method == "PUT" for e in recorder.exchanges) == len(transactions(1))
    for exchange in recorder.exchanges:
        request = as_mock_request(exchange.request)
        spec.validate_request(request)
        spec.validate_response(request, as_mock_response(exchange.response))


async def test_error_answers_match_the_document(spec: OpenAPI) -> None:
    clock = FakeClock()
    sim = WisenetSim(clock=clock, api_key=API_KEY, per_second=1)
    headers = {"x-api-key": API_KEY}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sim.app)) as http:
        base = wisenet_settings().base_url
        answers = [
            await http.get(f"{base}/learnersAU", headers={"x-api-key": "wrong"}),
            await http.get(f"{base}/learnersAU", headers=headers),
            await http.get(f"{base}/learnersAU", headers=headers),  # second in a second: 429
        ]
        clock.advance(1)
        answers.append(await http.get(f"{base}/learnersAU/5", headers=headers))
        clock.advance(1)
        sim.audit_logs_status = 403
        answers.append(await http.get(f"{base}/audit-logs", headers=headers))
    assert [a.status_code for a in answers] == [401, 200, 429, 404, 403]
    for answer in answers:
        spec.validate_response(as_mock_request(answer.request), as_mock_response(answer))


_INVOICE = {"InvoiceId": "x", "LearnerId": 1, "SourceAppKey": "xerowatch", "Status": "PAID"}


@pytest.mark.parametrize(
    ("path", "args", "body", "error"),
    [
        ("/v1/learnersAU", {"take": "5000"}, None, "InvalidParameter"),
        (
            "/v1/learnersAU",
            {"lastModifiedTimeStampFilter": "gt:yesterday"},
            None,
            "InvalidParameter",
        ),
        ("/v1/invoices/x", {}, {**_INVOICE, "Currency": "AUD"}, "InvalidRequestBody"),
        ("/v1/invoices/x", {}, {**_INVOICE, "Status": "OPEN"}, "InvalidRequestBody"),
        ("/v1/invoices/x", {}, {**_INVOICE, "Date": "2026-11-02"}, "InvalidRequestBody"),
    ],
)
def test_the_document_rejects_what_wisenet_would_not_take(
    spec: OpenAPI, path: str, args: dict[str, str], body: dict[str, Any] | None, error: str
) -> None:
    request = MockRequest(
        SPEC_HOST,
        "put" if body is not None else "get",
        path,
        args=args,
        headers={"x-api-key": "k"},
        data=json.dumps(body).encode() if body is not None else None,
    )
    with pytest.raises(Exception) as info:
        spec.validate_request(request)
    assert type(info.value).__name__ == error
