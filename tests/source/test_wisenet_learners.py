"""Wisenet learner records → SourceLearner (mapping rules and awkward data)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from xerowatch.records import SourceAddress
from xerowatch.sim.wisenet import WisenetSim
from xerowatch.source.wisenet.combos import Combos
from xerowatch.source.wisenet.learners import LearnerDataError, map_learner

from .conftest import MakeSource, collect

COMBOS = Combos(states={1: "NSW", 5: "WA"}, countries={1101: "Australia"})
SYDNEY = ZoneInfo("Australia/Sydney")


def item(**personal: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "FirstName": " Felicity ",
        "LastName": "Jones",
        "LearnerNumber": "DAU0000072",
        "SyncToXero": True,
        "IsActive": True,
        "EmailAddresses": {"Email": "felicity@example.com"},
    }
    base.update(personal)
    return {
        "Data": {"LearnerId": 72, "LastModifiedTimeStamp": "2026-11-02T20:00:00", "Personal": base},
        "Relationships": {},
    }


def test_core_fields() -> None:
    learner = map_learner(
        item(PhoneNumbers={"Mobile": "0412 345 678", "PhoneHome": ""}), COMBOS, SYDNEY
    )
    assert learner.source_id == "72"
    assert learner.ref_internal == "DAU0000072"
    assert (learner.first_name, learner.last_name) == ("Felicity", "Jones")
    assert learner.email == "felicity@example.com"
    assert learner.mobile == "0412 345 678"
    assert learner.phone_home is None
    assert learner.modified_at == datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    assert learner.sync_to_xero and learner.is_active


def test_street_and_postal_address_lines() -> None:
    street = {
        "BuildingName": "Harbour House",
        "UnitDetails": "Unit 3",
        "StreetNumber": "14",
        "StreetName": "Hay Street",
        "ExtraAddressLine": "Rear entrance",
        "PoBox": "99",  # ignored on a street address
        "SuburbTownCity": "Perth",
        "StateId": 5,
        "Postcode": 6000,  # a number in the JSON is still a postcode
        "CountryId": 1101,
    }
    postal = {"PoBox": "GPO Box 7", "SuburbTownCity": "Perth", "StateId": 5, "Postcode": "6001"}
    learner = map_learner(item(StreetAddress=street, PostalAddress=postal), COMBOS, SYDNEY)
    assert learner.street_address == SourceAddress(
        lines=("Harbour House", "Unit 3 14 Hay Street", "Rear entrance"),
        city="Perth",
        state="WA",
        postcode="6000",
        country="Australia",
    )
    assert learner.postal_address == SourceAddress(
        lines=("GPO Box 7",), city="Perth", state="WA", postcode="6001"
    )


def test_unresolvable_ids_pass_through_and_empty_addresses_vanish() -> None:
    learner = map_learner(
        item(StreetAddress={"StateId": 42, "CountryId": 9999}, PostalAddress={"StreetName": " "}),
        COMBOS,
        SYDNEY,
    )
    assert learner.street_address is not None
    assert (learner.street_address.state, learner.street_address.country) == ("42", "9999")
    assert learner.postal_address is None


def test_flags_default_to_true_only_when_missing() -> None:
    learner = map_learner(item(SyncToXero=None, IsActive=None), COMBOS, SYDNEY)
    assert learner.sync_to_xero and learner.is_active
    learner = map_learner(item(SyncToXero=False, IsActive=False), COMBOS, SYDNEY)
    assert not learner.sync_to_xero and not learner.is_active


def test_a_bare_record_without_envelope_is_accepted() -> None:
    assert map_learner(item()["Data"], COMBOS, SYDNEY).source_id == "72"


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (
            item(LearnerNumber="  "),
            "Wisenet learner 72: Personal.LearnerNumber (RefInternal) is empty",
        ),
        ({"Data": {"Personal": {}}}, "Wisenet learner ?: LearnerId: Field required"),
        (
            {"Data": {"LearnerId": "x"}},
            "Wisenet learner x: LearnerId: Input should be a valid integer",
        ),
        (
            {
                "Data": {
                    "LearnerId": 3,
                    "LastModifiedTimeStamp": "soon",
                    "Personal": item()["Data"]["Personal"],
                }
            },
            "Wisenet learner 3: LastModifiedTimeStamp: not an ISO-8601 timestamp: 'soon'",
        ),
        (
            item(SyncToXero="perhaps"),
            "Wisenet learner 72: Personal/SyncToXero: Input should be a valid boolean",
        ),
    ],
)
def test_unmappable_records_raise_with_the_record_named(
    record: dict[str, Any], message: str
) -> None:
    with pytest.raises(LearnerDataError) as info:
        map_learner(record, COMBOS, SYDNEY)
    assert str(info.value).startswith(message)


async def test_awkward_seed_learners_map_as_the_engine_expects(
    sim: WisenetSim, make_source: MakeSource
) -> None:
    ids = sim.seed_awkward()
    learners = {le.source_id: le for b in await collect(make_source(), None) for le in b.learners}

    def get(key: str):
        return learners[str(ids[key])]

    assert get("email_blanks").email == "mary.smith @example.com"  # inner blank left to validation
    assert get("unknown_country").street_address.country == "9999"
    missing = get("missing_state_postcode").street_address
    assert (missing.state, missing.postcode, missing.country) == (None, None, "Australia")
    assert get("apostrophe").last_name == "O'Brien"
    assert get("double_quote").last_name == 'O"Brien'
    assert (get("unicode").first_name, get("unicode").last_name) == ("Zoë", "Nguyễn Thị")
    assert (get("cjk").first_name, get("cjk").last_name) == ("小龙", "李")
    assert (get("no_names").first_name, get("no_names").last_name) == (None, None)
    assert get("po_box").street_address.lines == ("Harbour House", "Unit 3 14 Hay Street")
