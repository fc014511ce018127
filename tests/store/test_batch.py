"""Store.batch: many transaction blocks of one task, one commit; an error rolls back all of it."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from xerowatch.store.db import Store, open_store


async def make(tmp_path: Path) -> Store:
    store = await open_store(tmp_path / "x.db")
    await store.execute("CREATE TABLE t (n INTEGER)")
    return store


async def test_blocks_inside_a_batch_commit_once(tmp_path: Path) -> None:
    store = await make(tmp_path)
    statements: list[str] = []
    await store.conn.set_trace_callback(statements.append)
    async with store.batch():
        for n in range(5):
            async with store.transaction() as conn:
                await conn.execute("INSERT INTO t VALUES (?)", (n,))
        await store.execute("INSERT INTO t VALUES (5)")
    await store.conn.set_trace_callback(None)  # type: ignore[arg-type]  # None stops tracing
    assert [s for s in statements if s in ("BEGIN IMMEDIATE", "COMMIT")] == [
        "BEGIN IMMEDIATE",
        "COMMIT",
    ]
    assert (await store.fetchone("SELECT COUNT(*) FROM t"))[0] == 6  # type: ignore[index]
    await store.close()


async def test_an_error_rolls_back_the_whole_batch(tmp_path: Path) -> None:
    store = await make(tmp_path)
    with pytest.raises(RuntimeError):
        async with store.batch():
            await store.execute("INSERT INTO t VALUES (1)")
            async with store.transaction() as conn:
                await conn.execute("INSERT INTO t VALUES (2)")
                raise RuntimeError("boom")
    assert (await store.fetchone("SELECT COUNT(*) FROM t"))[0] == 0  # type: ignore[index]
    await store.execute("INSERT INTO t VALUES (3)")  # the store is usable again
    await store.close()


async def test_another_task_waits_for_the_batch(tmp_path: Path) -> None:
    store = await make(tmp_path)
    order: list[str] = []

    async def other() -> None:
        await store.execute("INSERT INTO t VALUES (9)")
        order.append("other")

    async with anyio.create_task_group() as group, store.batch():
        group.start_soon(other)
        await anyio.sleep(0.05)
        await store.execute("INSERT INTO t VALUES (1)")
        order.append("batch")
    assert order == ["batch", "other"]
    await store.close()
