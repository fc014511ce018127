"""Every request kind the Xero client sends, captured off the real transport, checked against
the official Xero Accounting OpenAPI spec with openapi-core."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from openapi_core.testing import MockResponse

from tests.spec import API_HOST, API_PREFIX, as_mock_request, validate_request
from tests.xero.client_rig import (
    TENANT,
    ClientRig,
    client_rig,
    contact_json,
    page_body,
    paged_responder,
    stable_id,
)
from xerowatch.xero.models import (
    Address,
    AddressType,
    Contact,
    ContactStatus,
    CreditStatus,
    DocumentStatus,
    PaymentStatus,
    Phone,
    PhoneType,
)
from xerowatch.xero.paging import (
    CONTACTS,
    CREDIT_NOTES,
    INVOICES,
    OVERPAYMENTS,
    PAYMENTS,
    PREPAYMENTS,
    Endpoint,
    ListQuery,
)
from xerowatch.xero.where import eq, ge, is_not_null, starts_with

pytestmark = [
    pytest.mark.contract,
    # openapi-core does not check OAuth2 itself; the transport tests cover Authorization
    pytest.mark.filterwarnings("ignore:Unsupported scheme type:UserWarning"),
]

ENDPOINTS = [CONTACTS, INVOICES, CREDIT_NOTES, OVERPAYMENTS, PREPAYMENTS, PAYMENTS]
SINCE = datetime(2026, 11, 2, 20, 30, tzinfo=timezone(timedelta(hours=11)))
WHERE = {
    "/Contacts": starts_with("Name", 'O"Brien') & eq("ContactStatus", ContactStatus.ACTIVE),
    "/Invoices": eq("Type", "ACCREC") & ge("Date", date(2026, 1, 1)),
    "/CreditNotes": eq("Status", DocumentStatus.AUTHORISED),
    "/Overpayments": eq("Status", CreditStatus.AUTHORISED),
    "/Prepayments": eq("Status", CreditStatus.PAID),
    "/Payments": eq("Status", PaymentStatus.AUTHORISED) & is_not_null("Reference"),
}
# every optional setting, by the name used in ListQuery.used_filters()
OPTIONS: dict[str, dict[str, Any]] = {
    "If-Modified-Since": {"modified_since": SINCE},
    "where": {},  # filled per endpoint
    "order": {"order": "UpdatedDateUTC ASC, Name DESC"},
    "pageSize": {"page_size": 100},
    "IDs": {"ids": [stable_id("id-1"), stable_id("id-2")]},
    "ContactIDs": {"contact_ids": [stable_id("contact-1")]},
    "Statuses": {"statuses": [DocumentStatus.AUTHORISED, DocumentStatus.PAID]},
    "summaryOnly": {"summary_only": True},
    "includeArchived": {"include_archived": True},
}
COMMON = ("If-Modified-Since", "where", "order", "pageSize")


@pytest.fixture
async def rig() -> AsyncIterator[ClientRig]:
    async with client_rig() as made:
        yield made


def _query(endpoint: Endpoint[Any], names: tuple[str, ...]) -> ListQuery:
    settings: dict[str, Any] = {}
    for name in names:
        settings.update(OPTIONS[name] if name != "where" else {"where": WHERE[endpoint.path]})
    return ListQuery(**settings)


def _combinations(endpoint: Endpoint[Any]) -> list[tuple[str, ...]]:
    """No option, each option alone, each pair, and all together."""
    names = [*COMMON, *sorted(endpoint.filters)]
    combos: list[tuple[str, ...]] = [()]
    combos += [(name,) for name in names]
    combos += list(itertools.combinations(names, 2))
    combos.append(tuple(names))
    return combos


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.path)
async def test_list_requests_match_the_spec(
    openapi: Any, rig: ClientRig, endpoint: Endpoint[Any]
) -> None:
    rig.router.get(endpoint.path).mock(side_effect=paged_responder(endpoint.collection, [{}] * 150))
    combos = _combinations(endpoint)
    for names in combos:
        await rig.client.list_all(endpoint, _query(endpoint, names), tenant=TENANT)
    # two pages with pageSize 100 (150 items), one page with the default 1000
    assert len(rig.requests) >= len(combos)
    for request in rig.requests:
        validate_request(request)
    sent_params = {name for r in rig.requests for name in r.url.params}
    sent_headers = {name for r in rig.requests for name in r.headers}
    assert {"page", "pageSize", "where", "order"} <= sent_params
    assert set(endpoint.filters) <= sent_params
    assert "if-modified-since" in sent_headers


async def test_contact_by_number_and_by_id_match_the_spec(openapi: Any, rig: ClientRig) -> None:
    rig.router.get(url__regex=r"/Contacts/").mock(
        return_value=httpx.Response(200, json={"Contacts": []})
    )
    await rig.client.get_contact_by_number("WN-1001", tenant=TENANT)
    await rig.client.get_contact_by_number("A/B 1?é", tenant=TENANT)
    await rig.client.get_contact(stable_id("contact-1"), tenant=TENANT)
    by_number_1, by_number_2, by_id = rig.requests
    validate_request(by_number_1, template="/Contacts/{ContactNumber}")
    validate_request(by_number_2, template="/Contacts/{ContactNumber}")
    validate_request(by_id, template="/Contacts/{ContactID}")


async def test_online_invoice_request_matches_the_spec(openapi: Any, rig: ClientRig) -> None:
    rig.router.get(url__regex=r"/OnlineInvoice$").mock(
        return_value=httpx.Response(200, json={"OnlineInvoices": []})
    )
    await rig.client.online_invoice_url(stable_id("invoice-1"), tenant=TENANT)
    validate_request(rig.requests[0], template="/Invoices/{InvoiceID}/OnlineInvoice")


def _full_contact(i: int) -> Contact:
    """A contact using every writable field xerowatch sets, at the spec's maximum lengths."""
    return Contact(
        contact_id=stable_id(f"contact-{i}") if i % 2 else None,
        contact_number=f"WN-{i}".ljust(50, "0"),
        account_number="A" * 50,
        contact_status=ContactStatus.ACTIVE,
        name=f'Learner {i} O\'Brien-Ngā "Jr"'.ljust(255, "."),
        first_name="F" * 255,
        last_name="L" * 255,
        company_number="C" * 50,
        email_address=f"learner{i}@example.com",
        tax_number="T" * 50,
        default_currency="AUD",
        addresses=[
            Address(
                address_type=AddressType.POBOX,
                address_line1="1" * 500,
                address_line2="PO Box 7",
                address_line3="c/o Front desk",
                address_line4="Level 2",
                city="C" * 255,
                region="NSW",
                postal_code="P" * 50,
                country="Australia",
                attention_to="A" * 255,
            ),
            Address(address_type=AddressType.STREET, address_line1="1 George St", city="Sydney"),
        ],
        phones=[
            Phone(
                phone_type=PhoneType.MOBILE,
                phone_number="N" * 50,
                phone_area_code="0" * 10,
                phone_country_code="6" * 20,
            ),
            Phone(phone_type=PhoneType.DEFAULT, phone_number="02 9999 9999"),
        ],
    )


async def test_contact_batch_writes_match_the_spec(openapi: Any, rig: ClientRig) -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content)["Contacts"]
        saved = [dict(e, ContactID=e.get("ContactID", str(stable_id(e["Name"])))) for e in sent]
        return httpx.Response(200, json={"Contacts": saved})

    rig.router.post("/Contacts").mock(side_effect=echo)
    results = await rig.client.upsert_contacts(
        [_full_contact(i) for i in range(60)], tenant=TENANT, idempotency_scope="outbox-42"
    )
    assert all(r.ok for r in results)
    assert len(rig.requests) == 2
    for request in rig.requests:
        assert request.url.params["summarizeErrors"] == "false"
        assert request.headers["Idempotency-Key"]
        validate_request(request)


def test_the_check_catches_if_modified_since_without_an_offset(openapi: Any) -> None:
    request = httpx.Request(
        "GET",
        f"{API_HOST}{API_PREFIX}/Invoices",
        params={"page": "1"},
        headers={"xero-tenant-id": TENANT.tenant_id, "If-Modified-Since": "2026-11-02T09:00:00"},
    )
    with pytest.raises(Exception, match="If-Modified-Since"):
        validate_request(request)


def test_the_check_catches_an_http_date_if_modified_since(openapi: Any) -> None:
    request = httpx.Request(
        "GET",
        f"{API_HOST}{API_PREFIX}/Contacts",
        headers={
            "xero-tenant-id": TENANT.tenant_id,
            "If-Modified-Since": "Mon, 02 Nov 2026 09:00:00 GMT",
        },
    )
    with pytest.raises(Exception, match="If-Modified-Since"):
        validate_request(request)


def test_the_check_catches_a_missing_tenant_header(openapi: Any) -> None:
    request = httpx.Request("GET", f"{API_HOST}{API_PREFIX}/Contacts", params={"page": "1"})
    with pytest.raises(Exception, match="xero-tenant-id"):
        validate_request(request)


def test_the_check_catches_bad_bodies_and_ids(openapi: Any) -> None:
    headers = {"xero-tenant-id": TENANT.tenant_id, "content-type": "application/json"}
    bad_status = httpx.Request(
        "POST",
        f"{API_HOST}{API_PREFIX}/Contacts",
        params={"summarizeErrors": "false"},
        headers=headers,
        json={"Contacts": [{"Name": "x", "ContactStatus": "DELETED"}]},
    )
    with pytest.raises(Exception, match="body"):
        validate_request(bad_status)
    read_only = httpx.Request(
        "POST",
        f"{API_HOST}{API_PREFIX}/Contacts",
        headers=headers,
        json={"Contacts": [{"Name": "x", "UpdatedDateUTC": "2026-01-01T00:00:00+00:00"}]},
    )
    with pytest.raises(Exception, match="body"):
        validate_request(read_only)
    bad_ids = httpx.Request(
        "GET", f"{API_HOST}{API_PREFIX}/Invoices", params={"IDs": "INV-1"}, headers=headers
    )
    with pytest.raises(Exception, match="IDs"):
        validate_request(bad_ids)
    not_a_uuid = httpx.Request("GET", f"{API_HOST}{API_PREFIX}/Contacts/WN-1", headers=headers)
    with pytest.raises(Exception, match="ContactID"):
        validate_request(not_a_uuid, template="/Contacts/{ContactID}")


def test_the_test_fixtures_answer_as_the_spec_says(openapi: Any) -> None:
    """The answers the client tests feed it are valid Xero 200 bodies."""
    request = httpx.Request(
        "GET",
        f"{API_HOST}{API_PREFIX}/Contacts",
        params={"page": "1"},
        headers={"xero-tenant-id": TENANT.tenant_id},
    )
    body = page_body(
        "Contacts", [contact_json(1), contact_json(2)], page=1, page_size=2, item_count=9
    )
    response = MockResponse(
        json.dumps(body).encode(), status_code=200, content_type="application/json"
    )
    openapi.validate_response(as_mock_request(request), response)
    invalid = dict(body, Contacts=[contact_json(3, ContactStatus="DELETED")])
    bad = MockResponse(
        json.dumps(invalid).encode(), status_code=200, content_type="application/json"
    )
    with pytest.raises(Exception, match="DELETED"):
        openapi.validate_response(as_mock_request(request), bad)
