"""`IN (...)` queries over lists of any length: the one place the store splits them into chunks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import aiosqlite

from xerowatch.store.db import Store

IN_CHUNK = 500
"""Values bound per statement: far below SQLite's limit (32,766) and a cheap statement each."""

_MARKS = "{marks}"


async def in_chunks(
    db: Store | aiosqlite.Connection,
    sql: str,
    values: Sequence[object],
    *,
    before: Sequence[object] = (),
    chunk: int = IN_CHUNK,
) -> AsyncIterator[list[aiosqlite.Row]]:
    """Run `sql` once per chunk of `values`, yielding each chunk's rows.

    `sql` holds `{marks}` once, where the chunk's placeholders go (`... IN ({marks})`);
    `before` are the parameters bound ahead of them. An ORDER BY orders rows within a chunk.
    On a connection (inside a transaction) the reads see that transaction's writes.
    """
    if sql.count(_MARKS) != 1:
        raise ValueError(f"the SQL must hold exactly one {_MARKS}: {sql!r}")
    if chunk < 1:
        raise ValueError(f"chunk must be at least 1, not {chunk}")
    for start in range(0, len(values), chunk):
        part = values[start : start + chunk]
        statement = sql.replace(_MARKS, ",".join("?" * len(part)))
        params = (*before, *part)
        if isinstance(db, Store):
            yield await db.fetchall(statement, params)
        else:
            cursor = await db.execute(statement, params)
            yield list(await cursor.fetchall())


async def select_in(
    db: Store | aiosqlite.Connection,
    sql: str,
    values: Sequence[object],
    *,
    before: Sequence[object] = (),
    chunk: int = IN_CHUNK,
) -> list[aiosqlite.Row]:
    """All rows of `in_chunks`, chunk after chunk (for lists whose rows fit in memory)."""
    return [
        row async for rows in in_chunks(db, sql, values, before=before, chunk=chunk) for row in rows
    ]
