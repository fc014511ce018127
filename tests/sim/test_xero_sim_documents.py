"""The simulator's document writes validate like Xero and answer per element."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.sim.conftest import SpecCheck
from xerowatch.sim.xero import XeroSim
from xerowatch.sim.xero.document_routes import add_tracking_category

API = "/api.xro/2.0"
NOT_SUMMARIZED = {"summarizeErrors": "false", "unitdp": "4"}


@pytest.fixture
def books(xero_sim: XeroSim, xero_tenant: str) -> dict[str, str]:
    """A customer, a vendor, an archived contact and a Region tracking category."""
    customer = xero_sim.add_contact(xero_tenant, Name="Acme Pty", ContactNumber="CW-1")
    vendor = xero_sim.add_contact(xero_tenant, Name="Parts Co", ContactNumber="V-1")
    xero_sim.add_contact(xero_tenant, Name="Other Parts", ContactNumber="V-2")
    gone = xero_sim.add_contact(xero_tenant, Name="Gone Ltd", ContactNumber="CW-9")
    xero_sim.archive_contact(xero_tenant, gone["ContactID"])
    add_tracking_category(xero_sim, xero_tenant, "Region", ["North", "South"])
    return {"customer": customer["ContactID"], "vendor": vendor["ContactID"]}


def _invoice(number: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "Type": "ACCREC",
        "Contact": {"ContactNumber": "CW-1"},
        "InvoiceNumber": number,
        "Date": "2026-11-02",
        "DueDate": "2026-12-02",
        "Status": "AUTHORISED",
        "LineAmountTypes": "NoTax",
        "LineItems": [
            {
                "Description": "Cable",
                "Quantity": 3,
                "UnitAmount": 0.3335,
                "AccountCode": "200",
                "Tracking": [{"Name": "region", "Option": "NORTH"}],
            }
        ],
    }
    body.update(extra)
    return {key: value for key, value in body.items() if value is not None}


async def test_good_and_bad_invoices_in_one_batch_answer_200_per_element(
    books: dict[str, str], xero_http: httpx.AsyncClient, spec_check: SpecCheck
) -> None:
    bad_line = {"Description": "x", "Quantity": 2, "UnitAmount": 1, "LineAmount": 3}
    sent = [
        _invoice("INV-1"),
        _invoice("INV-2", Contact={"ContactNumber": "NOPE"}),
        _invoice("INV-3", LineItems=[bad_line]),
        _invoice("INV-4", DueDate=None),
        _invoice("INV-1"),  # duplicate within the batch
        _invoice(
            "INV-5",
            LineItems=[
                {**_invoice("x")["LineItems"][0], "Tracking": [{"Name": "Dept", "Option": "A"}]}
            ],
        ),
        _invoice("INV-6", Contact={"ContactNumber": "CW-9"}),
    ]
    response = await xero_http.post(
        f"{API}/Invoices", params=NOT_SUMMARIZED, json={"Invoices": sent}
    )
    spec_check(response)
    assert response.status_code == 200
    answer = response.json()["Invoices"]
    errors = [[m["Message"] for m in a.get("ValidationErrors", [])] for a in answer]
    assert errors[0] == []
    assert answer[0]["Total"] == 1.0  # 3 x 0.3335 = 1.0005 → 1.00
    assert answer[0]["LineItems"][0]["LineAmount"] == 1.0
    assert errors[1] == ["The contact 'NOPE' could not be found."]
    assert errors[2] == ["Line 1: LineAmount 3 does not equal Quantity * UnitAmount (2.00)."]
    assert errors[3] == ["DueDate must be specified."]
    assert errors[4] == ["Invoice # must be unique."]
    assert errors[5] == ["Tracking category 'Dept' does not exist."]
    assert errors[6] == ["The contact is archived and cannot be used on a document."]
    assert all(a["InvoiceID"] == "00000000-0000-0000-0000-000000000000" for a in answer[1:])
    listed = await xero_http.get(f"{API}/Invoices", params={"InvoiceNumbers": "INV-1,INV-2"})
    assert [i["InvoiceNumber"] for i in listed.json()["Invoices"]] == ["INV-1"]


async def test_a_number_already_used_is_refused_but_a_bill_may_reuse_a_sales_number(
    books: dict[str, str], xero_http: httpx.AsyncClient
) -> None:
    await xero_http.post(
        f"{API}/Invoices", params=NOT_SUMMARIZED, json={"Invoices": [_invoice("A-1")]}
    )
    again = await xero_http.post(
        f"{API}/Invoices",
        params=NOT_SUMMARIZED,
        json={
            "Invoices": [
                _invoice("a-1"),
                _invoice("A-1", Type="ACCPAY", Contact={"ContactNumber": "V-1"}),
            ]
        },
    )
    answer = again.json()["Invoices"]
    assert answer[0]["ValidationErrors"] == [{"Message": "Invoice # must be unique."}]
    assert "ValidationErrors" not in answer[1] and answer[1]["Type"] == "ACCPAY"
    bills = await xero_http.post(
        f"{API}/Invoices",
        params=NOT_SUMMARIZED,
        json={
            "Invoices": [
                _invoice("A-1", Type="ACCPAY", Contact={"ContactNumber": "V-2"}),
                _invoice("A-1", Type="ACCPAY", Contact={"ContactNumber": "V-1"}),
            ]
        },
    )
    same_number_other_supplier, same_supplier = bills.json()["Invoices"]
    assert "ValidationErrors" not in same_number_other_supplier
    assert same_supplier["ValidationErrors"] == [{"Message": "Invoice # must be unique."}]


async def test_summarized_errors_refuse_the_whole_batch_with_400(
    books: dict[str, str], xero_http: httpx.AsyncClient, spec_check: SpecCheck
) -> None:
    response = await xero_http.post(
        f"{API}/Invoices", json={"Invoices": [_invoice("B-1"), _invoice("B-2", DueDate=None)]}
    )
    spec_check(response)
    assert response.status_code == 400
    assert [e["InvoiceNumber"] for e in response.json()["Elements"]] == ["B-2"]
    listed = await xero_http.get(f"{API}/Invoices", params={"InvoiceNumbers": "B-1"})
    assert listed.json()["Invoices"] == []


async def test_without_unitdp_unit_amounts_are_rounded_to_the_cent_first(
    books: dict[str, str], xero_http: httpx.AsyncClient
) -> None:
    response = await xero_http.post(
        f"{API}/Invoices", params={"summarizeErrors": "false"}, json={"Invoices": [_invoice("C-1")]}
    )
    assert response.json()["Invoices"][0]["Total"] == 0.99  # 3 x 0.33


async def test_an_idempotency_key_replays_the_same_answer_and_saves_once(
    books: dict[str, str], xero_http: httpx.AsyncClient
) -> None:
    body = {"Invoices": [_invoice("D-1")]}
    headers = {"Idempotency-Key": "key-d1"}
    first = await xero_http.post(
        f"{API}/Invoices", params=NOT_SUMMARIZED, json=body, headers=headers
    )
    second = await xero_http.post(
        f"{API}/Invoices", params=NOT_SUMMARIZED, json=body, headers=headers
    )
    assert first.json()["Invoices"] == second.json()["Invoices"]
    listed = await xero_http.get(f"{API}/Invoices", params={"InvoiceNumbers": "D-1"})
    assert len(listed.json()["Invoices"]) == 1


async def test_purchase_orders_are_created_and_found_by_number(
    books: dict[str, str], xero_http: httpx.AsyncClient, spec_check: SpecCheck
) -> None:
    order = {
        "Contact": {"ContactNumber": "V-1"},
        "PurchaseOrderNumber": "PO-7",
        "Date": "2026-11-03",
        "Status": "AUTHORISED",
        "LineItems": [{"Description": "Switch", "Quantity": 3, "UnitAmount": 99.95}],
    }
    response = await xero_http.post(
        f"{API}/PurchaseOrders",
        params={"summarizeErrors": "false"},
        json={"PurchaseOrders": [order, {**order, "Status": "BILLED"}]},
    )
    spec_check(response)
    saved, refused = response.json()["PurchaseOrders"]
    assert (saved["SubTotal"], saved["TotalTax"], saved["Total"]) == (299.85, 29.99, 329.84)
    assert refused["ValidationErrors"] == [
        {"Message": "Status must be one of DRAFT, SUBMITTED, AUTHORISED."}
    ]
    window = {"DateFrom": "2026-11-03", "DateTo": "2026-11-03", "page": "1"}
    found = await xero_http.get(f"{API}/PurchaseOrders", params=window)
    spec_check(found)
    assert [o["PurchaseOrderNumber"] for o in found.json()["PurchaseOrders"]] == ["PO-7"]
    later = await xero_http.get(
        f"{API}/PurchaseOrders", params={**window, "DateFrom": "2026-11-04", "DateTo": "2026-11-30"}
    )
    assert later.json()["PurchaseOrders"] == []


async def test_journals_must_balance_and_are_found_by_narration(
    books: dict[str, str], xero_http: httpx.AsyncClient, spec_check: SpecCheck
) -> None:
    good = {
        "Narration": "CW adj 1",
        "Date": "2026-11-30",
        "Status": "POSTED",
        "JournalLines": [
            {
                "LineAmount": 10.5,
                "AccountCode": "630",
                "Tracking": [{"Name": "Region", "Option": "South"}],
            },
            {"LineAmount": -10.5, "AccountCode": "140"},
        ],
    }
    unbalanced = {
        **good,
        "Narration": "CW adj 2",
        "JournalLines": [good["JournalLines"][0], {"LineAmount": -10, "AccountCode": "140"}],
    }
    response = await xero_http.put(
        f"{API}/ManualJournals",
        params={"summarizeErrors": "false"},
        json={"ManualJournals": [good, unbalanced]},
    )
    spec_check(response)
    saved, refused = response.json()["ManualJournals"]
    assert saved["Status"] == "POSTED" and "ValidationErrors" not in saved
    assert refused["ValidationErrors"] == [
        {"Message": "The total debits must equal the total credits."}
    ]
    found = await xero_http.get(f"{API}/ManualJournals", params={"where": 'Narration=="CW adj 1"'})
    spec_check(found)
    assert [j["ManualJournalID"] for j in found.json()["ManualJournals"]] == [
        saved["ManualJournalID"]
    ]


async def test_tracking_categories_list_active_ones_with_options(
    books: dict[str, str], xero_http: httpx.AsyncClient, spec_check: SpecCheck
) -> None:
    response = await xero_http.get(f"{API}/TrackingCategories")
    spec_check(response)
    [region] = response.json()["TrackingCategories"]
    assert region["Name"] == "Region"
    assert [o["Name"] for o in region["Options"]] == ["North", "South"]
