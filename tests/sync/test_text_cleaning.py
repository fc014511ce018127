"""Control and bidi-override characters never reach Xero; the alert names the field."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.sync.memory_source import learner
from xerowatch.records import SourceAddress, SourceLearner
from xerowatch.store.alerts import open_alerts
from xerowatch.store.db import open_store
from xerowatch.sync.ingest import TEXT_CLEANED_ALERT, IngestSummary, apply_learner
from xerowatch.sync.mapping import to_contact
from xerowatch.sync.sanitize import BIDI_CONTROLS
from xerowatch.sync.validation import validate

RLO = "\u202e"


def test_nul_and_right_to_left_override_are_stripped_from_what_xero_gets() -> None:
    valid, problems = validate(learner("A1", first_name=f"Ann{RLO}a", last_name="Lee\x00"))
    assert problems == []
    assert valid is not None
    contact = to_contact(valid)
    assert contact.name == "Anna Lee A1"
    assert (contact.first_name, contact.last_name) == ("Anna", "Lee")
    assert valid.cleaned == ("FirstName", "LastName")


def test_address_phone_and_email_fields_are_cleaned_and_named() -> None:
    address = SourceAddress(
        lines=("1 Test\x07 St",), city=f"Syd{RLO}ney", state="NSW", postcode="2000"
    )
    valid, _ = validate(
        learner("A2", postal_address=address, mobile="0400\x1b000 000", email="a\x00@example.com")
    )
    assert valid is not None
    body = json.dumps(to_contact(valid).to_xero())
    assert "\\u0007" not in body and "\\u202e" not in body and "\\u001b" not in body
    assert valid.cleaned == ("Email", "Mobile", "Postal address line 1", "Postal address city")


def test_a_ref_internal_with_control_characters_is_refused_not_rewritten() -> None:
    """RefInternal is the learner's identity in the store and Xero's ContactNumber: a silently
    different value would break matching, so it must be fixed at the source."""
    valid, problems = validate(learner("A\x003"))
    assert valid is None
    assert [p.field for p in problems] == ["RefInternal"]
    assert "U+0000" in problems[0].message


def test_a_name_of_only_control_characters_is_missing() -> None:
    valid, problems = validate(learner("A4", first_name="\x00\u202e"))
    assert valid is None
    assert [p.message for p in problems] == ["First name missing"]


async def test_ingest_raises_an_alert_naming_the_fields_and_resolves_it(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "x.db")
    try:
        dirty = learner("A5", first_name=f"Eve{RLO}")
        await apply_learner(store, dirty, ["t1"], IngestSummary())
        [alert] = await open_alerts(store, type_=TEXT_CLEANED_ALERT)
        assert alert.record == "A5"
        assert "FirstName" in alert.message and "U+202E" in alert.message
        assert RLO not in alert.message

        fixed = learner("A5", first_name="Eve")
        await apply_learner(store, fixed, ["t1"], IngestSummary())
        assert await open_alerts(store, type_=TEXT_CLEANED_ALERT) == []
    finally:
        await store.close()


async def test_unpaired_surrogates_from_a_json_source_do_not_crash_ingest(tmp_path: Path) -> None:
    """JSON can escape a lone surrogate ("\\ud800"); no store or Xero request can hold one."""
    store = await open_store(tmp_path / "x.db")
    try:
        summary = IngestSummary()
        await apply_learner(store, learner("A6", first_name="Ann\ud800"), ["t1"], summary)
        await apply_learner(store, learner("A\udfff7"), ["t1"], summary)
        assert (summary.seen, summary.invalid) == (2, 1)
        [alert] = await open_alerts(store, type_="learner_invalid")
        assert "RefInternal" in alert.message and "U+FFFD" in alert.message
    finally:
        await store.close()


# --- fuzzing: any learner data validates or fails with named problems, and maps cleanly ---

texts = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.text(alphabet=st.sampled_from(["a", " ", "\x00", RLO, "\u2066", "\ud800", "é", "\t"])),
)


@st.composite
def learners(draw: st.DrawFn) -> SourceLearner:
    address = SourceAddress(
        lines=tuple(draw(st.lists(st.text(max_size=30), max_size=5))),
        city=draw(texts),
        state=draw(st.one_of(texts, st.sampled_from(["NSW", "vic", "Queensland"]))),
        postcode=draw(st.one_of(texts, st.sampled_from(["2000", "3000"]))),
        country=draw(st.one_of(texts, st.sampled_from(["Australia", "NZ", "New Zealand"]))),
    )
    return SourceLearner(
        source_id="s1",
        ref_internal=draw(st.one_of(st.text(max_size=60), st.sampled_from(["A1", "DAU0000072"]))),
        first_name=draw(texts),
        last_name=draw(texts),
        email=draw(st.one_of(texts, st.sampled_from(["a@example.com"]))),
        postal_address=draw(st.one_of(st.none(), st.just(address))),
        street_address=draw(st.one_of(st.none(), st.just(address))),
        mobile=draw(texts),
        phone_home=draw(texts),
        phone_work=draw(texts),
    )


@settings(max_examples=200, deadline=None)
@given(candidate=learners())
def test_any_learner_validates_or_names_its_problems_and_maps_to_clean_json(
    candidate: SourceLearner,
) -> None:
    valid, problems = validate(candidate)
    if valid is None:
        assert problems
        assert all(p.field and p.message and p.fix for p in problems)
        return
    assert problems == []
    body = to_contact(valid).to_xero()
    encoded = json.dumps(body, ensure_ascii=False).encode("utf-8")  # no lone surrogates
    assert encoded
    for value in _strings(body):
        assert not any(unicodedata.category(ch) in ("Cc", "Cs") for ch in value), value
        assert not any(ch in BIDI_CONTROLS for ch in value), value


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []
