"""The document outbox's state rules: what a re-submit, a settle and an operator retry do."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from xerowatch.store import document_outbox as outbox
from xerowatch.store.db import Store, open_store
from xerowatch.store.document_outbox import DocumentIntent, Settlement

T, K = "tenant-1", "invoice"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await open_store(tmp_path / "s.db")
    yield opened
    await opened.close()


def _intent(key: str, total: int = 1, ref: str = "cw:1") -> DocumentIntent:
    return DocumentIntent(key, ref, {"InvoiceNumber": key, "Total": total})


async def _state(store: Store, key: str) -> str:
    rows = await outbox.get_documents(store, T, K, [key])
    return rows[key.casefold()].state


async def test_intent_is_recorded_pending_and_keys_are_casefolded(store: Store) -> None:
    await outbox.enqueue(store, T, K, [_intent("INV-1"), _intent("INV-2", ref="cw:2")])
    rows = await outbox.pending(store, T, K, 10)
    assert [(r.key, r.record_ref, r.state, r.attempts) for r in rows] == [
        ("inv-1", "cw:1", "pending", 0),
        ("inv-2", "cw:2", "pending", 0),
    ]
    assert rows[0].payload == {"InvoiceNumber": "INV-1", "Total": 1}
    assert await outbox.pending(store, T, K, 1) == rows[:1]
    assert await outbox.pending(store, T, "purchase_order", 10) == []


async def test_a_batch_in_flight_is_in_doubt_until_settled(store: Store) -> None:
    await outbox.enqueue(store, T, K, [_intent("INV-1"), _intent("INV-2")])
    await outbox.begin_batch(store, T, K, ["INV-1", "INV-2"], "scope-1")
    doubtful = await outbox.in_doubt(store, T, K)
    assert [(r.key, r.scope, r.attempts) for r in doubtful] == [
        ("inv-1", "scope-1", 1),
        ("inv-2", "scope-1", 1),
    ]
    assert await outbox.pending(store, T, K, 10) == []
    await outbox.settle(
        store,
        T,
        K,
        [
            Settlement("INV-1", "done", xero_id="id-1", total="20.01"),
            Settlement("INV-2", "pending", error="not sent", spend_attempt=False),
        ],
    )
    rows = await outbox.get_documents(store, T, K, ["inv-1", "inv-2"])
    assert (rows["inv-1"].state, rows["inv-1"].xero_id, rows["inv-1"].total) == (
        "done",
        "id-1",
        "20.01",
    )
    assert (rows["inv-2"].state, rows["inv-2"].attempts) == ("pending", 0)
    assert await outbox.in_doubt(store, T, K) == []


async def test_resubmitting_leaves_done_and_in_doubt_rows_alone(store: Store) -> None:
    await outbox.enqueue(store, T, K, [_intent("INV-1"), _intent("INV-2")])
    await outbox.begin_batch(store, T, K, ["INV-1", "INV-2"], "s")
    await outbox.settle(store, T, K, [Settlement("INV-1", "done", xero_id="id-1")])
    await outbox.enqueue(store, T, K, [_intent("INV-1", total=9), _intent("INV-2", total=9)])
    assert await _state(store, "INV-1") == "done"
    assert await _state(store, "INV-2") == "sending"
    rows = await outbox.get_documents(store, T, K, ["INV-1"])
    assert rows["inv-1"].payload["Total"] == 1


async def test_a_corrected_rejected_record_is_pending_again_and_r_retries_a_dead_one(
    store: Store,
) -> None:
    await outbox.enqueue(store, T, K, [_intent("INV-1"), _intent("INV-2")])
    await outbox.begin_batch(store, T, K, ["INV-1", "INV-2"], "s")
    await outbox.settle(
        store,
        T,
        K,
        [
            Settlement("INV-1", "rejected", error="Account code '9' is not valid"),
            Settlement("INV-2", "dead", error="gave up"),
        ],
    )
    assert await outbox.counts(store) == {(K, "rejected"): 1, (K, "dead"): 1}
    await outbox.enqueue(store, T, K, [_intent("INV-1", total=2)])
    rows = await outbox.get_documents(store, T, K, ["INV-1"])
    assert (rows["inv-1"].state, rows["inv-1"].attempts, rows["inv-1"].last_error) == (
        "pending",
        0,
        None,
    )
    assert await outbox.retry_now(store, T, K, "INV-2")
    assert await _state(store, "INV-2") == "pending"
    assert not await outbox.retry_now(store, T, K, "INV-2")  # only rejected or dead rows
    assert [r.key for r in await outbox.by_record(store, "cw:1")] == ["inv-1", "inv-2"]
