"""Fuzzed Xero response bodies: every parser returns, or raises its own typed error."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from xerowatch.sync.mapping import (
    is_receivable,
    to_source_transaction,
    transaction_contact,
    transaction_id,
)
from xerowatch.xero.errors import XeroError, XeroResponseError
from xerowatch.xero.models import Contact
from xerowatch.xero.paging import (
    CONTACTS,
    CREDIT_NOTES,
    INVOICES,
    OVERPAYMENTS,
    PAYMENTS,
    PREPAYMENTS,
    Endpoint,
    parse_page,
)
from xerowatch.xero.retry import error_for, parse_body, parse_retry_after, rate_limit_error
from xerowatch.xero.write_results import WriteStatus, answer_results

ENDPOINTS: list[Endpoint[Any]] = [
    CONTACTS,
    INVOICES,
    CREDIT_NOTES,
    OVERPAYMENTS,
    PREPAYMENTS,
    PAYMENTS,
]
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def aliases(model: type[BaseModel]) -> list[str]:
    return sorted(field.alias or name for name, field in model.model_fields.items())


scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats()
    | st.text(max_size=16)
    | st.sampled_from(
        [
            "/Date(1730505600000+0000)/",
            "2026-11-02T01:15:39",
            "2026-13-45",
            "AUTHORISED",
            "ACCREC",
            "PAID",
            "DELETED",
            "0f8b1c54-3c1e-4cc8-8a54-0d1f3e3f0c11",
            "NaN",
            "1e999",
        ]
    )
)


def bodies_for(endpoint: Endpoint[Any]) -> st.SearchStrategy[Any]:
    keys = st.sampled_from(
        [*aliases(endpoint.model), "Contact", "Invoice", "CreditNote", "Payments", "LineItems"]
    )
    values = st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=6),
        max_leaves=25,
    )
    items = st.dictionaries(keys, values, max_size=10)
    return st.one_of(
        values,
        st.fixed_dictionaries(
            {endpoint.collection: st.lists(items, max_size=3)},
            optional={
                "pagination": st.dictionaries(
                    st.sampled_from(["page", "pageSize", "pageCount", "itemCount"]), scalars
                )
            },
        ),
    )


@SETTINGS
@given(data=st.data())
def test_list_pages_parse_or_raise_a_response_error_and_map_without_crashing(
    data: st.DataObject,
) -> None:
    endpoint = data.draw(st.sampled_from(ENDPOINTS))
    body = data.draw(bodies_for(endpoint))
    try:
        page = parse_page(endpoint, 1, body)
    except XeroResponseError as exc:
        assert str(exc).startswith(f"GET {endpoint.path} page 1")
        return
    for item in page.items:
        if endpoint is CONTACTS:
            continue
        transaction_id(item)
        transaction_contact(item)
        is_receivable(item)
        to_source_transaction(item, learner_source_id="s1", ref_internal="A1")


contacts_answer = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from([*aliases(Contact), "ValidationErrors"]), inner, max_size=6
        )
    ),
    max_leaves=20,
)


@SETTINGS
@given(
    body=st.one_of(
        contacts_answer, st.fixed_dictionaries({"Contacts": st.lists(contacts_answer, max_size=3)})
    )
)
def test_a_contacts_write_answer_maps_every_input_to_a_result(body: Any) -> None:
    sent = [Contact(name="Ada Lovelace A1", contact_number="A1"), Contact(name="Bo B2")]
    results = answer_results(sent, [0, 1], body)
    assert sorted(results) == [0, 1]
    assert all(isinstance(r.status, WriteStatus) for r in results.values())


@SETTINGS
@given(
    status=st.sampled_from([400, 401, 403, 404, 409, 412, 429, 500, 502, 503, 504]),
    content=st.one_of(
        st.binary(max_size=200), st.builds(lambda v: repr(v).encode(), contacts_answer)
    ),
    retry_after=st.one_of(st.none(), st.text(max_size=30), st.sampled_from(["1e999", "-5", "nan"])),
)
def test_error_answers_become_typed_errors(
    status: int, content: bytes, retry_after: str | None
) -> None:
    headers = {} if retry_after is None else {"retry-after": retry_after}
    try:
        response = httpx.Response(status, content=content, headers=headers)
    except (UnicodeEncodeError, ValueError):
        return  # httpx itself refuses such a header value
    now = datetime(2026, 11, 2, tzinfo=UTC)
    body = parse_body(response)
    error = (
        rate_limit_error(response, now=now) if status == 429 else error_for(response, body, now=now)
    )
    assert isinstance(error, XeroError)
    wait = parse_retry_after(retry_after, now)
    assert wait is None or 0 <= wait <= 86_400
