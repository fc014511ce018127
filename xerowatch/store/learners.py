"""Learners as last seen in the source, keyed by the source's id, with a content hash."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from xerowatch.records import SourceLearner
from xerowatch.store.db import Store, utc_now_iso


@dataclass(frozen=True)
class StoredLearner:
    """A learner row: the source record and the hash of what maps onto its Xero contact."""

    learner: SourceLearner
    content_hash: str
    seen_at: str
    deleted_at: str | None


@dataclass(frozen=True)
class LearnerChange:
    """What storing a learner changed."""

    changed: bool
    """New, or its content hash, Sync to Xero flag or deletion changed."""
    previous_ref: str | None = None
    """The RefInternal it had before, when that differs from the new one."""


async def upsert_learner(store: Store, learner: SourceLearner, content_hash: str) -> LearnerChange:
    """Store the learner; say whether it changed and which RefInternal it had before."""
    now = utc_now_iso()
    modified = learner.modified_at.isoformat() if learner.modified_at else None
    async with store.transaction() as conn:
        cursor = await conn.execute(
            "SELECT content_hash, sync_to_xero, deleted_at, ref_internal FROM learners "
            "WHERE source_id = ?",
            (learner.source_id,),
        )
        previous = await cursor.fetchone()
        await conn.execute(
            """
            INSERT INTO learners (source_id, ref_internal, first_name, last_name, email,
                                  sync_to_xero, is_active, data_json, content_hash, modified_at,
                                  seen_at, deleted_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)
            ON CONFLICT (source_id) DO UPDATE SET
                ref_internal = excluded.ref_internal, first_name = excluded.first_name,
                last_name = excluded.last_name, email = excluded.email,
                sync_to_xero = excluded.sync_to_xero, is_active = excluded.is_active,
                data_json = excluded.data_json, content_hash = excluded.content_hash,
                modified_at = excluded.modified_at, seen_at = excluded.seen_at, deleted_at = NULL
            """,
            (
                learner.source_id,
                learner.ref_internal,
                learner.first_name,
                learner.last_name,
                learner.email,
                int(learner.sync_to_xero),
                int(learner.is_active),
                learner.model_dump_json(),
                content_hash,
                modified,
                now,
            ),
        )
    if previous is None:
        return LearnerChange(True)
    renamed = previous["ref_internal"] != learner.ref_internal
    return LearnerChange(
        renamed
        or previous["content_hash"] != content_hash
        or bool(previous["sync_to_xero"]) != learner.sync_to_xero
        or previous["deleted_at"] is not None,
        previous["ref_internal"] if renamed else None,
    )


async def mark_deleted(store: Store, source_ids: list[str]) -> int:
    """Mark learners deleted in the source (nothing is deleted in Xero); return how many."""
    if not source_ids:
        return 0
    marks = ",".join("?" * len(source_ids))
    async with store.transaction() as conn:
        cursor = await conn.execute(
            f"UPDATE learners SET deleted_at = ? WHERE source_id IN ({marks}) "
            "AND deleted_at IS NULL",
            (utc_now_iso(), *source_ids),
        )
        return cursor.rowcount


def _row_to_learner(row: aiosqlite.Row) -> StoredLearner:
    return StoredLearner(
        learner=SourceLearner.model_validate_json(row["data_json"]),
        content_hash=row["content_hash"],
        seen_at=row["seen_at"],
        deleted_at=row["deleted_at"],
    )


async def get_by_ref(store: Store, ref_internal: str) -> StoredLearner | None:
    """Return the learner with this RefInternal, if known (one not deleted in the source first)."""
    row = await store.fetchone(
        "SELECT * FROM learners WHERE ref_internal = ? "
        "ORDER BY deleted_at IS NULL DESC, seen_at DESC LIMIT 1",
        (ref_internal,),
    )
    return _row_to_learner(row) if row else None


async def get_by_source_id(store: Store, source_id: str) -> StoredLearner | None:
    """Return the learner with this source id, if known."""
    row = await store.fetchone("SELECT * FROM learners WHERE source_id = ?", (source_id,))
    return _row_to_learner(row) if row else None


async def get_many_by_ref(store: Store, refs: list[str]) -> dict[str, StoredLearner]:
    """Return the learners with these RefInternals, keyed by RefInternal.

    Where a RefInternal was held by more than one learner, the one not deleted in the source
    (then the one seen last) is returned.
    """
    found: dict[str, StoredLearner] = {}
    for start in range(0, len(refs), 500):
        chunk = refs[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = await store.fetchall(
            f"SELECT * FROM learners WHERE ref_internal IN ({marks}) "
            "ORDER BY deleted_at IS NULL, seen_at",  # the row that wins comes last
            chunk,
        )
        for row in rows:
            found[row["ref_internal"]] = _row_to_learner(row)
    return found


async def sources_by_ref(store: Store, refs: list[str]) -> dict[str, list[str]]:
    """Return the source ids of the (not deleted) learners holding each of these RefInternals."""
    found: dict[str, list[str]] = {}
    for start in range(0, len(refs), 500):
        chunk = refs[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = await store.fetchall(
            f"SELECT ref_internal, source_id FROM learners WHERE ref_internal IN ({marks}) "
            "AND deleted_at IS NULL ORDER BY source_id",
            chunk,
        )
        for row in rows:
            found.setdefault(row[0], []).append(row[1])
    return found


async def refs_modified_between(store: Store, start_iso: str, end_iso: str) -> list[str]:
    """Return RefInternals of learners whose source modification time falls in the range."""
    rows = await store.fetchall(
        "SELECT ref_internal FROM learners WHERE modified_at >= ? AND modified_at < ? "
        "AND deleted_at IS NULL ORDER BY ref_internal",
        (start_iso, end_iso),
    )
    return [row[0] for row in rows]


async def count_learners(store: Store) -> int:
    """Return how many learners are known (not deleted)."""
    row = await store.fetchone("SELECT COUNT(*) FROM learners WHERE deleted_at IS NULL")
    return int(row[0]) if row else 0


async def unlinked_for_tenant(store: Store, tenant_id: str) -> list[tuple[str, str]]:
    """Return (ref_internal, source_id) of syncable learners with no link in this tenant yet."""
    rows = await store.fetchall(
        "SELECT l.ref_internal, l.source_id FROM learners AS l "
        "WHERE l.sync_to_xero = 1 AND l.deleted_at IS NULL AND NOT EXISTS ("
        "  SELECT 1 FROM contact_links AS c "
        "  WHERE c.tenant_id = ? AND c.ref_internal = l.ref_internal)",
        (tenant_id,),
    )
    return [(row[0], row[1]) for row in rows]
