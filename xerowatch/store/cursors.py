"""Incremental cursors per tenant and stream (the source's cursor uses tenant '')."""

from __future__ import annotations

import aiosqlite

from xerowatch.store.db import Store, utc_now_iso


async def get_cursor(store: Store, stream: str, tenant_id: str = "") -> str | None:
    """Return a stream's cursor value, or None before the first run."""
    row = await store.fetchone(
        "SELECT value FROM cursors WHERE tenant_id = ? AND stream = ?", (tenant_id, stream)
    )
    return row[0] if row else None


async def set_cursor_in(
    conn: aiosqlite.Connection, stream: str, value: str | None, tenant_id: str = ""
) -> None:
    """Inside a transaction: store a stream's cursor (so it lands with the data it covers)."""
    await conn.execute(
        """
        INSERT INTO cursors (tenant_id, stream, value, updated_at) VALUES (?, ?, ?, ?)
        ON CONFLICT (tenant_id, stream) DO UPDATE SET
            value = excluded.value, updated_at = excluded.updated_at
        """,
        (tenant_id, stream, value, utc_now_iso()),
    )


async def set_cursor(store: Store, stream: str, value: str | None, tenant_id: str = "") -> None:
    """Store a stream's cursor on its own."""
    async with store.transaction() as conn:
        await set_cursor_in(conn, stream, value, tenant_id)


async def all_cursors(store: Store) -> list[tuple[str, str, str | None, str]]:
    """Return (tenant_id, stream, value, updated_at) for every cursor."""
    rows = await store.fetchall(
        "SELECT tenant_id, stream, value, updated_at FROM cursors ORDER BY tenant_id, stream"
    )
    return [(row[0], row[1], row[2], row[3]) for row in rows]
