"""XeroClient batch contact writes: 50 per call, per-input results, idempotency, failures."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.xero.client_rig import TENANT, ClientRig, client_rig, stable_id
from xerowatch.xero.errors import XeroAuthError, XeroResponseError, XeroValidationError
from xerowatch.xero.models import Address, AddressType, Contact
from xerowatch.xero.write_results import WriteStatus


@pytest.fixture
async def rig() -> AsyncIterator[ClientRig]:
    async with client_rig() as made:
        yield made


def _new_contacts(count: int, start: int = 0) -> list[Contact]:
    return [
        Contact(name=f"Learner {i}", contact_number=f"WN-{i}", email_address=f"l{i}@example.com")
        for i in range(start, start + count)
    ]


def _saved(element: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """What Xero answers for an element it saved."""
    answer = dict(element)
    answer.setdefault("ContactID", str(stable_id(f"saved-{element.get('ContactNumber')}")))
    answer.update(
        {
            "ContactStatus": "ACTIVE",
            "UpdatedDateUTC": "/Date(1762074000000+0000)/",
            "HasValidationErrors": False,
            "StatusAttributeString": "OK",
        }
    )
    answer.update(extra)
    return answer


def _echo(request: httpx.Request) -> httpx.Response:
    """A Xero that saves every element, answering in input order."""
    sent = json.loads(request.content)["Contacts"]
    return httpx.Response(200, json={"Contacts": [_saved(element) for element in sent]})


async def test_200_new_contacts_are_written_in_4_calls(rig: ClientRig) -> None:
    route = rig.router.post("/Contacts").mock(side_effect=_echo)
    contacts = _new_contacts(200)
    results = await rig.client.upsert_contacts(contacts, tenant=TENANT)
    assert route.call_count == 4
    assert [r.index for r in results] == list(range(200))
    assert all(r.ok for r in results)
    for result in results:
        assert result.submitted is contacts[result.index]
        assert result.contact is not None
        assert result.contact.contact_id == stable_id(f"saved-WN-{result.index}")
    for request in rig.requests:
        assert request.url.params["summarizeErrors"] == "false"
        assert len(json.loads(request.content)["Contacts"]) == 50
        assert request.headers["content-type"] == "application/json"
    keys = [r.headers["Idempotency-Key"] for r in rig.requests]
    assert len(set(keys)) == 4 and all(0 < len(k) <= 128 for k in keys)


async def test_the_body_is_the_write_form_of_each_contact(rig: ClientRig) -> None:
    rig.router.post("/Contacts").mock(side_effect=_echo)
    known = Contact.model_validate(
        {
            "ContactID": str(stable_id("known")),
            "ContactNumber": "WN-1",
            "Name": "Known",
            "UpdatedDateUTC": "/Date(1762074000000+0000)/",
            "IsCustomer": True,
            "Addresses": [{"AddressType": "STREET", "City": "Hobart"}],
        }
    )
    await rig.client.upsert_contacts([known], tenant=TENANT)
    assert json.loads(rig.requests[0].content) == {
        "Contacts": [
            {
                "ContactID": str(stable_id("known")),
                "ContactNumber": "WN-1",
                "Name": "Known",
                "Addresses": [{"AddressType": "STREET", "City": "Hobart"}],
            }
        ]
    }


async def test_per_element_errors_and_warnings_map_back_to_their_inputs(rig: ClientRig) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content)["Contacts"]
        answers = [_saved(element) for element in sent]
        answers[1] = dict(
            sent[1],
            ContactID="00000000-0000-0000-0000-000000000000",
            HasValidationErrors=True,
            StatusAttributeString="ERROR",
            ValidationErrors=[
                {"Message": "The contact name Learner 1 is already assigned to another contact."}
            ],
        )
        answers[2] = _saved(sent[2], StatusAttributeString="WARNING")
        answers[2]["Warnings"] = [{"Message": "Email address looks unusual"}]
        return httpx.Response(200, json={"Contacts": answers})

    rig.router.post("/Contacts").mock(side_effect=respond)
    results = await rig.client.upsert_contacts(_new_contacts(3), tenant=TENANT)
    assert [r.status for r in results] == [WriteStatus.OK, WriteStatus.REJECTED, WriteStatus.OK]
    assert results[1].messages == (
        "The contact name Learner 1 is already assigned to another contact.",
    )
    assert results[2].messages == ("Email address looks unusual",)


async def test_an_ok_element_without_a_contact_id_is_a_failure(rig: ClientRig) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content)["Contacts"]
        answers = [_saved(element) for element in sent]
        del answers[0]["ContactID"]
        return httpx.Response(200, json={"Contacts": answers})

    rig.router.post("/Contacts").mock(side_effect=respond)
    results = await rig.client.upsert_contacts(_new_contacts(2), tenant=TENANT)
    assert results[0].status is WriteStatus.FAILED
    assert isinstance(results[0].error, XeroResponseError)
    assert "no ContactID" in str(results[0].error)
    assert results[1].ok


async def test_a_short_answer_fails_the_whole_request(rig: ClientRig) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content)["Contacts"]
        return httpx.Response(200, json={"Contacts": [_saved(e) for e in sent[:-1]]})

    rig.router.post("/Contacts").mock(side_effect=respond)
    results = await rig.client.upsert_contacts(_new_contacts(3), tenant=TENANT)
    assert {r.status for r in results} == {WriteStatus.FAILED}
    assert "sent 3 contacts, got 2 back" in str(results[0].error)


async def test_answers_out_of_order_are_not_trusted(rig: ClientRig) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content)["Contacts"]
        rotated = sent[1:] + sent[:1]
        return httpx.Response(200, json={"Contacts": [_saved(e) for e in rotated]})

    rig.router.post("/Contacts").mock(side_effect=respond)
    updated = Contact(contact_id=stable_id("c0"), name="Zero")
    results = await rig.client.upsert_contacts([*_new_contacts(2), updated], tenant=TENANT)
    assert [r.status for r in results] == [WriteStatus.FAILED] * 3
    assert "another ContactNumber" in str(results[0].error)
    assert "another ContactNumber" in str(results[1].error)
    assert "another ContactID" in str(results[2].error)


async def test_a_400_rejects_the_elements_it_names_and_the_batch_goes_on(rig: ClientRig) -> None:
    calls = 0

    def respond(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        sent = json.loads(request.content)["Contacts"]
        if calls == 1:
            bad = dict(sent[3], ValidationErrors=[{"Message": "Email address must be valid."}])
            error = {
                "ErrorNumber": 10,
                "Type": "ValidationException",
                "Message": "A validation exception occurred",
                "Elements": [bad],
            }
            return httpx.Response(400, json=error)
        return _echo(request)

    rig.router.post("/Contacts").mock(side_effect=respond)
    results = await rig.client.upsert_contacts(_new_contacts(60), tenant=TENANT)
    assert calls == 2
    assert results[3].status is WriteStatus.REJECTED
    assert results[3].messages == ("Email address must be valid.",)
    assert isinstance(results[3].error, XeroValidationError)
    others = [r.status for r in results[:50] if r.index != 3]
    assert set(others) == {WriteStatus.FAILED}  # their fate is unknown: retry them
    assert all(r.ok for r in results[50:])


async def test_an_auth_error_stops_the_batch(rig: ClientRig) -> None:
    calls = 0

    def respond(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 2:
            return httpx.Response(
                403, json={"Title": "Forbidden", "Detail": "AuthenticationUnsuccessful"}
            )
        return _echo(request)

    rig.router.post("/Contacts").mock(side_effect=respond)
    results = await rig.client.upsert_contacts(_new_contacts(150), tenant=TENANT)
    assert calls == 2
    assert all(r.ok for r in results[:50])
    assert {r.status for r in results[50:100]} == {WriteStatus.FAILED}
    assert {r.status for r in results[100:]} == {WriteStatus.NOT_SENT}
    assert isinstance(results[120].error, XeroAuthError)


async def test_a_retry_after_a_lost_answer_replays_with_the_same_key(rig: ClientRig) -> None:
    attempts: list[httpx.Request] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        attempts.append(request)
        if len(attempts) == 1:
            return httpx.Response(503, text="Service Unavailable")
        return _echo(request)

    rig.router.post("/Contacts").mock(side_effect=flaky)
    contacts = _new_contacts(2)
    results = await rig.client.upsert_contacts(contacts, tenant=TENANT, idempotency_scope="job-9")
    assert all(r.ok for r in results)
    assert len(attempts) == 2
    first, second = (a.headers["Idempotency-Key"] for a in attempts)
    assert first == second
    assert attempts[0].content == attempts[1].content

    # a later resend of the same logical write (e.g. after a crash) derives the same key again
    await rig.client.upsert_contacts(contacts, tenant=TENANT, idempotency_scope="job-9")
    assert attempts[-1].headers["Idempotency-Key"] == first
    await rig.client.upsert_contacts(contacts, tenant=TENANT, idempotency_scope="job-10")
    assert attempts[-1].headers["Idempotency-Key"] != first


async def test_a_contact_too_large_for_any_request_is_rejected_unsent(rig: ClientRig) -> None:
    route = rig.router.post("/Contacts").mock(side_effect=_echo)
    line = "x" * 500
    huge = Contact(
        name="Huge",
        contact_number="WN-huge",
        addresses=[Address(address_type=AddressType.STREET, address_line1=line)] * 7000,
    )
    results = await rig.client.upsert_contacts([_new_contacts(1)[0], huge], tenant=TENANT)
    assert results[0].ok
    assert results[1].status is WriteStatus.REJECTED
    assert "one request may carry" in results[1].messages[0]
    assert route.call_count == 1
    assert len(json.loads(rig.requests[0].content)["Contacts"]) == 1


async def test_a_contact_with_an_enum_value_xero_does_not_list_is_rejected_unsent(
    rig: ClientRig,
) -> None:
    route = rig.router.post("/Contacts").mock(side_effect=_echo)
    odd = Contact.model_validate(
        {"Name": "Odd", "ContactNumber": "WN-odd", "Addresses": [{"AddressType": "DELIVERY"}]}
    )
    results = await rig.client.upsert_contacts([odd, _new_contacts(1)[0]], tenant=TENANT)
    assert results[0].status is WriteStatus.REJECTED
    assert "AddressType 'DELIVERY'" in results[0].messages[0]
    assert results[1].ok
    assert route.call_count == 1
    assert [c["Name"] for c in json.loads(rig.requests[0].content)["Contacts"]] == ["Learner 0"]


async def test_an_answer_with_a_status_xero_added_later_is_still_saved(rig: ClientRig) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content)["Contacts"]
        answers = [_saved(element, ContactStatus="UNDER-REVIEW") for element in sent]
        return httpx.Response(200, json={"Contacts": answers})

    rig.router.post("/Contacts").mock(side_effect=respond)
    [result] = await rig.client.upsert_contacts(_new_contacts(1), tenant=TENANT)
    assert result.ok
    assert result.contact is not None and result.contact.contact_status == "UNDER-REVIEW"


async def test_nothing_to_write_makes_no_call(rig: ClientRig) -> None:
    assert await rig.client.upsert_contacts([], tenant=TENANT) == []
    assert rig.requests == []
