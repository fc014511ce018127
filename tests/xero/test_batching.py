"""Batch planning (≤ 50 items, ≤ 3.5 MB, order kept) and idempotency keys."""

from __future__ import annotations

import json

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xerowatch.xero.batching import MAX_BATCH_BYTES, MAX_BATCH_ITEMS, json_size, plan_batches
from xerowatch.xero.idempotency import (
    MAX_KEY_LENGTH,
    IdempotencyKeyError,
    canonical_json,
    derive_key,
    validate_key,
)


def _contacts(count: int, name_size: int = 10) -> list[dict[str, str]]:
    return [{"Name": f"{i:04d}" + "x" * name_size, "ContactNumber": f"N{i}"} for i in range(count)]


def test_two_hundred_contacts_make_four_requests_of_fifty() -> None:
    plan = plan_batches(_contacts(200), collection="Contacts")
    assert [len(chunk.elements) for chunk in plan.chunks] == [50, 50, 50, 50]
    assert plan.chunks[1].indexes == tuple(range(50, 100))
    assert plan.oversized == {}


def test_size_is_measured_exactly_as_httpx_sends_it() -> None:
    elements = [{"Name": "Zoë Ōtaki 😀", "Addresses": [{"City": "Tāmaki"}]}] * 3
    body = {"Contacts": elements}
    sent = httpx.Request("POST", "https://api.xero.com/x", json=body)
    assert json_size(body) == len(sent.content)


def test_byte_limit_splits_before_the_item_limit() -> None:
    elements = _contacts(10, name_size=1000)
    one = json_size(elements[0])
    envelope = json_size({"Contacts": []})
    max_bytes = envelope + 3 * one + 2  # room for exactly three elements and two commas
    plan = plan_batches(elements, collection="Contacts", max_bytes=max_bytes)
    assert [len(chunk.elements) for chunk in plan.chunks] == [3, 3, 3, 1]
    for chunk in plan.chunks:
        assert json_size({"Contacts": list(chunk.elements)}) <= max_bytes


def test_an_element_too_big_for_any_request_is_reported_not_sent() -> None:
    elements = [*_contacts(2), {"Name": "x" * 600}, *_contacts(2)]
    plan = plan_batches(elements, collection="Contacts", max_bytes=300)
    assert list(plan.oversized) == [2]
    assert "one request may carry 300" in plan.oversized[2]
    sent = [index for chunk in plan.chunks for index in chunk.indexes]
    assert sent == [0, 1, 3, 4]


def test_real_limits_are_xeros() -> None:
    assert MAX_BATCH_ITEMS == 50
    assert MAX_BATCH_BYTES == 3_500_000
    big = [{"Name": "n", "Notes": "y" * 100_000} for _ in range(40)]  # 4 MB in total
    plan = plan_batches(big, collection="Contacts")
    assert len(plan.chunks) == 2
    assert all(json_size({"Contacts": list(c.elements)}) <= MAX_BATCH_BYTES for c in plan.chunks)


def test_empty_input_plans_nothing() -> None:
    assert plan_batches([], collection="Contacts").chunks == []
    with pytest.raises(ValueError):
        plan_batches([], collection="Contacts", max_items=0)


@settings(max_examples=60)
@given(
    sizes=st.lists(st.integers(min_value=0, max_value=400), max_size=120),
    max_items=st.integers(min_value=1, max_value=60),
    max_bytes=st.integers(min_value=40, max_value=2000),
)
def test_plans_keep_order_and_limits(sizes: list[int], max_items: int, max_bytes: int) -> None:
    elements = [{"N": "x" * size, "i": i} for i, size in enumerate(sizes)]
    plan = plan_batches(elements, collection="Contacts", max_items=max_items, max_bytes=max_bytes)
    sent = [index for chunk in plan.chunks for index in chunk.indexes]
    assert sorted(sent + list(plan.oversized)) == list(range(len(elements)))
    assert sent == sorted(sent)
    for chunk in plan.chunks:
        assert 1 <= len(chunk.elements) <= max_items
        assert json_size({"Contacts": list(chunk.elements)}) <= max_bytes
        assert list(chunk.elements) == [elements[i] for i in chunk.indexes]
    for index in plan.oversized:
        assert json_size({"Contacts": [elements[index]]}) > max_bytes


# --- idempotency keys ---

BODY = {"Contacts": [{"Name": "Ann", "ContactNumber": "N1"}]}


def _key(**changes: object) -> str:
    request: dict[str, object] = {
        "tenant_id": "t1",
        "method": "POST",
        "path": "/Contacts",
        "params": {"summarizeErrors": "false"},
        "body": BODY,
        "scope": None,
    }
    request.update(changes)
    return derive_key(**request)  # type: ignore[arg-type]


def test_the_same_logical_write_gets_the_same_key() -> None:
    reordered = {"Contacts": [{"ContactNumber": "N1", "Name": "Ann"}]}
    assert _key() == _key(body=reordered) == _key(method="post")
    assert _key().startswith("xw1-") and len(_key()) <= MAX_KEY_LENGTH
    validate_key(_key())


@pytest.mark.parametrize(
    "change",
    [
        {"tenant_id": "t2"},
        {"method": "PUT"},
        {"path": "/Invoices"},
        {"params": {"summarizeErrors": "true"}},
        {"body": {"Contacts": [{"Name": "Ann ", "ContactNumber": "N1"}]}},
        {"scope": "outbox-17"},
    ],
)
def test_anything_xero_compares_changes_the_key(change: dict[str, object]) -> None:
    assert _key(**change) != _key()


def test_a_caller_scope_gives_its_own_stable_key() -> None:
    assert _key(scope="outbox-17") == _key(scope="outbox-17") != _key(scope="outbox-18")
    assert len(_key(scope="o" * 10_000)) <= MAX_KEY_LENGTH


@pytest.mark.parametrize("bad", ["", "k" * 129, "has space", "tab\tkey", "ünïcode"])
def test_keys_xero_would_refuse_are_rejected(bad: str) -> None:
    with pytest.raises(IdempotencyKeyError):
        validate_key(bad)


def test_canonical_json_is_order_independent_and_compact() -> None:
    assert canonical_json({"b": 1, "a": [1, {"d": 2, "c": 3}]}) == '{"a":[1,{"c":3,"d":2}],"b":1}'
    assert json.loads(canonical_json({"é": "ü"})) == {"é": "ü"}
