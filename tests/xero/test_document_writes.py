"""DocumentWriter: ≤ 50 per call, summarizeErrors=false, idempotency keys, per-draft results."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest

from tests.xero.client_rig import TENANT, ClientRig, client_rig, stable_id
from tests.xero.document_fixtures import echo, invoice, journal, purchase_order, rejected, saved
from xerowatch.xero.documents import DocumentWriter
from xerowatch.xero.errors import XeroAuthError
from xerowatch.xero.write_results import WriteStatus


@pytest.fixture
async def rig() -> AsyncIterator[ClientRig]:
    async with client_rig() as made:
        yield made


async def test_120_invoices_go_in_3_calls_with_one_result_each(rig: ClientRig) -> None:
    route = rig.router.post("/Invoices").mock(side_effect=echo("Invoices"))
    drafts = [invoice(f"INV-{i}", kind="ACCPAY" if i % 2 else "ACCREC") for i in range(120)]
    results = await DocumentWriter(rig.spy).create_invoices(drafts, tenant=TENANT)
    assert route.call_count == 3
    assert [len(json.loads(r.content)["Invoices"]) for r in rig.requests] == [50, 50, 20]
    assert [r.index for r in results] == list(range(120))
    assert all(r.ok and r.totals_differ is None for r in results)
    assert results[7].key == "INV-7"
    assert results[7].xero_id == stable_id("Invoices-INV-7")
    assert results[7].total == Decimal("20.01")  # 2 x 10.005 rounds half away from zero
    for request in rig.requests:
        assert request.url.params["summarizeErrors"] == "false"
        assert request.url.params["unitdp"] == "4"
    keys = {r.headers["Idempotency-Key"] for r in rig.requests}
    assert len(keys) == 3


async def test_the_same_batch_and_scope_sends_the_same_keys_and_another_scope_does_not(
    rig: ClientRig,
) -> None:
    rig.router.post("/Invoices").mock(side_effect=echo("Invoices"))
    writer = DocumentWriter(rig.spy)
    drafts = [invoice("INV-1"), invoice("INV-2")]
    await writer.create_invoices(drafts, tenant=TENANT, idempotency_scope="batch-1")
    await writer.create_invoices(drafts, tenant=TENANT, idempotency_scope="batch-1")
    await writer.create_invoices(drafts, tenant=TENANT, idempotency_scope="batch-2")
    keys = [r.headers["Idempotency-Key"] for r in rig.requests]
    assert keys[0] == keys[1] != keys[2]


async def test_one_bad_invoice_does_not_block_the_others(rig: ClientRig) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content)["Invoices"]
        answer = [
            rejected("Invoices", e, "Invoice # must be unique.")
            if e["InvoiceNumber"] == "INV-1"
            else saved("Invoices", e)
            for e in sent
        ]
        return httpx.Response(200, json={"Invoices": answer})

    rig.router.post("/Invoices").mock(side_effect=respond)
    results = await DocumentWriter(rig.spy).create_invoices(
        [invoice("INV-0"), invoice("INV-1"), invoice("INV-2")], tenant=TENANT
    )
    assert [r.status for r in results] == [WriteStatus.OK, WriteStatus.REJECTED, WriteStatus.OK]
    assert results[1].messages == ("Invoice # must be unique.",)
    assert results[1].xero_id is None
    assert results[0].correlation_id == results[2].correlation_id


async def test_answers_out_of_order_or_without_an_id_are_failed_not_linked(rig: ClientRig) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content)["Invoices"]
        first, second = saved("Invoices", sent[0]), saved("Invoices", sent[1])
        del second["InvoiceID"]
        return httpx.Response(200, json={"Invoices": [second, first]})

    rig.router.post("/Invoices").mock(side_effect=respond)
    results = await DocumentWriter(rig.spy).create_invoices(
        [invoice("INV-0"), invoice("INV-1")], tenant=TENANT
    )
    assert [r.status for r in results] == [WriteStatus.FAILED, WriteStatus.FAILED]


async def test_a_total_that_differs_from_the_lines_is_flagged(rig: ClientRig) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content)["Invoices"]
        return httpx.Response(200, json={"Invoices": [saved("Invoices", sent[0], Total=20.0)]})

    rig.router.post("/Invoices").mock(side_effect=respond)
    [result] = await DocumentWriter(rig.spy).create_invoices([invoice("INV-0")], tenant=TENANT)
    assert result.ok
    assert result.totals_differ == "Xero's Total is 20.0, the lines add up to 20.01"


async def test_an_auth_error_stops_the_batch_and_the_rest_are_not_sent(rig: ClientRig) -> None:
    rig.router.post("/Invoices").mock(return_value=httpx.Response(403, json={"Title": "Forbidden"}))
    drafts = [invoice(f"INV-{i}") for i in range(60)]
    results = await DocumentWriter(rig.spy).create_invoices(drafts, tenant=TENANT)
    assert len(rig.requests) == 1
    assert {r.status for r in results[:50]} == {WriteStatus.FAILED}
    assert {r.status for r in results[50:]} == {WriteStatus.NOT_SENT}
    assert isinstance(results[55].error, XeroAuthError)


async def test_a_whole_request_400_rejects_the_drafts_it_names_and_fails_the_rest(
    rig: ClientRig,
) -> None:
    body = {
        "ErrorNumber": 10,
        "Type": "ValidationException",
        "Message": "A validation exception occurred",
        "Elements": [
            {
                "InvoiceNumber": "INV-1",
                "ValidationErrors": [{"Message": "Account code '999' is not a valid code"}],
            }
        ],
    }
    rig.router.post("/Invoices").mock(return_value=httpx.Response(400, json=body))
    results = await DocumentWriter(rig.spy).create_invoices(
        [invoice("INV-0"), invoice("INV-1")], tenant=TENANT
    )
    assert [r.status for r in results] == [WriteStatus.FAILED, WriteStatus.REJECTED]
    assert results[1].messages == ("Account code '999' is not a valid code",)


async def test_purchase_orders_post_and_refuse_four_place_unit_amounts_locally(
    rig: ClientRig,
) -> None:
    route = rig.router.post("/PurchaseOrders").mock(side_effect=echo("PurchaseOrders"))
    odd = purchase_order(
        "PO-2", LineItems=[{"Description": "x", "Quantity": 1, "UnitAmount": "1.2345"}]
    )
    results = await DocumentWriter(rig.spy).create_purchase_orders(
        [purchase_order("PO-1"), odd], tenant=TENANT
    )
    assert route.call_count == 1
    assert len(json.loads(rig.requests[0].content)["PurchaseOrders"]) == 1
    assert "unitdp" not in rig.requests[0].url.params
    assert results[0].ok and results[0].xero_id == stable_id("PurchaseOrders-PO-1")
    assert results[0].total == Decimal("299.85")
    assert results[1].status is WriteStatus.REJECTED
    assert "more than 2 decimal places" in results[1].messages[0]


async def test_manual_journals_are_put_and_keyed_by_narration(rig: ClientRig) -> None:
    route = rig.router.put("/ManualJournals").mock(side_effect=echo("ManualJournals"))
    results = await DocumentWriter(rig.spy).create_manual_journals(
        [journal("CW adj 1"), journal("CW adj 2")], tenant=TENANT
    )
    assert route.call_count == 1
    assert rig.requests[0].url.params["summarizeErrors"] == "false"
    assert "Idempotency-Key" in rig.requests[0].headers
    assert [r.key for r in results] == ["CW adj 1", "CW adj 2"]
    assert all(r.ok and r.total is None for r in results)


async def test_a_draft_of_the_wrong_kind_is_refused_without_a_call(rig: ClientRig) -> None:
    writer = DocumentWriter(rig.spy)
    results = await writer.create_invoices([journal("x")], tenant=TENANT)  # type: ignore[list-item]
    assert results[0].status is WriteStatus.REJECTED
    assert rig.requests == []


async def test_an_empty_list_makes_no_call(rig: ClientRig) -> None:
    assert await DocumentWriter(rig.spy).create_invoices([], tenant=TENANT) == []
    assert rig.requests == []
