"""Store reads over long key lists (callers of the chunked IN helper): none lost at a chunk edge."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from xerowatch.records import SourceTransaction
from xerowatch.store import directory, transactions
from xerowatch.store.chunked import IN_CHUNK
from xerowatch.store.db import Store, open_store
from xerowatch.store.directory import DirectoryContact
from xerowatch.store.transactions import LearnerRef, TransactionRow

N = IN_CHUNK * 2 + 7  # three chunks


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await open_store(tmp_path / "s.db")
    yield opened
    await opened.close()


def _contact(i: int, status: str = "ACTIVE", *, suffix: str = "") -> DirectoryContact:
    return DirectoryContact("t1", f"c{i}{suffix}", f"WN-{i}", f"Learner {i}", status, None)


async def test_directory_reads_every_number_and_name_and_prefers_active(store: Store) -> None:
    async with store.transaction() as conn:
        await directory.upsert_contacts(conn, [_contact(i) for i in range(N)])
        # an archived twin of every 100th number, and of one on each chunk edge
        twins = sorted({*range(0, N, 100), IN_CHUNK - 1, IN_CHUNK})
        await directory.upsert_contacts(
            conn, [_contact(i, "ARCHIVED", suffix="-old") for i in twins]
        )
        await directory.upsert_contacts(
            conn, [DirectoryContact("t2", "other", "WN-1", "Learner 1", "ACTIVE", None)]
        )

    numbers = [f"WN-{i}" for i in range(N)] + ["WN-missing"]
    found = await directory.by_number(store, "t1", numbers)
    assert len(found) == N
    assert all(c.status == "ACTIVE" and c.tenant_id == "t1" for c in found.values())
    assert found[f"WN-{IN_CHUNK}"].contact_id == f"c{IN_CHUNK}"

    keys = [directory.name_key(f"Learner {i}") for i in range(N)]
    grouped = await directory.by_name_keys(store, "t1", keys)
    assert len(grouped) == N
    assert sorted(c.status for c in grouped[directory.name_key(f"Learner {IN_CHUNK}")]) == [
        "ACTIVE",
        "ARCHIVED",
    ]
    assert await directory.by_number(store, "t1", []) == {}


def _tx(i: int) -> SourceTransaction:
    return SourceTransaction(
        xero_id=f"inv-{i}", kind="invoice", learner_source_id="", ref_internal="", status="PAID"
    )


async def test_match_contacts_matches_every_owner_across_chunks(store: Store) -> None:
    async with store.transaction() as conn:
        await transactions.upsert_transactions(
            conn, [TransactionRow("t1", f"c{i}", False, _tx(i)) for i in range(N)]
        )
    owners = {f"c{i}": LearnerRef(f"WN-{i}", f"L{i}") for i in range(N) if i != 3}
    async with store.transaction() as conn:
        assert await transactions.match_contacts(conn, "t1", owners) == N - 1
    async with store.transaction() as conn:  # nothing left to match the second time
        assert await transactions.match_contacts(conn, "t1", owners) == 0

    rows = await store.fetchall(
        "SELECT contact_id, matched, ref_internal, source_id FROM transactions ORDER BY xero_id"
    )
    by_contact = {row[0]: (row[1], row[2], row[3]) for row in rows}
    assert by_contact["c3"] == (0, None, None)
    assert by_contact[f"c{IN_CHUNK}"] == (1, f"WN-{IN_CHUNK}", f"L{IN_CHUNK}")
    assert sum(matched for matched, _, _ in by_contact.values()) == N - 1
