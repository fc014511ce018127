"""Contact links: which Xero contact each learner is, per tenant, and its sync state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import aiosqlite

from xerowatch.store.db import Store, utc_now_iso

LinkState = Literal["pending", "synced", "invalid", "blocked", "skipped", "dead"]


@dataclass(frozen=True)
class ContactLink:
    """One learner's contact in one tenant."""

    tenant_id: str
    ref_internal: str
    source_id: str
    contact_id: str | None
    state: LinkState
    synced_hash: str | None
    last_synced_at: str | None
    last_error: str | None
    updated_at: str


def _link(row: aiosqlite.Row) -> ContactLink:
    return ContactLink(**dict(row))


async def get_link(store: Store, tenant_id: str, ref_internal: str) -> ContactLink | None:
    """Return the link of one learner in one tenant."""
    row = await store.fetchone(
        "SELECT * FROM contact_links WHERE tenant_id = ? AND ref_internal = ?",
        (tenant_id, ref_internal),
    )
    return _link(row) if row else None


async def links_by_ref(store: Store, tenant_id: str, refs: list[str]) -> dict[str, ContactLink]:
    """Return the links of these learners in one tenant, keyed by RefInternal."""
    found: dict[str, ContactLink] = {}
    for start in range(0, len(refs), 500):
        chunk = refs[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = await store.fetchall(
            f"SELECT * FROM contact_links WHERE tenant_id = ? AND ref_internal IN ({marks})",
            (tenant_id, *chunk),
        )
        found.update({row["ref_internal"]: _link(row) for row in rows})
    return found


async def links_for_contacts(
    conn: aiosqlite.Connection, tenant_id: str, contact_ids: list[str], numbers: list[str]
) -> list[ContactLink]:
    """Inside a transaction: the links of these ContactIDs, or of learners with these numbers.

    Read in the same transaction that stores what they match, so a link committed by a push
    while a pull was reading is always seen by the pages stored after it.
    """
    found: dict[tuple[str, str], ContactLink] = {}
    for column, values, collate in (
        ("contact_id", contact_ids, ""),
        ("ref_internal", numbers, " COLLATE NOCASE"),
    ):
        for start in range(0, len(values), 500):
            chunk = values[start : start + 500]
            marks = ",".join("?" * len(chunk))
            cursor = await conn.execute(
                f"SELECT * FROM contact_links WHERE tenant_id = ? AND contact_id IS NOT NULL "
                f"AND {column}{collate} IN ({marks})",
                (tenant_id, *chunk),
            )
            for row in await cursor.fetchall():
                link = _link(row)
                found[(link.ref_internal, link.contact_id or "")] = link
    return list(found.values())


async def ref_for_contact(store: Store, tenant_id: str, contact_id: str) -> ContactLink | None:
    """Return the link pointing at a Xero ContactID, if any."""
    row = await store.fetchone(
        "SELECT * FROM contact_links WHERE tenant_id = ? AND contact_id = ?",
        (tenant_id, contact_id),
    )
    return _link(row) if row else None


async def linked_by_source(
    store: Store, tenant_id: str, source_ids: list[str]
) -> list[ContactLink]:
    """Return the links of these source learners that have a ContactID (any RefInternal)."""
    found: list[ContactLink] = []
    for start in range(0, len(source_ids), 500):
        chunk = source_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = await store.fetchall(
            f"SELECT * FROM contact_links WHERE tenant_id = ? AND source_id IN ({marks}) "
            "AND contact_id IS NOT NULL",
            (tenant_id, *chunk),
        )
        found.extend(_link(row) for row in rows)
    return found


async def drop_replaced(
    conn: aiosqlite.Connection, tenant_id: str, ref_internal: str, source_id: str, contact_id: str
) -> int:
    """Inside a transaction: drop the learner's earlier-RefInternal links to this contact."""
    cursor = await conn.execute(
        "DELETE FROM contact_links WHERE tenant_id = ? AND contact_id = ? AND source_id = ? "
        "AND ref_internal != ?",
        (tenant_id, contact_id, source_id, ref_internal),
    )
    return cursor.rowcount


async def contact_map(store: Store, tenant_id: str) -> dict[str, ContactLink]:
    """Return every linked contact of a tenant keyed by ContactID."""
    rows = await store.fetchall(
        "SELECT * FROM contact_links WHERE tenant_id = ? AND contact_id IS NOT NULL", (tenant_id,)
    )
    return {row["contact_id"]: _link(row) for row in rows}


async def mark(
    store: Store,
    tenant_id: str,
    ref_internal: str,
    source_id: str,
    state: LinkState,
    *,
    error: str | None = None,
) -> None:
    """Set a learner's link state (creating the link), keeping its ContactID and synced hash."""
    await store.execute(
        """
        INSERT INTO contact_links
            (tenant_id, ref_internal, source_id, state, last_error, updated_at)
        VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (tenant_id, ref_internal) DO UPDATE SET
            source_id = excluded.source_id, state = excluded.state,
            last_error = excluded.last_error, updated_at = excluded.updated_at
        """,
        (tenant_id, ref_internal, source_id, state, error, utc_now_iso()),
    )


async def queue_unlinked(store: Store, tenant_id: str) -> int:
    """Mark every syncable learner with no link in this tenant yet pending; return how many.

    One statement inside SQLite: a first sync of 100,000 learners builds no list of them.
    """
    async with store.transaction() as conn:
        cursor = await conn.execute(
            """
            INSERT INTO contact_links (tenant_id, ref_internal, source_id, state, updated_at)
            SELECT ?, l.ref_internal, l.source_id, 'pending', ? FROM learners AS l
            WHERE l.sync_to_xero = 1 AND l.deleted_at IS NULL AND NOT EXISTS (
                SELECT 1 FROM contact_links AS c
                WHERE c.tenant_id = ? AND c.ref_internal = l.ref_internal)
            ON CONFLICT (tenant_id, ref_internal) DO UPDATE SET
                source_id = excluded.source_id, state = 'pending', last_error = NULL,
                updated_at = excluded.updated_at
            """,
            (tenant_id, utc_now_iso(), tenant_id),
        )
        return cursor.rowcount


async def mark_many_pending(store: Store, tenant_id: str, pairs: list[tuple[str, str]]) -> None:
    """Mark (ref_internal, source_id) pairs pending in one transaction."""
    now = utc_now_iso()
    await store.executemany(
        """
        INSERT INTO contact_links (tenant_id, ref_internal, source_id, state, updated_at)
        VALUES (?, ?, ?, 'pending', ?)
        ON CONFLICT (tenant_id, ref_internal) DO UPDATE SET
            source_id = excluded.source_id, state = 'pending', last_error = NULL,
            updated_at = excluded.updated_at
        """,
        [(tenant_id, ref, source_id, now) for ref, source_id in pairs],
    )


async def record_synced(
    conn: aiosqlite.Connection,
    tenant_id: str,
    ref_internal: str,
    source_id: str,
    contact_id: str,
    synced_hash: str,
) -> None:
    """Inside a transaction: the learner's contact is written; store its ContactID and hash."""
    now = utc_now_iso()
    await conn.execute(
        """
        INSERT INTO contact_links (tenant_id, ref_internal, source_id, contact_id, state,
                                   synced_hash, last_synced_at, last_error, updated_at)
        VALUES (?, ?, ?, ?, 'synced', ?, ?, NULL, ?)
        ON CONFLICT (tenant_id, ref_internal) DO UPDATE SET
            source_id = excluded.source_id, contact_id = excluded.contact_id, state = 'synced',
            synced_hash = excluded.synced_hash, last_synced_at = excluded.last_synced_at,
            last_error = NULL, updated_at = excluded.updated_at
        """,
        (tenant_id, ref_internal, source_id, contact_id, synced_hash, now, now),
    )


async def relink(
    conn: aiosqlite.Connection, tenant_id: str, ref_internal: str, contact_id: str
) -> None:
    """Inside a transaction: point a learner at another ContactID (a merge in Xero moved it)."""
    await conn.execute(
        "UPDATE contact_links SET contact_id = ?, updated_at = ? "
        "WHERE tenant_id = ? AND ref_internal = ?",
        (contact_id, utc_now_iso(), tenant_id, ref_internal),
    )


async def due_refs(
    store: Store, tenant_id: str, job_kind: str, now_iso: str, limit: int = 100_000
) -> list[str]:
    """Pending RefInternals of a tenant, minus those whose `job_kind` job waits for a retry.

    One query: the retry and dead jobs of every kind are not read into memory to filter by.
    """
    rows = await store.fetchall(
        "SELECT c.ref_internal FROM contact_links AS c "
        "WHERE c.tenant_id = ? AND c.state = 'pending' AND NOT EXISTS ("
        "  SELECT 1 FROM jobs AS j WHERE j.tenant_id = c.tenant_id AND j.kind = ? "
        "  AND j.key = c.ref_internal AND j.state = 'retry' AND j.next_attempt_at > ?) "
        "ORDER BY c.updated_at, c.ref_internal LIMIT ?",
        (tenant_id, job_kind, now_iso, limit),
    )
    return [row[0] for row in rows]


async def refs_in_state(store: Store, states: tuple[LinkState, ...]) -> list[tuple[str, str]]:
    """Return (tenant_id, ref_internal) of links in any of these states."""
    marks = ",".join("?" * len(states))
    rows = await store.fetchall(
        f"SELECT tenant_id, ref_internal FROM contact_links WHERE state IN ({marks})", states
    )
    return [(row[0], row[1]) for row in rows]


async def count_by_state(store: Store, tenant_id: str | None = None) -> dict[str, int]:
    """Return link counts per state (optionally for one tenant)."""
    sql = "SELECT state, COUNT(*) FROM contact_links"
    params: tuple[str, ...] = ()
    if tenant_id is not None:
        sql += " WHERE tenant_id = ?"
        params = (tenant_id,)
    rows = await store.fetchall(sql + " GROUP BY state", params)
    return {row[0]: int(row[1]) for row in rows}


async def forget_synced_hash(store: Store, tenant_id: str, refs: list[str]) -> None:
    """Make these learners' contacts be written even if their content hash did not change."""
    for start in range(0, len(refs), 500):
        chunk = refs[start : start + 500]
        marks = ",".join("?" * len(chunk))
        await store.execute(
            f"UPDATE contact_links SET synced_hash = NULL WHERE tenant_id = ? "
            f"AND ref_internal IN ({marks})",
            (tenant_id, *chunk),
        )
