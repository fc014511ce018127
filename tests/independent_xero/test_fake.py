"""The fake itself: auth, real 429s, paging, per-element writes, idempotency, spec shapes.

If these did not hold, the parity tests could pass against a fake too lenient to notice anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import httpx
import pytest
from openapi_core.testing import MockResponse

from tests.independent_xero import FakeXero, RateLimits
from tests.independent_xero.contacts import ARCHIVED_READ_ONLY, DUPLICATE_NAME
from tests.spec import SpecUnavailable, as_mock_request, load_openapi, validate_request
from xerowatch.clock import FakeClock

pytestmark = pytest.mark.filterwarnings("ignore:Unsupported scheme type:UserWarning")
MS_JSON = re.compile(r"^/Date\(\d+\+0000\)/$")


@contextmanager
def connect(xero: FakeXero) -> Iterator[httpx.Client]:
    """A client holding a fresh custom-connection token for the fake's organisation."""
    with httpx.Client(transport=xero.transport()) as http:
        yield _authorise(http, xero)


def _authorise(http: httpx.Client, xero: FakeXero) -> httpx.Client:
    answer = http.post(
        xero.urls.identity_url + "/connect/token",
        data={"grant_type": "client_credentials"},
        auth=(xero.client_id, xero.client_secret),
    )
    assert answer.status_code == 200 and answer.json()["expires_in"] == 1800
    http.base_url = httpx.URL(xero.urls.api_url + "/")
    http.headers.update(
        {
            "Authorization": f"Bearer {answer.json()['access_token']}",
            "xero-tenant-id": xero.tenant_id,
            "Accept": "application/json",
        }
    )
    return http


@pytest.fixture
def clock() -> FakeClock:
    """Virtual time."""
    return FakeClock()


@pytest.fixture
def xero(clock: FakeClock) -> FakeXero:
    """A fake organisation."""
    return FakeXero(clock)


@pytest.fixture
def http(xero: FakeXero) -> Iterator[httpx.Client]:
    """An authorised client."""
    with connect(xero) as client:
        yield client


def post_contacts(http: httpx.Client, *contacts: dict[str, Any], **headers: str) -> httpx.Response:
    """POST /Contacts with per-element answers."""
    return http.post(
        "Contacts",
        params={"summarizeErrors": "false"},
        json={"Contacts": list(contacts)},
        headers=headers,
    )


def test_only_the_right_credentials_token_and_tenant_get_in(xero: FakeXero) -> None:
    with httpx.Client(transport=xero.transport()) as anonymous:
        refused = anonymous.post(
            xero.urls.identity_url + "/connect/token",
            data={"grant_type": "client_credentials"},
            auth=(xero.client_id, "wrong"),
        )
        assert (refused.status_code, refused.json()) == (400, {"error": "invalid_client"})
        assert anonymous.get(xero.urls.api_url + "/Contacts").status_code == 401
    with connect(xero) as http:
        [connection] = http.get(xero.urls.connections_url).json()
        assert connection["tenantId"] == xero.tenant_id
        assert http.get("Contacts", headers={"xero-tenant-id": "someone-else"}).status_code == 403
        xero.expire_tokens()
        expired = http.get("Contacts")
        assert expired.status_code == 401 and "TokenExpired" in expired.json()["Detail"]


def test_the_61st_call_of_a_minute_is_a_429_until_the_window_closes(
    xero: FakeXero, http: httpx.Client, clock: FakeClock
) -> None:
    left = [int(http.get("Contacts").headers["X-MinLimit-Remaining"]) for _ in range(60)]
    assert left == list(range(59, -1, -1))
    refused = http.get("Contacts")
    assert refused.status_code == 429
    assert refused.headers["X-Rate-Limit-Problem"] == "minute"
    assert refused.headers["Retry-After"] == "60"
    clock.advance(45)
    assert http.get("Contacts").headers["Retry-After"] == "15"
    clock.advance(15)
    again = http.get("Contacts")
    assert again.status_code == 200 and again.headers["X-MinLimit-Remaining"] == "59"
    assert again.headers["X-DayLimit-Remaining"] == str(5000 - 61)
    assert xero.rate_limited == 2 and xero.limiter.refused == ["minute", "minute"]


def test_a_spent_day_is_a_429_day_with_a_long_retry_after(clock: FakeClock) -> None:
    xero = FakeXero(clock, limits=RateLimits(per_day=3))
    with connect(xero) as http:
        assert [http.get("Contacts").status_code for _ in range(3)] == [200] * 3
        clock.advance(1000)  # within the token's 30 minutes
        refused = http.get("Contacts")
    assert (refused.status_code, refused.headers["X-Rate-Limit-Problem"]) == (429, "day")
    assert refused.headers["Retry-After"] == str(86_400 - 1000)


def test_contacts_page_with_a_pagination_object_and_filter(
    xero: FakeXero, http: httpx.Client, clock: FakeClock
) -> None:
    ids = [xero.contacts.add(Name=f"Person {i}")["ContactID"] for i in range(12)]
    xero.contacts.set_status(ids[0], "ARCHIVED")
    clock.advance(5)
    xero.contacts.add(Name="Late Person", ContactNumber="LATE1")
    last = http.get("Contacts", params={"page": 3, "pageSize": 5, "includeArchived": "true"})
    assert last.json()["pagination"] == {"page": 3, "pageSize": 5, "pageCount": 3, "itemCount": 13}
    assert [c["Name"] for c in last.json()["Contacts"]] == ["Person 10", "Person 11", "Late Person"]
    capped = http.get("Contacts", params={"page": 1, "pageSize": 5000})
    assert capped.json()["pagination"]["pageSize"] == 1000
    assert capped.json()["pagination"]["itemCount"] == 12  # archived left out
    since = http.get(
        "Contacts", params={"page": 1}, headers={"If-Modified-Since": "2026-11-02T09:00:05Z"}
    )
    assert [c["ContactNumber"] for c in since.json()["Contacts"]] == ["LATE1"]
    light = http.get("Contacts", params={"IDs": f"{ids[1]},{ids[2]}", "summaryOnly": "true"})
    assert [c["ContactID"] for c in light.json()["Contacts"]] == ids[1:3]
    assert "Addresses" not in light.json()["Contacts"][0]
    assert MS_JSON.match(light.json()["Contacts"][0]["UpdatedDateUTC"])


def test_one_contact_by_number_or_id(xero: FakeXero, http: httpx.Client) -> None:
    made = xero.contacts.add(Name="Kim Lee DAU1", ContactNumber="DAU1")
    assert http.get("Contacts/DAU1").json()["Contacts"][0]["ContactID"] == made["ContactID"]
    assert http.get(f"Contacts/{made['ContactID']}").json()["Contacts"][0]["Name"] == "Kim Lee DAU1"
    missing = http.get("Contacts/NOPE")
    assert (missing.status_code, missing.json()["Type"]) == (404, "ObjectNotFoundException")


def test_writes_answer_per_element_in_input_order(xero: FakeXero, http: httpx.Client) -> None:
    kept = xero.contacts.add(Name="Ann Lee", ContactNumber="R1")
    archived = xero.contacts.add(Name="Old Student", ContactNumber="R9")
    xero.contacts.set_status(archived["ContactID"], "ARCHIVED")
    answer = post_contacts(
        http,
        {"Name": "Bo Chan R2", "ContactNumber": "R2"},
        {"Name": " ann LEE ", "ContactNumber": "R3"},
        {"ContactID": kept["ContactID"], "EmailAddress": "ann@example.com"},
        {"ContactID": archived["ContactID"], "EmailAddress": "old@example.com"},
        {"Name": "Cy Dee R4", "EmailAddress": "cy dee@example.com"},
    )
    elements = answer.json()["Contacts"]
    assert answer.status_code == 200
    assert [e["StatusAttributeString"] for e in elements] == ["OK", "ERROR", "OK", "ERROR", "ERROR"]
    assert elements[1]["ValidationErrors"] == [{"Message": DUPLICATE_NAME.format(name=" ann LEE ")}]
    assert elements[3]["ValidationErrors"] == [{"Message": ARCHIVED_READ_ONLY}]
    assert elements[4]["ValidationErrors"] == [{"Message": "Email address must be valid."}]
    assert elements[2]["ContactID"] == kept["ContactID"] and elements[2]["Name"] == "Ann Lee"
    assert sorted(c["Name"] for c in xero.contacts.all()) == [
        "Ann Lee",
        "Bo Chan R2",
        "Old Student",
    ]
    reactivated = post_contacts(
        http, {"ContactID": archived["ContactID"], "ContactStatus": "ACTIVE"}
    )
    assert reactivated.json()["Contacts"][0]["StatusAttributeString"] == "OK"
    summarised = http.post("Contacts", json={"Contacts": [{"Name": "Ann Lee"}]})
    assert summarised.status_code == 400 and summarised.json()["Type"] == "ValidationException"
    assert len(summarised.json()["Elements"]) == 1


def test_an_idempotency_key_replays_its_request_and_refuses_another(
    xero: FakeXero, http: httpx.Client, clock: FakeClock
) -> None:
    first = post_contacts(http, {"Name": "Di Eve R5"}, **{"Idempotency-Key": "k-1"})
    again = post_contacts(http, {"Name": "Di Eve R5"}, **{"Idempotency-Key": "k-1"})
    assert again.json()["Contacts"] == first.json()["Contacts"]
    assert [c.replayed for c in xero.requests("POST /Contacts")] == [False, True]
    assert len(xero.contacts.all()) == 1
    other = post_contacts(http, {"Name": "Someone Else"}, **{"Idempotency-Key": "k-1"})
    assert other.status_code == 400 and "different request" in other.json()["Message"]
    clock.advance(6 * 60)
    expired = post_contacts(http, {"Name": "Di Eve R5"}, **{"Idempotency-Key": "k-1"})
    assert expired.json()["Contacts"][0]["StatusAttributeString"] == "ERROR"  # ran again


def test_documents_filter_by_where_date_range_and_status(
    xero: FakeXero, http: httpx.Client
) -> None:
    cid = xero.contacts.add(Name="Fay Gee R6")["ContactID"]
    january = xero.ledger.add_invoice(cid, 10, on=date(2026, 1, 31))
    february = xero.ledger.add_invoice(cid, 20, on=date(2026, 2, 1))
    xero.ledger.add_payment(february, 20)
    where = "(Date>=DateTime(2026,01,01)) AND (Date<DateTime(2026,02,01))"
    ranged = http.get("Invoices", params={"where": where, "page": 1}).json()["Invoices"]
    assert [i["InvoiceID"] for i in ranged] == [january]
    assert ranged[0]["Date"] == "/Date(1769817600000+0000)/"  # 2026-01-31T00:00:00Z
    assert isinstance(ranged[0]["Total"], int | float)
    paid = http.get("Invoices", params={"Statuses": "PAID,VOIDED"}).json()["Invoices"]
    assert [(i["InvoiceID"], i["AmountDue"], i["AmountPaid"]) for i in paid] == [(february, 0, 20)]
    [payment] = http.get("Payments").json()["Payments"]
    assert payment["Invoice"]["Contact"]["ContactID"] == cid
    broken = http.get("Invoices", params={"where": 'Colour=="red"'})
    assert broken.status_code == 400 and broken.json()["Type"] == "QueryParseException"
    assert "No property or field 'Colour'" in broken.json()["Message"]


def test_answers_validate_against_the_official_spec(xero: FakeXero, http: httpx.Client) -> None:
    try:
        openapi = load_openapi()
    except SpecUnavailable as exc:
        pytest.skip(f"Xero OpenAPI spec unavailable: {exc}")
    cid = xero.contacts.add(Name="Hal Ives R7", ContactNumber="R7")["ContactID"]
    invoice = xero.ledger.add_invoice(cid, 120)
    xero.ledger.add_payment(invoice, 20)
    credited = xero.ledger.add_invoice(cid, 50)
    xero.ledger.add_credit_note(cid, 30, allocations=[(credited, 30)])
    xero.ledger.add_overpayment(cid, 5)
    xero.ledger.add_prepayment(cid, 7)
    answers = [
        (post_contacts(http, {"Name": "Ivy Joe R8"}, {"Name": "Hal Ives R7"}), None),
        (http.get("Contacts", params={"page": 1, "summaryOnly": "true"}), None),
        (http.get("Contacts/R7"), "/Contacts/{ContactNumber}"),
        (http.get(f"Contacts/{cid}"), "/Contacts/{ContactID}"),
        *(
            (http.get(path, params={"page": 1}), None)
            for path in ("Invoices", "CreditNotes", "Overpayments", "Prepayments", "Payments")
        ),
        (http.get(f"Invoices/{invoice}/OnlineInvoice"), "/Invoices/{InvoiceID}/OnlineInvoice"),
    ]
    for response, template in answers:
        assert response.status_code == 200, response.text
        request = as_mock_request(response.request, template=template)
        openapi.validate_request(request)
        openapi.validate_response(
            request, MockResponse(response.content, response.status_code, dict(response.headers))
        )


def test_a_request_that_breaks_the_spec_is_refused_and_recorded(clock: FakeClock) -> None:
    try:
        load_openapi()
    except SpecUnavailable as exc:
        pytest.skip(f"Xero OpenAPI spec unavailable: {exc}")
    xero = FakeXero(clock, request_check=validate_request)
    with connect(xero) as http:
        fine = http.get("Contacts", headers={"If-Modified-Since": "2026-11-02T09:00:00+00:00"})
        naive = http.get("Contacts", headers={"If-Modified-Since": "2026-11-02T09:00:00"})
    assert fine.status_code == 200
    assert naive.status_code == 400
    [violation] = xero.violations
    assert violation.startswith("GET /Contacts:") and "If-Modified-Since" in violation
