"""DocumentReader: tracking names → options, payments on invoices, finding documents by key."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.xero.client_rig import TENANT, ClientRig, client_rig, paged_responder, stable_id
from tests.xero.document_fixtures import credit_note, invoice, journal, purchase_order
from xerowatch.xero.document_reads import (
    DocumentReader,
    TrackingError,
    TrackingMap,
    id_read_calls,
)
from xerowatch.xero.models_saved import TrackingCategory


def _by_ids(invoices: list[dict[str, Any]]) -> Callable[[httpx.Request], httpx.Response]:
    """A GET /Invoices responder serving, paged, the invoices whose ID the request lists."""

    def respond(request: httpx.Request) -> httpx.Response:
        wanted = request.url.params["IDs"].split(",")
        serve = paged_responder("Invoices", [i for i in invoices if i["InvoiceID"] in wanted])
        answer: httpx.Response = serve(request)
        return answer

    return respond


@pytest.fixture
async def rig() -> AsyncIterator[ClientRig]:
    async with client_rig() as made:
        yield made


def _categories() -> list[dict[str, object]]:
    return [
        {
            "TrackingCategoryID": str(stable_id("region")),
            "Name": "Region",
            "Status": "ACTIVE",
            "Options": [
                {"Name": "North", "Status": "ACTIVE"},
                {"Name": "Old", "Status": "ARCHIVED"},
            ],
        },
        {"Name": "Closed", "Status": "ARCHIVED", "Options": [{"Name": "A", "Status": "ACTIVE"}]},
    ]


async def test_the_tracking_map_resolves_names_case_insensitively_in_one_call(
    rig: ClientRig,
) -> None:
    rig.router.get("/TrackingCategories").mock(
        return_value=httpx.Response(200, json={"TrackingCategories": _categories()})
    )
    tracking = await DocumentReader(rig.spy).tracking_map(tenant=TENANT)
    assert len(rig.requests) == 1
    assert tracking.resolve("region", "NORTH") == ("Region", "North")
    with pytest.raises(TrackingError, match="no active option 'Old'"):
        tracking.resolve("Region", "Old")
    with pytest.raises(
        TrackingError, match=r"no active tracking category 'Closed' \(it has: Region\)"
    ):
        tracking.resolve("Closed", "A")


def test_an_empty_tracking_map_says_there_are_none() -> None:
    with pytest.raises(TrackingError, match="it has: none"):
        TrackingMap.of([TrackingCategory(name="X", status="DELETED")]).resolve("X", "Y")


async def test_settlements_read_payments_of_many_invoices_in_few_calls(rig: ClientRig) -> None:
    ids = [stable_id(f"inv-{i}") for i in range(80)]
    invoices = [
        {
            "InvoiceID": str(i),
            "InvoiceNumber": f"INV-{n}",
            "Type": "ACCREC",
            "Status": "AUTHORISED",
            "AmountPaid": 10,
            "AmountDue": 5.5,
            "AmountCredited": 0,
            "Payments": [
                {"PaymentID": str(stable_id(f"pay-{n}")), "Amount": 10, "Date": "2026-11-20"},
                {"PaymentID": str(stable_id(f"del-{n}")), "Amount": 3, "Status": "DELETED"},
            ],
        }
        for n, i in enumerate(ids)
    ]

    rig.router.get("/Invoices").mock(side_effect=_by_ids(invoices))
    found = await DocumentReader(rig.spy).settlements(ids, tenant=TENANT)
    assert set(found) == set(ids)
    assert len(rig.requests) == 3  # ~35 GUIDs fit one URL
    one = found[ids[3]]
    assert one.amount_paid == Decimal(10) and one.amount_due == Decimal("5.5")
    assert [p.payment_id for p in one.payments] == [stable_id("pay-3")]


async def test_find_matches_invoices_by_type_and_number_and_skips_voided(rig: ClientRig) -> None:
    listed = [
        {
            "InvoiceID": str(stable_id("a")),
            "InvoiceNumber": "INV-1",
            "Type": "ACCREC",
            "Status": "AUTHORISED",
        },
        {
            "InvoiceID": str(stable_id("b")),
            "InvoiceNumber": "INV-1",
            "Type": "ACCPAY",
            "Status": "AUTHORISED",
        },
        {
            "InvoiceID": str(stable_id("c")),
            "InvoiceNumber": "INV-2",
            "Type": "ACCREC",
            "Status": "VOIDED",
        },
    ]
    route = rig.router.get("/Invoices").mock(side_effect=paged_responder("Invoices", listed))
    found = await DocumentReader(rig.spy).find(
        [invoice("INV-1"), invoice("INV-2"), invoice("INV-3")], tenant=TENANT
    )
    assert found == {"accrec:inv-1": [stable_id("a")]}
    assert route.calls[0].request.url.params["InvoiceNumbers"] == "INV-1,INV-2,INV-3"


async def test_find_looks_purchase_orders_up_by_date_and_journals_by_narration(
    rig: ClientRig,
) -> None:
    orders = rig.router.get("/PurchaseOrders").mock(
        side_effect=paged_responder(
            "PurchaseOrders",
            [
                {
                    "PurchaseOrderID": str(stable_id("po")),
                    "PurchaseOrderNumber": "PO-1",
                    "Status": "AUTHORISED",
                }
            ],
        )
    )
    journals = rig.router.get("/ManualJournals").mock(
        side_effect=paged_responder(
            "ManualJournals",
            [
                {
                    "ManualJournalID": str(stable_id("mj")),
                    "Narration": "CW adj 1",
                    "Status": "POSTED",
                }
            ],
        )
    )
    found = await DocumentReader(rig.spy).find(
        [purchase_order("PO-1"), purchase_order("PO-2"), journal("CW adj 1"), journal("CW adj 2")],
        tenant=TENANT,
    )
    assert found == {"po-1": [stable_id("po")], "cw adj 1": [stable_id("mj")]}
    assert orders.call_count == 1  # both orders share a date
    assert orders.calls[0].request.url.params["DateFrom"] == "2026-11-03"
    assert journals.calls[0].request.url.params["where"] == (
        '(Narration=="CW adj 1") OR (Narration=="CW adj 2")'
    )


async def test_find_matches_bills_by_supplier_as_well(rig: ClientRig) -> None:
    def bill(label: str, contact: str) -> dict[str, object]:
        return {
            "InvoiceID": str(stable_id(label)),
            "InvoiceNumber": "B-1",
            "Type": "ACCPAY",
            "Status": "AUTHORISED",
            "Contact": {"ContactID": str(stable_id(contact)), "ContactNumber": contact},
        }

    listed = [bill("ours", "V-1"), bill("theirs", "V-2")]
    rig.router.get("/Invoices").mock(side_effect=paged_responder("Invoices", listed))
    drafts = [
        invoice("B-1", kind="ACCPAY", Contact={"ContactNumber": "v-1"}),
        invoice("B-1", kind="ACCPAY", Contact={"ContactID": str(stable_id("V-2"))}),
        invoice("B-1", kind="ACCPAY", Contact={"ContactNumber": "V-3"}),
    ]
    found = await DocumentReader(rig.spy).find(drafts, tenant=TENANT)
    assert found == {
        "accpay:#v-1:b-1": [stable_id("ours")],
        f"accpay:{stable_id('V-2')}:b-1": [stable_id("theirs")],
    }


def _changed(n: int, minute: int = 0) -> dict[str, Any]:
    return {
        "InvoiceID": str(stable_id(f"changed-{n}")),
        "InvoiceNumber": f"INV-{n}",
        "Type": "ACCREC",
        "Status": "AUTHORISED",
        "AmountDue": 1,
        "UpdatedDateUTC": f"2026-11-20T10:{minute:02d}:00",
        "Payments": [{"PaymentID": str(stable_id(f"p-{n}")), "Amount": 2, "Date": "2026-11-20"}],
    }


async def test_changed_settlements_read_1000_a_page_since_the_watermark(rig: ClientRig) -> None:
    invoices = [_changed(n, minute=n % 60) for n in range(2345)]
    rig.router.get("/Invoices").mock(side_effect=paged_responder("Invoices", invoices))
    since = datetime(2026, 11, 20, 9, 59, 30, tzinfo=UTC)
    read = await DocumentReader(rig.spy).changed_settlements(since, tenant=TENANT)
    assert read is not None and read.complete
    assert read.calls == len(rig.requests) == 3  # ceil(2,345 / 1,000)
    assert len(read.found) == 2345
    assert read.mark == datetime(2026, 11, 20, 10, 59, tzinfo=UTC)
    for request in rig.requests:
        assert request.headers["If-Modified-Since"] == "2026-11-20T09:59:30.000+00:00"
        assert request.url.params["where"] == 'Type=="ACCREC"'
        assert request.url.params["Statuses"] == "AUTHORISED,PAID"
        assert request.url.params["order"] == "UpdatedDateUTC ASC"
        assert request.url.params["pageSize"] == "1000"


async def test_a_changed_read_that_came_back_short_of_xeros_count_is_not_complete(
    rig: ClientRig,
) -> None:
    """A change during the read shifted an invoice past a page boundary: Xero counted it, the
    read never saw it, so its watermark must not be trusted."""
    invoices = [_changed(n) for n in range(1500)]

    def respond(request: httpx.Request) -> httpx.Response:
        answer: httpx.Response = paged_responder("Invoices", invoices)(request)
        if request.url.params["page"] == "1":
            invoices.pop(0)  # paid again meanwhile: it moved to the end of the list…
            invoices.append(_changed(0, minute=59))  # …so page 2 starts one later
        return answer

    rig.router.get("/Invoices").mock(side_effect=respond)
    read = await DocumentReader(rig.spy).changed_settlements(None, tenant=TENANT)
    assert read is not None and not read.complete
    assert len(read.found) == 1499  # invoice 1000 slipped onto the page already read
    assert "If-Modified-Since" not in rig.requests[0].headers


async def test_a_changed_read_gives_up_after_one_call_when_ids_would_be_cheaper(
    rig: ClientRig,
) -> None:
    invoices = [_changed(n) for n in range(3001)]
    rig.router.get("/Invoices").mock(side_effect=paged_responder("Invoices", invoices))
    reader = DocumentReader(rig.spy)
    assert await reader.changed_settlements(None, tenant=TENANT, give_up_over=3) is None
    assert len(rig.requests) == 1
    read = await reader.changed_settlements(None, tenant=TENANT, give_up_over=4)
    assert read is not None and read.calls == 4


async def test_id_reads_cost_what_id_read_calls_says_and_mark_their_first_answer(
    rig: ClientRig,
) -> None:
    invoices = [_changed(n, minute=n // 35) for n in range(80)]  # later calls, newer
    ids = [stable_id(f"changed-{n}") for n in range(80)]

    rig.router.get("/Invoices").mock(side_effect=_by_ids(invoices))
    read = await DocumentReader(rig.spy).settlements_by_id(ids, tenant=TENANT)
    assert read.calls == len(rig.requests) == id_read_calls(80) == 3
    assert [id_read_calls(n) for n in (0, 1, 35)] == [0, 1, 1]
    first = len(rig.requests[0].url.params["IDs"].split(","))
    assert (
        read.mark
        == datetime(2026, 11, 20, 10, (first - 1) // 35, tzinfo=UTC)
        < max(datetime(2026, 11, 20, 10, n // 35, tzinfo=UTC) for n in range(80))
    )


async def test_find_matches_supplier_credit_notes_by_type_number_and_supplier(
    rig: ClientRig,
) -> None:
    def note(key: str, number: str, contact: str, **extra: Any) -> dict[str, Any]:
        return {
            "CreditNoteID": str(stable_id(key)),
            "CreditNoteNumber": number,
            "Type": "ACCPAYCREDIT",
            "Status": "AUTHORISED",
            "Contact": {"ContactID": str(stable_id(contact)), "ContactNumber": contact},
            **extra,
        }

    listed = [
        note("mine", "EXP-1", "CWM-jsmith"),
        note("other supplier", "EXP-1", "CWM-apatel"),
        note("customer credit", "EXP-1", "CWM-jsmith", Type="ACCRECCREDIT"),
        note("voided", "EXP-2", "CWM-jsmith", Status="VOIDED"),
    ]
    route = rig.router.get("/CreditNotes").mock(side_effect=paged_responder("CreditNotes", listed))
    found = await DocumentReader(rig.spy).find(
        [credit_note("EXP-1"), credit_note("EXP-2"), credit_note("EXP-3")], tenant=TENANT
    )
    assert found == {"accpaycredit:#cwm-jsmith:exp-1": [stable_id("mine")]}
    [call] = route.calls
    where = call.request.url.params["where"]
    assert all(f'CreditNoteNumber=="EXP-{n}"' in where for n in (1, 2, 3))
