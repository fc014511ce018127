"""XeroClient reads through the real transport: paging, call counts, filters, single lookups."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest

from tests.xero.client_rig import (
    TENANT,
    ClientRig,
    client_rig,
    contact_json,
    page_body,
    paged_responder,
    stable_id,
)
from xerowatch.xero.errors import XeroPagingError, XeroResponseError
from xerowatch.xero.models import ContactStatus, DocumentStatus
from xerowatch.xero.paging import (
    CONTACTS,
    CREDIT_NOTES,
    INVOICES,
    OVERPAYMENTS,
    PAYMENTS,
    PREPAYMENTS,
    ListQuery,
)
from xerowatch.xero.quota import Lane
from xerowatch.xero.where import eq


@pytest.fixture
async def rig() -> AsyncIterator[ClientRig]:
    async with client_rig() as made:
        yield made


def _directory(count: int) -> list[dict[str, object]]:
    return [contact_json(i) for i in range(count)]


async def test_a_directory_of_5000_contacts_is_read_in_5_calls(rig: ClientRig) -> None:
    route = rig.router.get("/Contacts").mock(
        side_effect=paged_responder("Contacts", _directory(5000))
    )
    contacts = await rig.client.list_all(CONTACTS, tenant=TENANT)
    assert route.call_count == 5
    assert len(contacts) == 5000
    assert len({c.contact_id for c in contacts}) == 5000
    pages = [(r.url.params["page"], r.url.params["pageSize"]) for r in rig.requests]
    assert pages == [(str(n), "1000") for n in range(1, 6)]


async def test_without_pagination_a_short_page_ends_the_list(rig: ClientRig) -> None:
    items = _directory(2500)
    route = rig.router.get("/Contacts").mock(
        side_effect=paged_responder("Contacts", items, with_pagination=False)
    )
    assert len(await rig.client.list_all(CONTACTS, tenant=TENANT)) == 2500
    assert route.call_count == 3


async def test_without_pagination_an_exact_multiple_needs_one_empty_page(rig: ClientRig) -> None:
    route = rig.router.get("/Contacts").mock(
        side_effect=paged_responder("Contacts", _directory(2000), with_pagination=False)
    )
    assert len(await rig.client.list_all(CONTACTS, tenant=TENANT)) == 2000
    assert route.call_count == 3


async def test_page_count_wins_over_a_full_page(rig: ClientRig) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        items = [contact_json(page * 10 + i) for i in range(10)]
        body = page_body("Contacts", items, page=page, page_size=10, item_count=None)
        body["pagination"] = {"page": page, "pageSize": 10, "pageCount": 2, "itemCount": 20}
        return httpx.Response(200, json=body)

    route = rig.router.get("/Contacts").mock(side_effect=respond)
    pages = [
        p async for p in rig.client.iter_pages(CONTACTS, ListQuery(page_size=10), tenant=TENANT)
    ]
    assert [p.number for p in pages] == [1, 2]
    assert route.call_count == 2


async def test_item_count_is_used_when_page_count_is_missing(rig: ClientRig) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        body = page_body(
            "Invoices",
            [{"InvoiceID": str(stable_id(f"i{page}-{i}"))} for i in range(5)],
            page=page,
            page_size=5,
            item_count=None,
        )
        body["pagination"] = {"page": page, "pageSize": 5, "itemCount": 10}
        return httpx.Response(200, json=body)

    route = rig.router.get("/Invoices").mock(side_effect=respond)
    invoices = await rig.client.list_all(INVOICES, ListQuery(page_size=5), tenant=TENANT)
    assert len(invoices) == 10
    assert route.call_count == 2


async def test_a_page_that_repeats_the_last_one_stops_the_run(rig: ClientRig) -> None:
    same = page_body("Contacts", _directory(10), page=1, page_size=10, item_count=None)
    route = rig.router.get("/Contacts").mock(return_value=httpx.Response(200, json=same))
    with pytest.raises(XeroPagingError, match="page 2 repeats page 1"):
        await rig.client.list_all(CONTACTS, ListQuery(page_size=10), tenant=TENANT)
    assert route.call_count == 2


async def test_the_runaway_guard_caps_the_number_of_pages(rig: ClientRig) -> None:
    def endless(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        items = [contact_json(page * 10 + i) for i in range(10)]
        return httpx.Response(
            200, json=page_body("Contacts", items, page=page, page_size=10, item_count=None)
        )

    route = rig.router.get("/Contacts").mock(side_effect=endless)
    with pytest.raises(XeroPagingError, match="after 3 pages"):
        await rig.client.list_all(CONTACTS, ListQuery(page_size=10), tenant=TENANT, max_pages=3)
    assert route.call_count == 3


async def test_an_answer_for_another_page_is_refused(rig: ClientRig) -> None:
    body = page_body("Contacts", _directory(3), page=7, page_size=1000, item_count=3)
    rig.router.get("/Contacts").mock(return_value=httpx.Response(200, json=body))
    with pytest.raises(XeroPagingError, match="page 7"):
        await rig.client.list_all(CONTACTS, tenant=TENANT)


@pytest.mark.parametrize(
    "body",
    [[], {"Contacts": {"not": "a list"}}, {"Contacts": [{"ContactID": "not-a-uuid"}]}],
)
async def test_unreadable_bodies_raise_a_typed_error(rig: ClientRig, body: object) -> None:
    rig.router.get("/Contacts").mock(return_value=httpx.Response(200, json=body))
    with pytest.raises(XeroResponseError):
        await rig.client.list_all(CONTACTS, tenant=TENANT)


async def test_if_modified_since_is_sent_in_utc_with_an_offset(rig: ClientRig) -> None:
    rig.router.get("/Payments").mock(side_effect=paged_responder("Payments", []))
    sydney = timezone(timedelta(hours=11))
    since = datetime(2026, 11, 2, 20, 30, 15, 250000, tzinfo=sydney)
    await rig.client.list_all(PAYMENTS, ListQuery(modified_since=since), tenant=TENANT)
    assert rig.requests[0].headers["If-Modified-Since"] == "2026-11-02T09:30:15.250+00:00"


async def test_every_invoice_filter_reaches_the_query_string(rig: ClientRig) -> None:
    rig.router.get("/Invoices").mock(side_effect=paged_responder("Invoices", []))
    ids = [stable_id("a"), stable_id("b")]
    query = ListQuery(
        modified_since=datetime(2026, 1, 1, tzinfo=UTC),
        where=eq("Type", "ACCREC"),
        order="UpdatedDateUTC ASC",
        ids=ids,
        contact_ids=[stable_id("c")],
        statuses=[DocumentStatus.AUTHORISED, DocumentStatus.PAID],
        summary_only=True,
        include_archived=True,
        page_size=250,
    )
    await rig.client.list_all(INVOICES, query, tenant=TENANT)
    params = dict(rig.requests[0].url.params)
    assert params == {
        "page": "1",
        "pageSize": "250",
        "where": 'Type=="ACCREC"',
        "order": "UpdatedDateUTC ASC",
        "IDs": f"{ids[0]},{ids[1]}",
        "ContactIDs": str(stable_id("c")),
        "Statuses": "AUTHORISED,PAID",
        "summaryOnly": "true",
        "includeArchived": "true",
    }


@pytest.mark.parametrize("endpoint", [CREDIT_NOTES, OVERPAYMENTS, PREPAYMENTS, PAYMENTS])
async def test_filters_an_endpoint_lacks_are_refused_before_any_call(
    rig: ClientRig, endpoint: object
) -> None:
    for query in (
        ListQuery(statuses=["PAID"]),
        ListQuery(ids=[stable_id("x")]),
        ListQuery(summary_only=True),
        ListQuery(include_archived=True),
    ):
        with pytest.raises(ValueError, match="does not take"):
            await rig.client.list_all(endpoint, query, tenant=TENANT)  # type: ignore[arg-type]
    assert rig.requests == []


@pytest.mark.parametrize(
    "query",
    [
        ListQuery(page_size=0),
        ListQuery(page_size=1001),
        ListQuery(order="Name; DROP"),
        ListQuery(statuses=["PAID,VOIDED"]),
    ],
)
async def test_malformed_queries_are_refused_before_any_call(
    rig: ClientRig, query: ListQuery
) -> None:
    with pytest.raises(ValueError):
        await rig.client.list_all(INVOICES, query, tenant=TENANT)
    assert rig.requests == []


async def test_contact_by_number(rig: ClientRig) -> None:
    found = contact_json(7)
    rig.router.get("/Contacts/WN-7").mock(
        return_value=httpx.Response(200, json={"Contacts": [found]})
    )
    contact = await rig.client.get_contact_by_number("WN-7", tenant=TENANT)
    assert contact is not None and contact.contact_id == stable_id("contact-7")
    assert contact.contact_status is ContactStatus.ACTIVE


async def test_contact_by_number_absent_is_none(rig: ClientRig) -> None:
    rig.router.get("/Contacts/WN-404").mock(return_value=httpx.Response(404, text="not found"))
    rig.router.get("/Contacts/WN-0").mock(return_value=httpx.Response(200, json={"Contacts": []}))
    assert await rig.client.get_contact_by_number("WN-404", tenant=TENANT) is None
    assert await rig.client.get_contact_by_number("WN-0", tenant=TENANT) is None


async def test_contact_by_number_is_path_escaped(rig: ClientRig) -> None:
    rig.router.get(url__regex=r"/Contacts/").mock(
        return_value=httpx.Response(
            200, json={"Contacts": [contact_json(1, ContactNumber="A/B 1?")]}
        )
    )
    contact = await rig.client.get_contact_by_number("A/B 1?", tenant=TENANT)
    assert contact is not None
    assert rig.requests[0].url.raw_path == b"/api.xro/2.0/Contacts/A%2FB%201%3F"


async def test_contact_by_number_ignores_an_answer_for_another_contact(rig: ClientRig) -> None:
    number = str(stable_id("looks-like-an-id"))
    other = contact_json(3)  # Xero matched the GUID-shaped number as a ContactID
    rig.router.get(f"/Contacts/{number}").mock(
        return_value=httpx.Response(200, json={"Contacts": [other]})
    )
    assert await rig.client.get_contact_by_number(number, tenant=TENANT) is None


@pytest.mark.parametrize("bad", ["", "x" * 51, "tab\there"])
async def test_contact_numbers_xero_cannot_hold_are_refused(rig: ClientRig, bad: str) -> None:
    with pytest.raises(ValueError):
        await rig.client.get_contact_by_number(bad, tenant=TENANT)
    assert rig.requests == []


async def test_contact_by_id(rig: ClientRig) -> None:
    contact_id = stable_id("contact-5")
    rig.router.get(f"/Contacts/{contact_id}").mock(
        return_value=httpx.Response(200, json={"Contacts": [contact_json(5)]})
    )
    missing = stable_id("missing")
    rig.router.get(f"/Contacts/{missing}").mock(return_value=httpx.Response(404))
    contact = await rig.client.get_contact(contact_id, tenant=TENANT)
    assert contact is not None and contact.contact_number == "WN-5"
    assert await rig.client.get_contact(missing, tenant=TENANT) is None


async def test_contact_by_id_refuses_another_contact(rig: ClientRig) -> None:
    asked = stable_id("asked")
    rig.router.get(f"/Contacts/{asked}").mock(
        return_value=httpx.Response(200, json={"Contacts": [contact_json(9)]})
    )
    with pytest.raises(XeroResponseError):
        await rig.client.get_contact(asked, tenant=TENANT)


async def test_online_invoice_url(rig: ClientRig) -> None:
    paid, draft, gone = stable_id("paid"), stable_id("draft"), stable_id("gone")
    url = "https://in.xero.com/bCWCCfytGdTXoJam9HENWlQt07G6zcDaj4gQojHu"
    rig.router.get(f"/Invoices/{paid}/OnlineInvoice").mock(
        return_value=httpx.Response(200, json={"OnlineInvoices": [{"OnlineInvoiceUrl": url}]})
    )
    rig.router.get(f"/Invoices/{draft}/OnlineInvoice").mock(
        return_value=httpx.Response(200, json={"OnlineInvoices": []})
    )
    rig.router.get(f"/Invoices/{gone}/OnlineInvoice").mock(return_value=httpx.Response(404))
    assert await rig.client.online_invoice_url(paid, tenant=TENANT) == url
    assert await rig.client.online_invoice_url(draft, tenant=TENANT) is None
    assert await rig.client.online_invoice_url(gone, tenant=TENANT) is None


async def test_every_operation_uses_the_lane_it_is_given(rig: ClientRig) -> None:
    rig.router.get("/Contacts").mock(side_effect=paged_responder("Contacts", []))
    rig.router.get(url__regex=r"/Contacts/.+").mock(return_value=httpx.Response(404))
    rig.router.get(url__regex=r"/OnlineInvoice$").mock(return_value=httpx.Response(404))
    await rig.client.list_all(CONTACTS, tenant=TENANT, lane=Lane.BULK)
    await rig.client.get_contact_by_number("N1", tenant=TENANT, lane=Lane.OPERATOR)
    await rig.client.get_contact(stable_id("x"), tenant=TENANT, lane=Lane.BACKGROUND)
    await rig.client.online_invoice_url(stable_id("y"), tenant=TENANT, lane=Lane.INCREMENTAL)
    await rig.client.list_all(CONTACTS, tenant=TENANT)
    assert rig.spy.lanes == [
        Lane.BULK,
        Lane.OPERATOR,
        Lane.BACKGROUND,
        Lane.INCREMENTAL,
        Lane.INCREMENTAL,
    ]


async def test_requests_carry_tenant_and_json_headers(rig: ClientRig) -> None:
    rig.router.get("/Contacts").mock(side_effect=paged_responder("Contacts", []))
    await rig.client.list_all(CONTACTS, tenant=TENANT)
    sent = rig.requests[0]
    assert sent.headers["xero-tenant-id"] == TENANT.tenant_id
    assert sent.headers["Accept"] == "application/json"
    assert "Idempotency-Key" not in sent.headers  # never on GET


URL_LIMIT = 2_000


def _by_ids(collection: str, key: str) -> Callable[[httpx.Request], httpx.Response]:
    """A respx side effect answering one page holding exactly the records the IDs ask for."""

    def respond(request: httpx.Request) -> httpx.Response:
        wanted = request.url.params.get("IDs", "").split(",")
        items = [{key: value} for value in wanted if value]
        body = page_body(collection, items, page=1, page_size=1000, item_count=len(items))
        return httpx.Response(200, json=body)

    return respond


async def test_a_long_ids_list_is_split_so_every_url_stays_short(rig: ClientRig) -> None:
    rig.router.get("/Contacts").mock(side_effect=_by_ids("Contacts", "ContactID"))
    ids = [stable_id(f"long-{i}") for i in range(200)]
    contacts = await rig.client.list_all(CONTACTS, ListQuery(ids=ids), tenant=TENANT)
    assert [c.contact_id for c in contacts] == ids  # all of them, once each, in order
    assert all(len(str(r.url)) <= URL_LIMIT for r in rig.requests)
    sent = [r.url.params["IDs"].split(",") for r in rig.requests]
    per_request = max(len(group) for group in sent)
    assert len(rig.requests) == -(-len(ids) // per_request)  # as few requests as fit
    assert sorted(v for group in sent for v in group) == sorted(str(i) for i in ids)


async def test_ids_and_contact_ids_both_long_cover_every_pair(rig: ClientRig) -> None:
    rig.router.get("/Invoices").mock(side_effect=paged_responder("Invoices", []))
    ids = [stable_id(f"inv-{i}") for i in range(60)]
    contact_ids = [stable_id(f"con-{i}") for i in range(60)]
    query = ListQuery(ids=ids, contact_ids=contact_ids, where=eq("Type", "ACCREC"))
    await rig.client.list_all(INVOICES, query, tenant=TENANT)
    assert all(len(str(r.url)) <= URL_LIMIT for r in rig.requests)
    pairs = {
        (i, c)
        for r in rig.requests
        for i in r.url.params["IDs"].split(",")
        for c in r.url.params["ContactIDs"].split(",")
    }
    assert pairs == {(str(i), str(c)) for i in ids for c in contact_ids}
    assert all(r.url.params["where"] == 'Type=="ACCREC"' for r in rig.requests)


async def test_a_short_ids_list_is_one_request(rig: ClientRig) -> None:
    rig.router.get("/Contacts").mock(side_effect=_by_ids("Contacts", "ContactID"))
    ids = [stable_id(f"short-{i}") for i in range(3)]
    await rig.client.list_all(CONTACTS, ListQuery(ids=ids), tenant=TENANT)
    assert len(rig.requests) == 1


async def test_a_query_too_long_for_a_url_is_refused_before_any_call(rig: ClientRig) -> None:
    where = eq("Name", "x" * 2_000)
    with pytest.raises(ValueError, match="characters"):
        await rig.client.list_all(CONTACTS, ListQuery(where=where), tenant=TENANT)
    assert rig.requests == []
