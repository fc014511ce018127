"""The simulator's transaction lists: invoices, credit notes, over/prepayments, payments."""

from __future__ import annotations

import httpx
import pytest

from xerowatch.sim.xero import XeroSim, seed_demo

API = "/api.xro/2.0"
KINDS = ("Invoices", "CreditNotes", "Overpayments", "Prepayments", "Payments")


@pytest.fixture
def ledger(xero_sim: XeroSim, xero_tenant: str) -> dict[str, str]:
    """Two learners; Ann has a part-paid, credited invoice; Bob a paid one and a voided one."""
    sim, tid = xero_sim, xero_tenant
    ann = sim.add_contact(tid, Name="Ann Lee", ContactNumber="WN-1")["ContactID"]
    bob = sim.add_contact(tid, Name="Bob Tane", ContactNumber="WN-2")["ContactID"]
    ann_invoice = sim.add_invoice(
        tid,
        ann,
        LineItems=[{"Description": "Cert IV", "Quantity": 2, "UnitAmount": 500}],
        Date="2026-10-01",
        DueDate="2026-10-31",
    )["InvoiceID"]
    sim.add_payment(tid, ann_invoice, 300, Reference="Deposit")
    sim.add_credit_note(tid, ann, [(ann_invoice, 100)], Total=100)
    sim.add_overpayment(tid, ann, [(ann_invoice, 50)], Total=80)
    sim.add_prepayment(tid, ann, [(ann_invoice, 20)], Total=20)
    bob_paid = sim.add_invoice(tid, bob, Total=250, Date="2025-12-01")["InvoiceID"]
    sim.add_payment(tid, bob_paid, 250)
    bob_void = sim.add_invoice(tid, bob, Total=99)["InvoiceID"]
    sim.update(tid, "Invoices", bob_void, Status="VOIDED")
    return {
        "ann": ann,
        "bob": bob,
        "ann_invoice": ann_invoice,
        "bob_paid": bob_paid,
        "bob_void": bob_void,
    }


@pytest.mark.parametrize("kind", KINDS)
async def test_every_list_matches_the_spec(ledger, xero_http, spec_check, kind):
    paged = await xero_http.get(f"{API}/{kind}", params={"page": 1, "pageSize": 50})
    unpaged = await xero_http.get(f"{API}/{kind}")
    spec_check(paged)
    spec_check(unpaged)
    assert paged.json()[kind], f"{kind} should not be empty"
    assert paged.json()["pagination"]["itemCount"] == len(paged.json()[kind])


async def test_invoice_amounts_reflect_payments_and_credits(ledger, xero_http):
    response = await xero_http.get(f"{API}/Invoices/{ledger['ann_invoice']}")
    invoice = response.json()["Invoices"][0]
    # 2 x 500 exclusive of 10% GST
    assert (invoice["SubTotal"], invoice["TotalTax"], invoice["Total"]) == (1000.0, 100.0, 1100.0)
    assert (invoice["AmountPaid"], invoice["AmountCredited"], invoice["AmountDue"]) == (
        300.0,
        170.0,
        630.0,
    )
    assert invoice["Status"] == "AUTHORISED"
    assert invoice["Contact"] == {
        "ContactID": ledger["ann"],
        "ContactNumber": "WN-1",
        "Name": "Ann Lee",
        "ContactStatus": "ACTIVE",
    }
    assert [p["Amount"] for p in invoice["Payments"]] == [300.0]
    assert [c["AppliedAmount"] for c in invoice["CreditNotes"]] == [100.0]
    assert [o["AppliedAmount"] for o in invoice["Overpayments"]] == [50.0]
    assert [p["AppliedAmount"] for p in invoice["Prepayments"]] == [20.0]


async def test_full_payment_marks_paid_and_deleting_it_reopens(
    xero_sim, xero_tenant, ledger, xero_http
):
    paid = (await xero_http.get(f"{API}/Invoices/{ledger['bob_paid']}")).json()["Invoices"][0]
    assert (paid["Status"], paid["AmountDue"]) == ("PAID", 0.0)
    assert paid["FullyPaidOnDate"].startswith("/Date(")

    payment_id = paid["Payments"][0]["PaymentID"]
    xero_sim.update(xero_tenant, "Payments", payment_id, Status="DELETED")

    reopened = (await xero_http.get(f"{API}/Invoices/{ledger['bob_paid']}")).json()["Invoices"][0]
    payment = (await xero_http.get(f"{API}/Payments/{payment_id}")).json()["Payments"][0]
    assert (reopened["Status"], reopened["AmountDue"], reopened["Payments"]) == (
        "AUTHORISED",
        250.0,
        [],
    )
    assert payment["Status"] == "DELETED"
    assert payment["Invoice"]["Contact"]["ContactID"] == ledger["bob"]


async def test_filters_by_statuses_contacts_ids_and_where(ledger, xero_http, spec_check):
    async def numbers(params: dict[str, str]) -> list[str]:
        response = await xero_http.get(f"{API}/Invoices", params=params)
        spec_check(response)
        return sorted(i["InvoiceID"] for i in response.json()["Invoices"])

    bob = sorted([ledger["bob_paid"], ledger["bob_void"]])
    assert await numbers({"Statuses": "PAID,VOIDED"}) == bob
    assert await numbers({"ContactIDs": ledger["bob"]}) == bob
    assert await numbers({"IDs": ledger["ann_invoice"]}) == [ledger["ann_invoice"]]
    assert await numbers({"where": 'Date>=DateTime(2026,01,01) AND Status=="AUTHORISED"'}) == [
        ledger["ann_invoice"]
    ]
    assert await numbers({"where": 'Type=="ACCREC" AND AmountDue>0'}) == [ledger["ann_invoice"]]
    assert await numbers({"where": f'Contact.ContactID==Guid("{ledger["ann"]}")'}) == [
        ledger["ann_invoice"]
    ]


async def test_payments_and_credits_filter_by_contact(ledger, xero_http):
    payments = await xero_http.get(f"{API}/Payments", params={"ContactIDs": ledger["ann"]})
    bobs = await xero_http.get(f"{API}/Payments", params={"ContactIDs": ledger["bob"]})
    credits = await xero_http.get(f"{API}/CreditNotes", params={"ContactIDs": ledger["bob"]})
    assert [p["Amount"] for p in payments.json()["Payments"]] == [300.0]
    assert [p["Amount"] for p in bobs.json()["Payments"]] == [250.0]
    assert credits.json()["CreditNotes"] == []


async def test_fully_allocated_credit_note_is_paid(xero_sim, xero_tenant, ledger, xero_http):
    response = await xero_http.get(f"{API}/CreditNotes", params={"Statuses": "PAID"})
    notes = response.json()["CreditNotes"]
    assert [(n["Status"], n["RemainingCredit"]) for n in notes] == [("PAID", 0.0)]
    overpayment = (await xero_http.get(f"{API}/Overpayments")).json()["Overpayments"][0]
    assert (overpayment["Status"], overpayment["RemainingCredit"]) == ("AUTHORISED", 30.0)


async def test_later_allocation_settles_the_invoice(xero_sim, xero_tenant, ledger, xero_http):
    tid, bob = xero_tenant, ledger["bob"]
    invoice = xero_sim.add_invoice(tid, bob, Total=40)["InvoiceID"]
    note = xero_sim.add_credit_note(tid, bob, Total=50)["CreditNoteID"]
    with pytest.raises(ValueError, match="amount due"):
        xero_sim.allocate(tid, "credit_note", note, invoice, 45)
    xero_sim.allocate(tid, "CreditNotes", note, invoice, 40)

    fetched = (await xero_http.get(f"{API}/Invoices/{invoice}")).json()["Invoices"][0]
    credit = (await xero_http.get(f"{API}/CreditNotes/{note}")).json()["CreditNotes"][0]
    assert (fetched["Status"], fetched["AmountCredited"]) == ("PAID", 40.0)
    assert (credit["Status"], credit["RemainingCredit"]) == ("AUTHORISED", 10.0)
    with pytest.raises(ValueError, match="remove payments and allocations"):
        xero_sim.update(tid, "Invoices", invoice, Status="VOIDED")


async def test_voided_and_deleted_documents_appear_when_modified_since(
    xero_sim, xero_clock, xero_tenant, ledger, xero_http
):
    xero_clock.advance(600)
    since = xero_clock.now().isoformat()
    xero_clock.advance(1)
    draft = xero_sim.add_invoice(xero_tenant, ledger["ann"], Total=10, Status="DRAFT")
    xero_sim.update(xero_tenant, "Invoices", draft["InvoiceID"], Status="DELETED")

    response = await xero_http.get(f"{API}/Invoices", headers={"If-Modified-Since": since})
    assert [(i["InvoiceID"], i["Status"]) for i in response.json()["Invoices"]] == [
        (draft["InvoiceID"], "DELETED")
    ]


async def test_summary_only_and_unpaged_lists_omit_line_items(ledger, xero_http, spec_check):
    summary = await xero_http.get(f"{API}/Invoices", params={"page": 1, "summaryOnly": "true"})
    unpaged = await xero_http.get(f"{API}/Invoices")
    paged = await xero_http.get(f"{API}/Invoices", params={"page": 1})
    spec_check(summary)
    assert all("LineItems" not in i and "Payments" not in i for i in summary.json()["Invoices"])
    assert all("LineItems" not in i for i in unpaged.json()["Invoices"])
    assert all(i["LineItems"] for i in paged.json()["Invoices"])


async def test_online_invoice_url(ledger, xero_http, spec_check):
    response = await xero_http.get(f"{API}/Invoices/{ledger['ann_invoice']}/OnlineInvoice")
    voided = await xero_http.get(f"{API}/Invoices/{ledger['bob_void']}/OnlineInvoice")
    spec_check(response)
    url = response.json()["OnlineInvoices"][0]["OnlineInvoiceUrl"]
    assert url.startswith("https://in.xero.com/")
    again = await xero_http.get(f"{API}/Invoices/{ledger['ann_invoice']}/OnlineInvoice")
    assert again.json()["OnlineInvoices"][0]["OnlineInvoiceUrl"] == url
    assert voided.status_code == 400


async def test_order_parameter_sorts(ledger, xero_http):
    response = await xero_http.get(f"{API}/Invoices", params={"order": "Total DESC"})
    totals = [i["Total"] for i in response.json()["Invoices"]]
    assert totals == sorted(totals, reverse=True)
    by_date = await xero_http.get(f"{API}/Invoices", params={"order": "Date, Total DESC"})
    assert [i["InvoiceID"] for i in by_date.json()["Invoices"]] == [
        ledger["bob_paid"],
        ledger["ann_invoice"],
        ledger["bob_void"],
    ]
    bad = await xero_http.get(f"{API}/Invoices", params={"order": "Colour"})
    assert bad.status_code == 400


def test_seeded_demo_data_is_reproducible_and_consistent(xero_clock):
    from xerowatch.sim.xero import XeroSimConfig

    first, second = (XeroSim(XeroSimConfig(seed=11), xero_clock) for _ in range(2))
    one, two = seed_demo(first, learners=400, seed=3), seed_demo(second, learners=400, seed=3)
    assert one.contact_ids == two.contact_ids and one.invoice_ids == two.invoice_ids
    assert len(one.contact_ids) == 400 and len(one.archived_ids) == 400 // 9
    invoices = first.records(one.tenant_id, "Invoices")
    assert {i["Status"] for i in invoices} >= {"AUTHORISED", "PAID", "VOIDED"}
    for invoice in invoices:
        if invoice["Status"] == "VOIDED":
            assert (invoice["AmountDue"], invoice["AmountPaid"]) == (0, 0)
            continue
        due = invoice["Total"] - invoice["AmountPaid"] - invoice["AmountCredited"]
        assert invoice["AmountDue"] == pytest.approx(due)
        assert (invoice["Status"] == "PAID") == (invoice["AmountDue"] == 0)


async def test_spec_check_catches_a_body_that_breaks_the_contract(ledger, xero_http, spec_check):
    response = await xero_http.get(f"{API}/Invoices", params={"page": 1})
    broken = response.json()
    broken["Invoices"][0]["Status"] = "HALF_PAID"
    forged = httpx.Response(200, json=broken, request=response.request)
    with pytest.raises(Exception, match="HALF_PAID"):
        spec_check(forged)


async def test_payments_and_credits_move_an_invoice_into_the_payments_back_read(
    xero_sim, xero_clock, xero_tenant, ledger, xero_http, spec_check
):
    """GET /Invoices as payments back asks it: If-Modified-Since on UpdatedDateUTC, sales
    invoices only, AUTHORISED or PAID, oldest change first, paged with Xero's count."""
    tid = xero_tenant
    paid, part, credited = (
        xero_sim.add_invoice(tid, ledger["ann"], Total=100)["InvoiceID"] for _ in range(3)
    )
    bill = xero_sim.add_invoice(tid, ledger["bob"], Total=70, Type="ACCPAY")["InvoiceID"]
    xero_sim.add_invoice(tid, ledger["ann"], Total=5, Status="DRAFT")
    xero_clock.advance(60)
    since = xero_clock.now().isoformat()
    params = {
        "where": 'Type=="ACCREC"',
        "Statuses": "AUTHORISED,PAID",
        "order": "UpdatedDateUTC ASC",
        "page": 1,
        "pageSize": 2,
    }

    async def read(page: int = 1) -> httpx.Response:
        response: httpx.Response = await xero_http.get(
            f"{API}/Invoices",
            params={**params, "page": page},
            headers={"If-Modified-Since": since},
        )
        spec_check(response)
        return response

    assert (await read()).json()["Invoices"] == []  # nothing changed since
    for invoice_id, amount in ((credited, None), (part, 30), (bill, 70), (paid, 100)):
        xero_clock.advance(1)
        if amount is None:
            xero_sim.add_credit_note(tid, ledger["ann"], [(invoice_id, 10)], Total=10)
        else:
            xero_sim.add_payment(tid, invoice_id, amount)
    first, second = await read(1), await read(2)
    assert first.json()["pagination"] == {"page": 1, "pageSize": 2, "pageCount": 2, "itemCount": 3}
    listed = first.json()["Invoices"] + second.json()["Invoices"]
    assert [i["InvoiceID"] for i in listed] == [credited, part, paid]  # oldest change first
    assert [i["Status"] for i in listed] == ["AUTHORISED", "AUTHORISED", "PAID"]
    assert [len(i["Payments"]) for i in listed] == [0, 1, 1]
    assert len(listed[0]["CreditNotes"]) == 1
    # a deleted payment moves the invoice again; a change at the header's instant is not "since"
    payment = xero_sim.records(tid, "Payments")[-1]["PaymentID"]
    xero_clock.advance(1)
    since = xero_clock.now().isoformat()
    assert (await read()).json()["Invoices"] == []
    xero_clock.advance(1)
    xero_sim.update(tid, "Payments", payment, Status="DELETED")
    [again] = (await read()).json()["Invoices"]
    assert (again["InvoiceID"], again["Status"], again["Payments"]) == (paid, "AUTHORISED", [])
    since = xero_clock.now().isoformat()
    assert (await read()).json()["Invoices"] == []
