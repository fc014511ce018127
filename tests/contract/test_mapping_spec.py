"""Any learner that passes validation maps to a POST /Contacts body the official spec accepts."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.spec import validate_request
from tests.sync.memory_source import learner
from xerowatch.records import SourceAddress
from xerowatch.sync.mapping import to_contact
from xerowatch.sync.validation import validate

TENANT = "9a5e1c6e-2f4b-4b0f-8d61-36c1f6b0b2f3"
text = st.text(st.characters(exclude_categories=["Cs", "Cc"]), min_size=1, max_size=60)
states = st.sampled_from(["NSW", "vic", "Queensland", "WA", "ACT", "Northern Territory"])


@st.composite
def learners(draw: st.DrawFn) -> Any:
    """Learners with arbitrary names, addresses and phones (valid ones are checked below)."""
    number = draw(st.integers(min_value=0, max_value=10**6))
    address = SourceAddress(
        lines=tuple(draw(st.lists(text, max_size=5))),
        city=draw(st.one_of(st.none(), text)),
        state=draw(states),
        postcode=f"{draw(st.integers(min_value=800, max_value=9999)):04d}",
        country=draw(st.sampled_from(["Australia", "AU", None])),
    )
    return learner(
        f"DAU{number:07d}",
        first_name=draw(text),
        last_name=draw(text),
        postal_address=address,
        street_address=draw(st.one_of(st.none(), st.just(address))),
        mobile=draw(st.one_of(st.none(), st.from_regex(r"\+?[0-9 ]{6,20}", fullmatch=True))),
        phone_home=draw(st.one_of(st.none(), st.from_regex(r"[0-9 ()]{6,20}", fullmatch=True))),
    )


# openapi-core does not enforce OAuth2 and says so once per validation
pytestmark = pytest.mark.filterwarnings("ignore:Unsupported scheme type:UserWarning")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(learners(), st.booleans())
def test_mapped_contacts_satisfy_the_spec(openapi: Any, candidate: Any, with_id: bool) -> None:
    valid, problems = validate(candidate)
    if valid is None:
        assert problems
        return
    contact_id = "2b1f7c52-9a2e-4b93-9c1a-0f5e6d7c8b9a" if with_id else None
    body = {"Contacts": [to_contact(valid, contact_id).to_xero_write()]}
    request = httpx.Request(
        "POST",
        "https://api.xero.com/api.xro/2.0/Contacts",
        params={"summarizeErrors": "false"},
        headers={
            "xero-tenant-id": TENANT,
            "Authorization": "Bearer test",
            "Idempotency-Key": "xw1-test",
            "Accept": "application/json",
        },
        json=body,
    )
    validate_request(request)
    [sent] = body["Contacts"]
    assert sent["ContactNumber"] == candidate.ref_internal
    assert sent["Name"].endswith(candidate.ref_internal)
