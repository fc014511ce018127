"""The outbox: a job row and its idempotency key are committed before the call it leads to.

States: pending → running (call in flight; after a crash this means "in doubt") → done, or
retry (with next_attempt_at) → … → dead. Permanent failures are not jobs: they are alerts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import aiosqlite

from xerowatch.store.db import Store, utc_now_iso

JobState = Literal["pending", "running", "retry", "dead", "done"]


@dataclass(frozen=True)
class Job:
    """One outbox row."""

    id: int
    tenant_id: str
    kind: str
    key: str
    idempotency_key: str | None
    payload: dict[str, Any] | None
    state: JobState
    attempts: int
    next_attempt_at: str | None
    last_error: str | None
    created_at: str
    updated_at: str


def job_from_row(row: aiosqlite.Row) -> Job:
    """A job from its row."""
    data = dict(row)
    payload = data.pop("payload_json")
    return Job(payload=json.loads(payload) if payload else None, **data)


async def begin_attempts(
    conn: aiosqlite.Connection,
    tenant_id: str,
    kind: str,
    keys: list[str],
    idempotency_key: str,
    payloads: dict[str, dict[str, Any]] | None = None,
) -> None:
    """Inside a transaction: mark these jobs running under one idempotency key, attempts + 1."""
    now = utc_now_iso()
    await conn.executemany(
        """
        INSERT INTO jobs (tenant_id, kind, key, idempotency_key, payload_json, state, attempts,
                          created_at, updated_at)
        VALUES (?, ?, ?, ?, ?, 'running', 1, ?, ?)
        ON CONFLICT (tenant_id, kind, key) DO UPDATE SET
            idempotency_key = excluded.idempotency_key, payload_json = excluded.payload_json,
            state = 'running',
            attempts = CASE WHEN jobs.state IN ('done', 'dead') THEN 1 ELSE jobs.attempts + 1 END,
            next_attempt_at = NULL, updated_at = excluded.updated_at
        """,
        [
            (
                tenant_id,
                kind,
                key,
                idempotency_key,
                json.dumps((payloads or {}).get(key), sort_keys=True) if payloads else None,
                now,
                now,
            )
            for key in keys
        ],
    )


async def begin_each(
    conn: aiosqlite.Connection, kind: str, rows: list[tuple[str, str, dict[str, Any]]]
) -> None:
    """Inside a transaction: (tenant_id, key, payload) jobs running, each its own idempotency
    key, attempts + 1 (one statement for a whole chunk of independent calls)."""
    now = utc_now_iso()
    await conn.executemany(
        """
        INSERT INTO jobs (tenant_id, kind, key, idempotency_key, payload_json, state, attempts,
                          created_at, updated_at)
        VALUES (?, ?, ?, ?, ?, 'running', 1, ?, ?)
        ON CONFLICT (tenant_id, kind, key) DO UPDATE SET
            idempotency_key = excluded.idempotency_key, payload_json = excluded.payload_json,
            state = 'running',
            attempts = CASE WHEN jobs.state IN ('done', 'dead') THEN 1 ELSE jobs.attempts + 1 END,
            next_attempt_at = NULL, updated_at = excluded.updated_at
        """,
        [
            (tenant_id, kind, key, key, json.dumps(payload, sort_keys=True), now, now)
            for tenant_id, key, payload in rows
        ],
    )


async def attempts_of(
    conn: aiosqlite.Connection, kind: str, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    """Inside a transaction: (tenant_id, key) → attempts so far, for these jobs."""
    found: dict[tuple[str, str], int] = {}
    for tenant_id, key in keys:
        cursor = await conn.execute(
            "SELECT attempts FROM jobs WHERE tenant_id = ? AND kind = ? AND key = ?",
            (tenant_id, kind, key),
        )
        row = await cursor.fetchone()
        if row is not None:
            found[(tenant_id, key)] = int(row[0])
    return found


async def finish(conn: aiosqlite.Connection, tenant_id: str, kind: str, keys: list[str]) -> None:
    """Inside a transaction: these jobs are done."""
    now = utc_now_iso()
    await conn.executemany(
        "UPDATE jobs SET state = 'done', last_error = NULL, next_attempt_at = NULL, "
        "updated_at = ? WHERE tenant_id = ? AND kind = ? AND key = ?",
        [(now, tenant_id, kind, key) for key in keys],
    )


async def schedule_retry(
    conn: aiosqlite.Connection,
    tenant_id: str,
    kind: str,
    key: str,
    *,
    error: str,
    next_attempt_at: datetime | None,
) -> None:
    """Inside a transaction: a transient failure; try again at `next_attempt_at` (None = dead)."""
    state = "retry" if next_attempt_at is not None else "dead"
    await conn.execute(
        "UPDATE jobs SET state = ?, last_error = ?, next_attempt_at = ?, updated_at = ? "
        "WHERE tenant_id = ? AND kind = ? AND key = ?",
        (
            state,
            error[:2000],
            next_attempt_at.isoformat() if next_attempt_at else None,
            utc_now_iso(),
            tenant_id,
            kind,
            key,
        ),
    )


async def hold(
    conn: aiosqlite.Connection, tenant_id: str, kind: str, keys: list[str], *, error: str
) -> None:
    """Inside a transaction: the call never had a chance (a refused credential): back to
    pending without spending an attempt, so nothing goes dead while a credential is wrong."""
    await conn.executemany(
        "UPDATE jobs SET state = 'pending', attempts = MAX(attempts - 1, 0), last_error = ?, "
        "next_attempt_at = NULL, updated_at = ? WHERE tenant_id = ? AND kind = ? AND key = ?",
        [(error[:2000], utc_now_iso(), tenant_id, kind, key) for key in keys],
    )


async def drop(conn: aiosqlite.Connection, tenant_id: str, kind: str, keys: list[str]) -> None:
    """Inside a transaction: remove jobs that ended in a permanent failure (now an alert)."""
    await conn.executemany(
        "DELETE FROM jobs WHERE tenant_id = ? AND kind = ? AND key = ?",
        [(tenant_id, kind, key) for key in keys],
    )


async def in_doubt(store: Store, tenant_id: str, kind: str) -> list[Job]:
    """Return jobs left 'running' (a crash or a lost answer): their outcome must be reconciled."""
    rows = await store.fetchall(
        "SELECT * FROM jobs WHERE tenant_id = ? AND kind = ? AND state = 'running' ORDER BY id",
        (tenant_id, kind),
    )
    return [job_from_row(row) for row in rows]


async def due(store: Store, tenant_id: str, kind: str, now_iso: str) -> list[Job]:
    """Return retry jobs whose next attempt is due."""
    rows = await store.fetchall(
        "SELECT * FROM jobs WHERE tenant_id = ? AND kind = ? AND state = 'retry' "
        "AND next_attempt_at <= ? ORDER BY next_attempt_at",
        (tenant_id, kind, now_iso),
    )
    return [job_from_row(row) for row in rows]


async def unsettled_keys(store: Store, tenant_id: str, kind: str, keys: list[str]) -> set[str]:
    """Return the keys whose last attempt did not end well (running, retry or dead)."""
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = await store.fetchall(
            f"SELECT key FROM jobs WHERE tenant_id = ? AND kind = ? AND key IN ({marks}) "
            "AND state IN ('running', 'retry', 'dead')",
            (tenant_id, kind, *chunk),
        )
        found.update(row[0] for row in rows)
    return found


async def get_job(store: Store, tenant_id: str, kind: str, key: str) -> Job | None:
    """Return one job."""
    row = await store.fetchone(
        "SELECT * FROM jobs WHERE tenant_id = ? AND kind = ? AND key = ?", (tenant_id, kind, key)
    )
    return job_from_row(row) if row else None


async def failed_jobs(store: Store, key: str | None = None) -> list[Job]:
    """Return jobs in retry or dead state (optionally for one key)."""
    sql = "SELECT * FROM jobs WHERE state IN ('retry', 'dead')"
    params: tuple[str, ...] = ()
    if key is not None:
        sql += " AND key = ?"
        params = (key,)
    return [job_from_row(row) for row in await store.fetchall(sql + " ORDER BY id", params)]


async def make_due_now(store: Store, job_ids: list[int]) -> int:
    """Operator retry: make these retry/dead jobs due immediately with a fresh attempt budget."""
    if not job_ids:
        return 0
    marks = ",".join("?" * len(job_ids))
    async with store.transaction() as conn:
        cursor = await conn.execute(
            f"UPDATE jobs SET state = 'retry', attempts = 0, next_attempt_at = ?, updated_at = ? "
            f"WHERE id IN ({marks}) AND state IN ('retry', 'dead')",
            (utc_now_iso(), utc_now_iso(), *job_ids),
        )
        return cursor.rowcount


async def depth_by_state(store: Store) -> dict[str, int]:
    """Return job counts per state (queue depths for status and metrics)."""
    rows = await store.fetchall("SELECT state, COUNT(*) FROM jobs GROUP BY state")
    return {row[0]: int(row[1]) for row in rows}
