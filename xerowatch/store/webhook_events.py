"""Webhook events waiting for a loop: Xero change events and Wisenet learner pokes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from xerowatch.store.db import Store, utc_now_iso


@dataclass(frozen=True)
class XeroEventRow:
    """A Xero event as stored: deduplicated by `event_key`."""

    event_key: str
    tenant_id: str
    category: str
    event_type: str
    resource_id: str


@dataclass(frozen=True)
class Poke:
    """A pending Wisenet poke: fetch this learner now."""

    id: int
    resource_id: str


async def add_xero_events(
    store: Store, events: Sequence[XeroEventRow], received_at: str
) -> list[int]:
    """Store the events not seen before; return the positions (in `events`) that were new."""
    fresh: list[int] = []
    async with store.transaction() as conn:
        for position, event in enumerate(events):
            cursor = await conn.execute(
                """
                INSERT INTO webhook_events
                    (source, event_key, tenant_id, category, event_type, resource_id, received_at)
                VALUES ('xero', ?, ?, ?, ?, ?, ?)
                ON CONFLICT (event_key) DO NOTHING
                """,
                (
                    event.event_key,
                    event.tenant_id,
                    event.category,
                    event.event_type,
                    event.resource_id,
                    received_at,
                ),
            )
            if cursor.rowcount == 1:
                fresh.append(position)
    return fresh


async def add_wisenet_poke(
    store: Store, record_id: str, entity_name: str, event: str, received_at: str
) -> bool:
    """Queue a poke for a learner unless one is already pending; return whether one was added."""
    async with store.transaction() as conn:
        cursor = await conn.execute(
            "SELECT 1 FROM webhook_events WHERE source = 'wisenet' AND resource_id = ? "
            "AND processed_at IS NULL LIMIT 1",
            (record_id,),
        )
        if await cursor.fetchone() is not None:
            return False
        key = f"wisenet:{record_id}:{uuid.uuid4().hex}"  # dedupe is the pending check
        cursor = await conn.execute(
            """
            INSERT INTO webhook_events
                (source, event_key, tenant_id, category, event_type, resource_id, received_at)
            VALUES ('wisenet', ?, '', ?, ?, ?, ?)
            ON CONFLICT (event_key) DO NOTHING
            """,
            (key, entity_name, event, record_id, received_at),
        )
        return cursor.rowcount == 1


async def pending_pokes(store: Store, limit: int = 100) -> list[Poke]:
    """The oldest pending Wisenet pokes."""
    rows = await store.fetchall(
        "SELECT id, resource_id FROM webhook_events WHERE source = 'wisenet' "
        "AND processed_at IS NULL ORDER BY id LIMIT ?",
        (limit,),
    )
    return [Poke(int(row["id"]), str(row["resource_id"])) for row in rows]


async def pending_xero_events(
    store: Store, tenant_id: str, categories: tuple[str, ...], limit: int = 1000
) -> list[int]:
    """Ids of one tenant's pending Xero events of these categories, oldest first."""
    marks = ",".join("?" * len(categories))
    rows = await store.fetchall(
        f"SELECT id FROM webhook_events WHERE source = 'xero' AND processed_at IS NULL "
        f"AND tenant_id = ? AND category IN ({marks}) ORDER BY id LIMIT ?",
        (tenant_id, *categories, limit),
    )
    return [int(row[0]) for row in rows]


async def mark_processed(store: Store, ids: Sequence[int]) -> None:
    """Mark these events done."""
    if not ids:
        return
    marks = ",".join("?" * len(ids))
    await store.execute(
        f"UPDATE webhook_events SET processed_at = ? WHERE id IN ({marks})",
        (utc_now_iso(), *ids),
    )


async def drop_events_of_strangers(store: Store) -> int:
    """Mark done the pending Xero events of organisations not connected here; return how many."""
    async with store.transaction() as conn:
        cursor = await conn.execute(
            "UPDATE webhook_events SET processed_at = ? WHERE source = 'xero' "
            "AND processed_at IS NULL "
            "AND tenant_id NOT IN (SELECT tenant_id FROM tenants WHERE active = 1)",
            (utc_now_iso(),),
        )
        return cursor.rowcount
