"""The simulator's credit-note writes (PUT /CreditNotes) validate like Xero, answer per element,
and the notes written are listed by GET /CreditNotes with the spec's shape."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.sim.conftest import SpecCheck
from xerowatch.sim.xero import XeroSim

API = "/api.xro/2.0"
NOT_SUMMARIZED = {"summarizeErrors": "false", "unitdp": "4"}


@pytest.fixture
def members(xero_sim: XeroSim, xero_tenant: str) -> dict[str, str]:
    """Two member contacts (suppliers of expense claims) and an archived one."""
    jo = xero_sim.add_contact(xero_tenant, Name="Jo Smith", ContactNumber="CWM-jsmith")
    ann = xero_sim.add_contact(xero_tenant, Name="Ann Patel", ContactNumber="CWM-apatel")
    gone = xero_sim.add_contact(xero_tenant, Name="Gone", ContactNumber="CWM-gone")
    xero_sim.archive_contact(xero_tenant, gone["ContactID"])
    return {"jo": jo["ContactID"], "ann": ann["ContactID"]}


def _note(number: str, contact: str = "CWM-jsmith", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "Type": "ACCPAYCREDIT",
        "Contact": {"ContactNumber": contact},
        "CreditNoteNumber": number,
        "Date": "2026-11-04",
        "Status": "AUTHORISED",
        "LineAmountTypes": "Inclusive",
        "CurrencyCode": "AUD",
        "LineItems": [
            {
                "Description": "Expense 41",
                "Quantity": 1,
                "UnitAmount": 123.45,
                "AccountCode": "815",
                "TaxType": "INPUT",
            }
        ],
    }
    body.update(extra)
    return {key: value for key, value in body.items() if value is not None}


async def test_good_and_bad_credit_notes_in_one_batch_answer_200_per_element(
    members: dict[str, str], xero_http: httpx.AsyncClient, spec_check: SpecCheck
) -> None:
    bad_line = {"Description": "x", "Quantity": 2, "UnitAmount": 1, "LineAmount": 3}
    sent = [
        _note("EXP-1", Reference="ignored for a supplier credit note"),
        _note("EXP-2", contact="NOPE"),
        _note("EXP-3", LineItems=[bad_line]),
        _note("EXP-1"),  # the same supplier's number again, within the batch
        _note("EXP-1", contact="CWM-apatel"),  # another supplier may use it
        _note("EXP-4", contact="CWM-gone"),
    ]
    response = await xero_http.put(
        f"{API}/CreditNotes", params=NOT_SUMMARIZED, json={"CreditNotes": sent}
    )
    spec_check(response)
    assert response.status_code == 200
    answer = response.json()["CreditNotes"]
    errors = [[m["Message"] for m in a.get("ValidationErrors", [])] for a in answer]
    assert errors[0] == [] and errors[4] == []
    assert "could not be found" in errors[1][0]
    assert "does not equal" in errors[2][0]
    assert errors[3] == ["Credit Note # must be unique."]
    assert "archived" in errors[5][0]
    saved = answer[0]
    assert (saved["Type"], saved["Status"], saved["Total"]) == (
        "ACCPAYCREDIT",
        "AUTHORISED",
        123.45,
    )
    assert saved["RemainingCredit"] == 123.45 and saved["Reference"] == ""
    assert saved["Contact"]["ContactID"] == members["jo"]
    assert answer[1]["CreditNoteID"] == "00000000-0000-0000-0000-000000000000"

    again = await xero_http.put(
        f"{API}/CreditNotes", params=NOT_SUMMARIZED, json={"CreditNotes": [_note("exp-1")]}
    )
    spec_check(again)
    [refused] = again.json()["CreditNotes"]
    assert refused["ValidationErrors"] == [{"Message": "Credit Note # must be unique."}]
    # a Type the spec does not list (so no spec check: the request itself is off-spec)
    wrong = await xero_http.put(
        f"{API}/CreditNotes",
        params=NOT_SUMMARIZED,
        json={"CreditNotes": [_note("X", Type="ACCPAY")]},
    )
    [refused] = wrong.json()["CreditNotes"]
    assert "Type must be one of" in refused["ValidationErrors"][0]["Message"]


async def test_written_credit_notes_are_found_by_number_with_where(
    members: dict[str, str], xero_http: httpx.AsyncClient, spec_check: SpecCheck
) -> None:
    sent = [_note("EXP-1"), _note("EXPCR-jsmith-2026W45-2"), _note("EXP-3", contact="CWM-apatel")]
    written = await xero_http.put(
        f"{API}/CreditNotes", params=NOT_SUMMARIZED, json={"CreditNotes": sent}
    )
    spec_check(written)
    where = 'CreditNoteNumber=="EXP-1" OR CreditNoteNumber=="EXPCR-jsmith-2026W45-2"'
    listed = await xero_http.get(
        f"{API}/CreditNotes", params={"where": where, "page": "1", "pageSize": "100"}
    )
    spec_check(listed)
    found = listed.json()["CreditNotes"]
    assert sorted(n["CreditNoteNumber"] for n in found) == ["EXP-1", "EXPCR-jsmith-2026W45-2"]
    assert {n["Contact"]["ContactID"] for n in found} == {members["jo"]}


async def test_summarized_errors_refuse_the_whole_credit_note_batch_with_400(
    members: dict[str, str], xero_http: httpx.AsyncClient, xero_sim: XeroSim, xero_tenant: str
) -> None:
    response = await xero_http.put(
        f"{API}/CreditNotes",
        json={"CreditNotes": [_note("EXP-1"), _note("EXP-2", contact="NOPE")]},
    )
    assert response.status_code == 400
    assert xero_sim.records(xero_tenant, "CreditNotes") == []
