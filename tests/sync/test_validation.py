"""Validation rules: every failure names the field and the fix; valid learners map cleanly."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.sync.memory_source import learner
from xerowatch.records import SourceAddress
from xerowatch.sync.regions import map_au_state, map_country
from xerowatch.sync.validation import contact_name, validate


def messages(**overrides: object) -> list[str]:
    _, problems = validate(learner("DAU0000072", **overrides))
    return [p.message for p in problems]


def test_valid_learner_passes_and_gets_the_unique_name() -> None:
    valid, problems = validate(learner("DAU0000072", first_name="Felicity", last_name="Jones"))
    assert problems == []
    assert valid is not None
    assert valid.name == "Felicity Jones DAU0000072"
    assert valid.postal is not None and valid.postal.region == "NSW"


def test_names_are_required() -> None:
    assert messages(first_name=" ", last_name=None) == ["First name missing", "Last name missing"]


def test_email_with_blanks_is_refused_with_a_fix() -> None:
    _, problems = validate(learner("R1", email="ada lovelace@example.com"))
    assert [p.field for p in problems] == ["Email"]
    assert problems[0].message == "Email has blanks: 'ada lovelace@example.com'"
    assert "Remove the spaces" in problems[0].fix


def test_email_missing_and_invalid() -> None:
    assert messages(email=None) == ["Email missing"]
    assert messages(email="not-an-email") == ["Email invalid: not-an-email"]
    assert messages(email="jürgen@example.de") == [
        "Email has accented or non-Latin letters, which Xero refuses: jürgen@example.de"
    ]


def test_unknown_country_and_state_name_the_value() -> None:
    bad = SourceAddress(
        lines=("1 St",), city="X", state="Nowhere", postcode="2000", country="Atlantis"
    )
    assert messages(postal_address=bad) == ["Country unknown: Atlantis"]
    bad_state = SourceAddress(state="New South Whales", postcode="2000", country="Australia")
    assert messages(postal_address=bad_state) == ["State unknown: New South Whales"]


def test_missing_state_and_postcode() -> None:
    address = SourceAddress(lines=("1 St",), city="Sydney", country="Australia")
    assert messages(postal_address=address) == [
        "Postal address has no state",
        "Postal address has no postcode",
    ]
    assert messages(postal_address=None) == ["Address missing"]


def test_street_address_can_carry_the_requirements() -> None:
    street = SourceAddress(
        lines=("2 Rd",), city="Perth", state="Western Australia", postcode="6000"
    )
    valid, problems = validate(learner("R9", postal_address=None, street_address=street))
    assert problems == []
    assert valid is not None and valid.street is not None and valid.street.region == "WA"


def test_overseas_state_is_passed_through() -> None:
    nz = SourceAddress(city="Auckland", state="Auckland", postcode="1010", country="New Zealand")
    valid, problems = validate(learner("R5", postal_address=nz))
    assert problems == [] and valid is not None and valid.postal is not None
    assert (valid.postal.region, valid.postal.country) == ("Auckland", "New Zealand")


def test_xero_field_limits() -> None:
    assert messages(ref_internal="X" * 51)[0].startswith("RefInternal too long: 51")
    assert any("Contact name too long" in m for m in messages(last_name="L" * 250))


def test_exact_mappings() -> None:
    assert map_au_state(" new  south wales ") == "NSW"
    assert map_au_state("NSW.") is None
    assert map_country("au") == "Australia"
    assert map_country("UK") is None  # not an ISO code: no guessing
    assert map_country("United Kingdom") == "United Kingdom"
    assert map_country("GB") == "United Kingdom"


names = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)


@given(first=names, last=names, email=st.one_of(st.none(), names))
def test_validation_never_crashes_and_explains_every_refusal(
    first: str, last: str, email: str | None
) -> None:
    valid, problems = validate(learner("P1", first_name=first, last_name=last, email=email))
    assert (valid is None) == bool(problems)
    for problem in problems:
        assert problem.field and problem.message and problem.fix


@given(first=st.text(min_size=1, max_size=30), last=st.text(min_size=1, max_size=30))
def test_contact_name_has_no_double_blanks_and_ends_with_the_ref(first: str, last: str) -> None:
    name = contact_name(learner("REF42", first_name=first, last_name=last))
    assert name.endswith("REF42")
    assert "  " not in name
    assert name == name.strip()
