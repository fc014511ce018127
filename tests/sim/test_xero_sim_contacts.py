"""The simulator's Contacts endpoints: lists, lookups, writes and their error bodies."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from xerowatch.sim.xero import XeroSim, quote

API = "/api.xro/2.0"
DUPLICATE = (
    "The contact name Ann Lee is already assigned to another contact. "
    "The contact name must be unique across all active contacts."
)


async def test_list_is_paged_and_matches_the_spec(
    xero_sim: XeroSim, xero_tenant, xero_http, spec_check
):
    for index in range(25):
        xero_sim.add_contact(xero_tenant, Name=f"Learner {index:02d}", ContactNumber=f"WN-{index}")

    first = await xero_http.get(f"{API}/Contacts", params={"page": 1, "pageSize": 10})
    last = await xero_http.get(f"{API}/Contacts", params={"page": 3, "pageSize": 10})
    beyond = await xero_http.get(f"{API}/Contacts", params={"page": 4, "pageSize": 10})

    spec_check(first)
    assert first.json()["pagination"] == {
        "page": 1,
        "pageSize": 10,
        "pageCount": 3,
        "itemCount": 25,
    }
    assert [c["Name"] for c in first.json()["Contacts"]][:2] == ["Learner 00", "Learner 01"]
    assert [c["Name"] for c in last.json()["Contacts"]] == [f"Learner {i}" for i in range(20, 25)]
    assert beyond.json()["Contacts"] == []


async def test_page_size_is_capped_and_bad_paging_is_a_400(xero_sim, xero_tenant, xero_http):
    xero_sim.add_contact(xero_tenant, Name="Solo")
    capped = await xero_http.get(f"{API}/Contacts", params={"page": 1, "pageSize": 5000})
    bad = await xero_http.get(f"{API}/Contacts", params={"page": "zero"})
    assert capped.json()["pagination"]["pageSize"] == 1000
    assert bad.status_code == 400
    assert bad.json()["Type"] == "QueryParseException"


async def test_if_modified_since_returns_only_later_changes(
    xero_sim, xero_clock, xero_tenant, xero_http, spec_check
):
    old = xero_sim.add_contact(xero_tenant, Name="Old")
    xero_clock.advance(60)
    cutoff = xero_clock.now()
    xero_clock.advance(1)
    xero_sim.add_contact(xero_tenant, Name="New")
    xero_sim.update(xero_tenant, "Contacts", old["ContactID"], EmailAddress="old@example.com")

    response = await xero_http.get(
        f"{API}/Contacts",
        params={"page": 1},
        headers={"If-Modified-Since": cutoff.isoformat(timespec="milliseconds")},
    )
    unparsable = await xero_http.get(f"{API}/Contacts", headers={"If-Modified-Since": "yesterday"})

    spec_check(response)
    assert sorted(c["Name"] for c in response.json()["Contacts"]) == ["New", "Old"]
    stamp = datetime(2026, 11, 2, 9, 1, 1, tzinfo=UTC)
    assert response.json()["Contacts"][0]["UpdatedDateUTC"] == (
        f"/Date({int(stamp.timestamp() * 1000)}+0000)/"
    )
    assert unparsable.status_code == 400


async def test_archived_contacts_are_hidden_unless_asked_for(xero_sim, xero_tenant, xero_http):
    kept = xero_sim.add_contact(xero_tenant, Name="Kept")
    gone = xero_sim.add_contact(xero_tenant, Name="Gone")
    xero_sim.archive_contact(xero_tenant, gone["ContactID"])

    default = await xero_http.get(f"{API}/Contacts")
    everything = await xero_http.get(f"{API}/Contacts", params={"includeArchived": "true"})
    by_id = await xero_http.get(f"{API}/Contacts/{gone['ContactID']}")

    assert [c["ContactID"] for c in default.json()["Contacts"]] == [kept["ContactID"]]
    assert len(everything.json()["Contacts"]) == 2
    assert by_id.json()["Contacts"][0]["ContactStatus"] == "ARCHIVED"


async def test_ids_where_search_and_summary_filters(xero_sim, xero_tenant, xero_http, spec_check):
    ann = xero_sim.add_contact(xero_tenant, Name="Ann Lee", EmailAddress="ann@uni.edu")
    bob = xero_sim.add_contact(xero_tenant, Name="Bob O'Brien", ContactNumber="WN-7")
    xero_sim.add_contact(xero_tenant, Name="Cat Smith", FirstName="Cat")

    by_ids = await xero_http.get(
        f"{API}/Contacts", params={"IDs": f"{ann['ContactID']},{bob['ContactID']}"}
    )
    by_where = await xero_http.get(
        f"{API}/Contacts",
        params={"where": 'Name.StartsWith("ann") OR (ContactNumber=="WN-7" AND Name!="x")'},
    )
    by_search = await xero_http.get(f"{API}/Contacts", params={"searchTerm": "UNI.EDU"})
    summary = await xero_http.get(f"{API}/Contacts", params={"summaryOnly": "true", "page": 1})
    bad_field = await xero_http.get(f"{API}/Contacts", params={"where": 'Colour=="red"'})

    for response in (by_ids, by_where, by_search, summary):
        spec_check(response)
    assert {c["Name"] for c in by_ids.json()["Contacts"]} == {"Ann Lee", "Bob O'Brien"}
    assert {c["Name"] for c in by_where.json()["Contacts"]} == {"Ann Lee", "Bob O'Brien"}
    assert [c["Name"] for c in by_search.json()["Contacts"]] == ["Ann Lee"]
    assert all("Addresses" not in c and "Phones" not in c for c in summary.json()["Contacts"])
    assert bad_field.status_code == 400


async def test_a_quoted_value_never_widens_the_query(xero_sim, xero_tenant, xero_http):
    xero_sim.add_contact(xero_tenant, Name='Sean O"Brien')
    xero_sim.add_contact(xero_tenant, Name="Someone Else")
    nasty = 'a" OR Name!="'

    exact = await xero_http.get(
        f"{API}/Contacts", params={"where": "Name==" + quote('Sean O"Brien')}
    )
    injected = await xero_http.get(f"{API}/Contacts", params={"where": "Name==" + quote(nasty)})

    assert [c["Name"] for c in exact.json()["Contacts"]] == ['Sean O"Brien']
    assert injected.status_code == 200
    assert injected.json()["Contacts"] == []


async def test_get_by_contact_number_and_unknown_is_404(
    xero_sim, xero_tenant, xero_http, spec_check
):
    made = xero_sim.add_contact(xero_tenant, Name="Numbered", ContactNumber="WN-42")
    found = await xero_http.get(f"{API}/Contacts/WN-42")
    missing = await xero_http.get(f"{API}/Contacts/00000000-0000-4000-8000-000000000000")
    spec_check(found)
    assert found.json()["Contacts"][0]["ContactID"] == made["ContactID"]
    assert missing.status_code == 404


async def test_put_creates_and_rejects_a_duplicate_name_per_element(
    xero_sim, xero_tenant, xero_http, spec_check
):
    xero_sim.add_contact(xero_tenant, Name="Ann Lee")
    response = await xero_http.put(
        f"{API}/Contacts",
        params={"summarizeErrors": "false"},
        json={
            "Contacts": [
                {"Name": "Ann Lee"},
                {"Name": "New Learner", "ContactNumber": "WN-1"},
                {"Name": "Bad Mail", "EmailAddress": "not an email"},
            ]
        },
    )

    spec_check(response)
    elements = response.json()["Contacts"]
    assert [e["StatusAttributeString"] for e in elements] == ["ERROR", "OK", "ERROR"]
    assert elements[0]["ValidationErrors"] == [{"Message": DUPLICATE}]
    assert elements[0]["HasValidationErrors"] is True
    assert elements[1]["ContactID"] and elements[1]["ContactNumber"] == "WN-1"
    assert elements[2]["ValidationErrors"] == [{"Message": "Email address must be valid."}]
    assert sorted(c["Name"] for c in xero_sim.contacts(xero_tenant)) == ["Ann Lee", "New Learner"]


async def test_summarised_errors_are_a_400_and_nothing_is_written(
    xero_sim, xero_tenant, xero_http, spec_check
):
    xero_sim.add_contact(xero_tenant, Name="Ann Lee")
    response = await xero_http.put(
        f"{API}/Contacts", json={"Contacts": [{"Name": "Fine"}, {"Name": "ann lee"}]}
    )

    spec_check(response)
    error = response.json()
    assert response.status_code == 400
    assert (error["ErrorNumber"], error["Type"]) == (10, "ValidationException")
    assert error["Elements"][0]["ValidationErrors"][0]["Message"].startswith("The contact name")
    assert [c["Name"] for c in xero_sim.contacts(xero_tenant)] == ["Ann Lee"]


async def test_a_failed_summarised_post_rolls_back_its_updates_too(
    xero_sim, xero_tenant, xero_http, spec_check
):
    ann = xero_sim.add_contact(xero_tenant, Name="Ann Lee", ContactNumber="WN-1")
    xero_sim.add_contact(xero_tenant, Name="Bob Tane")
    response = await xero_http.post(
        f"{API}/Contacts",
        json={
            "Contacts": [
                {"ContactNumber": "WN-1", "EmailAddress": "new@example.com"},
                {"ContactNumber": "WN-1", "Name": "Bob Tane"},
            ]
        },
    )
    spec_check(response)
    assert response.status_code == 400
    assert len(response.json()["Elements"]) == 1
    assert xero_sim.get(xero_tenant, "Contacts", ann["ContactID"]) == ann


async def test_field_limits_are_enforced_and_echoes_stay_spec_valid(
    xero_tenant, xero_http, spec_check
):
    response = await xero_http.put(
        f"{API}/Contacts",
        params={"summarizeErrors": "false"},
        json={"Contacts": [{"Name": "N" * 256}, {"Name": "Ok", "ContactNumber": "C" * 51}]},
    )
    spec_check(response, request_too=False)
    messages = [e["ValidationErrors"][0]["Message"] for e in response.json()["Contacts"]]
    assert messages == [
        "Name must not be more than 255 characters long.",
        "ContactNumber must not be more than 50 characters long.",
    ]


async def test_post_updates_by_id_or_contact_number_else_creates(
    xero_sim, xero_clock, xero_tenant, xero_http, spec_check
):
    made = xero_sim.add_contact(xero_tenant, Name="Ann Lee", ContactNumber="WN-1")
    xero_clock.advance(5)
    response = await xero_http.post(
        f"{API}/Contacts",
        params={"summarizeErrors": "false"},
        json={
            "Contacts": [
                {"ContactNumber": "WN-1", "EmailAddress": "ann@example.com"},
                {"ContactID": made["ContactID"], "FirstName": "Ann"},
                {"Name": "Brand New"},
            ]
        },
    )

    spec_check(response)
    elements = response.json()["Contacts"]
    assert [e["ContactID"] for e in elements[:2]] == [made["ContactID"]] * 2
    stored = xero_sim.get(xero_tenant, "Contacts", made["ContactID"])
    assert stored is not None
    assert (stored["EmailAddress"], stored["FirstName"]) == ("ann@example.com", "Ann")
    assert stored["UpdatedDateUTC"] != made["UpdatedDateUTC"]
    assert len(xero_sim.contacts(xero_tenant)) == 2


async def test_duplicate_contact_number_is_an_element_error(xero_sim, xero_tenant, xero_http):
    xero_sim.add_contact(xero_tenant, Name="First", ContactNumber="WN-9")
    response = await xero_http.put(
        f"{API}/Contacts",
        params={"summarizeErrors": "false"},
        json={"Contacts": [{"Name": "Second", "ContactNumber": "WN-9"}]},
    )
    message = response.json()["Contacts"][0]["ValidationErrors"][0]["Message"]
    assert message == "The contact number WN-9 is already assigned to another contact."


async def test_archived_contact_is_read_only_until_reactivated(
    xero_sim, xero_tenant, xero_http, spec_check
):
    made = xero_sim.add_contact(xero_tenant, Name="Sleepy")
    xero_sim.archive_contact(xero_tenant, made["ContactID"])
    url = f"{API}/Contacts/{made['ContactID']}"

    refused = await xero_http.post(url, json={"Contacts": [{"EmailAddress": "a@b.co"}]})
    revived = await xero_http.post(
        url, json={"Contacts": [{"ContactStatus": "ACTIVE", "EmailAddress": "a@b.co"}]}
    )

    spec_check(refused)
    spec_check(revived)
    assert refused.status_code == 400
    assert refused.json()["Elements"][0]["ValidationErrors"] == [
        {"Message": "The contact is archived and cannot be edited."}
    ]
    assert revived.status_code == 200
    assert revived.json()["Contacts"][0]["ContactStatus"] == "ACTIVE"


async def test_a_name_freed_by_archiving_can_be_reused(xero_sim, xero_tenant, xero_http):
    old = xero_sim.add_contact(xero_tenant, Name="Ann Lee")
    xero_sim.archive_contact(xero_tenant, old["ContactID"])
    response = await xero_http.put(f"{API}/Contacts", json={"Contacts": [{"Name": "Ann Lee"}]})
    assert response.status_code == 200


async def test_merge_moves_documents_and_the_merged_contact_disappears(
    xero_sim, xero_tenant, xero_http
):
    keep = xero_sim.add_contact(xero_tenant, Name="Keep")
    gone = xero_sim.add_contact(xero_tenant, Name="Gone")
    invoice = xero_sim.add_invoice(xero_tenant, gone["ContactID"], Total=100)

    xero_sim.merge_contacts(xero_tenant, keep["ContactID"], gone["ContactID"])

    lookup = await xero_http.get(f"{API}/Contacts/{gone['ContactID']}")
    moved = await xero_http.get(f"{API}/Invoices/{invoice['InvoiceID']}")
    assert lookup.status_code == 404
    assert moved.json()["Invoices"][0]["Contact"]["ContactID"] == keep["ContactID"]


@pytest.mark.parametrize(
    ("payload", "status"),
    [(b"{not json", 400), (b'{"Contacts": {"Name": "x"}}', 400), (b"[]", 400)],
)
async def test_malformed_bodies_are_rejected(xero_tenant, xero_http, payload, status):
    response = await xero_http.put(
        f"{API}/Contacts", content=payload, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == status
    assert response.json()["Type"] == "PostDataInvalidException"


async def test_oversized_bodies_and_batches_are_refused(xero_sim, xero_tenant, xero_http):
    xero_sim.config.max_elements = 3
    too_many = await xero_http.put(
        f"{API}/Contacts", json={"Contacts": [{"Name": f"L{i}"} for i in range(4)]}
    )
    too_big = await xero_http.put(
        f"{API}/Contacts", json={"Contacts": [{"Name": "x", "BankAccountDetails": "9" * 3_600_000}]}
    )
    assert too_many.status_code == 400
    assert too_big.status_code == 413
    assert xero_sim.contacts(xero_tenant) == []


async def test_gdpr_contacts_cannot_be_edited_or_requested(xero_sim, xero_tenant, xero_http):
    forgotten = xero_sim.add_contact(xero_tenant, Name="Forgotten", ContactStatus="GDPRREQUEST")
    edit = await xero_http.post(
        f"{API}/Contacts/{forgotten['ContactID']}",
        json={"Contacts": [{"ContactStatus": "ACTIVE"}]},
    )
    request = await xero_http.put(
        f"{API}/Contacts", json={"Contacts": [{"Name": "Me", "ContactStatus": "GDPRREQUEST"}]}
    )
    assert edit.status_code == 400
    assert "anonymised" in edit.json()["Elements"][0]["ValidationErrors"][0]["Message"]
    assert request.status_code == 400


async def test_json_must_be_asked_for(xero_http):
    response = await xero_http.get(f"{API}/Contacts", headers={"Accept": "*/*"})
    assert response.status_code == 406
