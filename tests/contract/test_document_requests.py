"""Every request the document writers and reader send, captured off the real transport and
checked against the official Xero Accounting spec with openapi-core."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.spec import validate_request
from tests.xero.client_rig import TENANT, ClientRig, client_rig, paged_responder, stable_id
from tests.xero.document_fixtures import credit_note, echo, invoice, journal, purchase_order
from xerowatch.xero.document_reads import DocumentReader
from xerowatch.xero.documents import DocumentWriter
from xerowatch.xero.models_documents import InvoiceDraft

pytestmark = [
    pytest.mark.contract,
    pytest.mark.filterwarnings("ignore:Unsupported scheme type:UserWarning"),
]


@pytest.fixture
async def rig() -> AsyncIterator[ClientRig]:
    async with client_rig() as made:
        yield made


def _every_field(number: str) -> InvoiceDraft:
    """An invoice using every field the drafts can carry, at the longest lengths allowed."""
    return invoice(
        number.ljust(255, "0"),
        Contact={"ContactID": str(stable_id("contact"))},
        Reference="R" * 255,
        Status="DRAFT",
        LineAmountTypes="Inclusive",
        LineItems=[
            {
                "ItemCode": "I" * 30,
                "Description": "D" * 4000,
                "Quantity": "1.2345",
                "UnitAmount": "-9.9999",
                "LineAmount": "-12.34",
                "AccountCode": "A" * 10,
                "TaxType": "OUTPUT",
                "Tracking": [
                    {"Name": "N" * 100, "Option": "O" * 100},
                    {"Name": "Second", "Option": "x"},
                ],
            },
            {"Description": "amount only", "LineAmount": 5},
        ],
    )


async def test_document_writes_match_the_spec(openapi: Any, rig: ClientRig) -> None:
    rig.router.post("/Invoices").mock(side_effect=echo("Invoices"))
    rig.router.post("/PurchaseOrders").mock(side_effect=echo("PurchaseOrders"))
    rig.router.put("/ManualJournals").mock(side_effect=echo("ManualJournals"))
    rig.router.put("/CreditNotes").mock(side_effect=echo("CreditNotes"))
    writer = DocumentWriter(rig.spy)
    drafts = [_every_field(f"INV-{i}") for i in range(3)] + [invoice("B-1", kind="ACCPAY")]
    await writer.create_invoices(drafts, tenant=TENANT, idempotency_scope="s")
    await writer.create_purchase_orders(
        [purchase_order("PO-1", Reference="ref", CurrencyCode="NZD", Status="DRAFT")],
        tenant=TENANT,
    )
    await writer.create_manual_journals([journal("CW adj 1")], tenant=TENANT)
    credits = [credit_note("EXP-41"), credit_note("EXPCR-jsmith-2026W45-2", Status="DRAFT")]
    await writer.create_credit_notes(credits, tenant=TENANT, idempotency_scope="c")
    assert [(r.method, r.url.path.rsplit("/", 1)[1]) for r in rig.requests] == [
        ("POST", "Invoices"),
        ("POST", "PurchaseOrders"),
        ("PUT", "ManualJournals"),
        ("PUT", "CreditNotes"),
    ]
    assert rig.requests[-1].url.params["unitdp"] == "4"
    for request in rig.requests:
        assert request.url.params["summarizeErrors"] == "false"
        assert request.headers["Idempotency-Key"]
        validate_request(request)


async def test_document_reads_match_the_spec(openapi: Any, rig: ClientRig) -> None:
    rig.router.get("/TrackingCategories").mock(
        return_value=httpx.Response(200, json={"TrackingCategories": []})
    )
    rig.router.get("/Invoices").mock(side_effect=paged_responder("Invoices", []))
    rig.router.get("/PurchaseOrders").mock(side_effect=paged_responder("PurchaseOrders", []))
    rig.router.get("/ManualJournals").mock(side_effect=paged_responder("ManualJournals", []))
    rig.router.get("/CreditNotes").mock(side_effect=paged_responder("CreditNotes", []))
    reader = DocumentReader(rig.spy)
    await reader.tracking_map(tenant=TENANT)
    await reader.settlements([stable_id(f"i{i}") for i in range(3)], tenant=TENANT)
    await reader.changed_settlements(datetime(2026, 11, 20, 10, 0, 1, tzinfo=UTC), tenant=TENANT)
    await reader.find(
        [
            invoice("INV-1"),
            invoice("INV,2"),  # a comma: looked up by where, not InvoiceNumbers
            purchase_order("PO-1"),
            journal('CW "adj" 1'),
            journal("CW adj 2"),
            credit_note("EXP-41"),
            credit_note('EXP,"42"'),
        ],
        tenant=TENANT,
    )
    paths = [(r.url.path.rsplit("/", 1)[1], sorted(r.url.params)) for r in rig.requests]
    assert paths == [
        ("TrackingCategories", []),
        ("Invoices", ["IDs", "page", "pageSize"]),
        ("Invoices", ["Statuses", "order", "page", "pageSize", "where"]),
        ("Invoices", ["InvoiceNumbers", "page", "pageSize"]),
        ("Invoices", ["page", "pageSize", "where"]),
        ("CreditNotes", ["page", "pageSize", "where"]),
        ("PurchaseOrders", ["DateFrom", "DateTo", "page", "pageSize"]),
        ("ManualJournals", ["page", "pageSize", "where"]),
    ]
    for request in rig.requests:
        validate_request(request)
