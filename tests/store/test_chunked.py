"""The one helper for `IN (...)` queries over lists longer than SQLite binds at once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from xerowatch.store.chunked import IN_CHUNK, in_chunks, select_in
from xerowatch.store.db import Store, open_store


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await open_store(tmp_path / "s.db")
    await opened.execute("CREATE TABLE nums (owner TEXT NOT NULL, n INTEGER NOT NULL)")
    await opened.executemany(
        "INSERT INTO nums (owner, n) VALUES (?, ?)",
        [(owner, n) for owner in ("a", "b") for n in range(1200)],
    )
    yield opened
    await opened.close()


SQL = "SELECT n FROM nums WHERE owner = ? AND n IN ({marks}) ORDER BY n DESC"


async def test_a_list_longer_than_a_chunk_is_read_in_chunks_in_order(store: Store) -> None:
    wanted = [*range(0, 1200, 2), 5000]  # 601 values: two chunks, one value unknown
    chunks = [
        [row[0] for row in rows] async for rows in in_chunks(store, SQL, wanted, before=("a",))
    ]
    assert IN_CHUNK == 500
    assert [len(c) for c in chunks] == [500, 100]
    assert chunks[0] == sorted(wanted[:500], reverse=True)  # each chunk keeps the ORDER BY
    flat = await select_in(store, SQL, wanted, before=("b",))
    assert [row[0] for row in flat] == chunks[0] + chunks[1]


async def test_more_values_than_sqlite_binds_in_one_statement(store: Store) -> None:
    wanted = list(range(40_000))  # over SQLite's 32,766 bound parameters
    rows = await select_in(store, SQL, wanted, before=("a",), chunk=10_000)
    assert len(rows) == 1200


async def test_an_empty_list_runs_no_query(store: Store) -> None:
    assert await select_in(store, "SELECT nonsense FROM nowhere WHERE x IN ({marks})", []) == []


async def test_it_reads_inside_a_transaction_too(store: Store) -> None:
    async with store.transaction() as conn:
        await conn.execute("INSERT INTO nums (owner, n) VALUES ('c', 1)")
        rows = await select_in(
            conn, "SELECT owner FROM nums WHERE n = 1 AND owner IN ({marks})", ["a", "c"]
        )
    assert sorted(row[0] for row in rows) == ["a", "c"]


@pytest.mark.parametrize("sql", ["SELECT n FROM nums WHERE n IN (?)", "SELECT {marks}, {marks}"])
async def test_the_sql_names_the_list_exactly_once(store: Store, sql: str) -> None:
    with pytest.raises(ValueError, match=r"exactly one \{marks\}"):
        await select_in(store, sql, [1])


async def test_a_chunk_size_must_be_positive(store: Store) -> None:
    with pytest.raises(ValueError, match="chunk"):
        await select_in(store, SQL, [1], before=("a",), chunk=0)
