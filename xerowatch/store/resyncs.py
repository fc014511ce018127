"""Resync runs: a date range and record types, with progress and an end."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiosqlite

from xerowatch.store import runtime_state
from xerowatch.store.db import Store, utc_now_iso

ACTIVE_STATES = ("pending", "running", "paused")
HELD_KEY = "held_resyncs"
"""runtime_state key: runs an operator paused (a budget pause resumes by itself, these do not)."""


@dataclass(frozen=True)
class Resync:
    """One resync run."""

    id: int
    tenant_id: str
    types: list[str]
    date_from: str
    date_to: str
    state: str
    done: int
    total: int | None
    calls_used: int
    progress: dict[str, Any]
    message: str
    created_at: str
    started_at: str | None
    finished_at: str | None
    updated_at: str


def _resync(row: aiosqlite.Row) -> Resync:
    data = dict(row)
    return Resync(
        types=data.pop("types").split(","),
        progress=json.loads(data.pop("progress_json") or "{}"),
        **data,
    )


async def create(
    store: Store, *, tenant_id: str, types: list[str], date_from: str, date_to: str
) -> int:
    """Create a pending resync run; return its id."""
    now = utc_now_iso()
    return await store.execute(
        "INSERT INTO resyncs (tenant_id, types, date_from, date_to, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (tenant_id, ",".join(types), date_from, date_to, now, now),
    )


async def update(
    store: Store,
    resync_id: int,
    *,
    state: str | None = None,
    done: int | None = None,
    total: int | None = None,
    calls_used: int | None = None,
    progress: dict[str, Any] | None = None,
    message: str | None = None,
) -> None:
    """Update a run's progress fields."""
    fields: dict[str, Any] = {"updated_at": utc_now_iso()}
    if state is not None:
        fields["state"] = state
        if state == "running":
            fields["started_at"] = fields["updated_at"]
        if state in ("done", "cancelled", "failed"):
            fields["finished_at"] = fields["updated_at"]
    for name, value in (("done", done), ("total", total), ("calls_used", calls_used)):
        if value is not None:
            fields[name] = value
    if progress is not None:
        fields["progress_json"] = json.dumps(progress, sort_keys=True)
    if message is not None:
        fields["message"] = message
    assignments = ", ".join(f"{name} = ?" for name in fields)
    await store.execute(
        f"UPDATE resyncs SET {assignments} WHERE id = ?", (*fields.values(), resync_id)
    )


async def get(store: Store, resync_id: int) -> Resync | None:
    """Return one run."""
    row = await store.fetchone("SELECT * FROM resyncs WHERE id = ?", (resync_id,))
    return _resync(row) if row else None


async def active(store: Store, tenant_id: str | None = None) -> list[Resync]:
    """Return runs not yet finished, oldest first."""
    sql = "SELECT * FROM resyncs WHERE state IN ('pending', 'running', 'paused')"
    params: tuple[str, ...] = ()
    if tenant_id is not None:
        sql += " AND tenant_id = ?"
        params = (tenant_id,)
    return [_resync(row) for row in await store.fetchall(sql + " ORDER BY id", params)]


async def recent(store: Store, limit: int = 20) -> list[Resync]:
    """Return the newest runs."""
    rows = await store.fetchall("SELECT * FROM resyncs ORDER BY id DESC LIMIT ?", (limit,))
    return [_resync(row) for row in rows]


async def held(store: Store) -> set[int]:
    """Ids of the runs an operator paused."""
    return {int(i) for i in await runtime_state.get(store, HELD_KEY, [])}


async def hold(store: Store, resync_id: int) -> None:
    """Operator pause: the run stops at its next checkpoint and waits for `release`."""
    ids = await held(store) | {resync_id}
    await runtime_state.put(store, HELD_KEY, sorted(ids))
    await update(store, resync_id, state="paused", message="paused by operator")


async def release(store: Store, resync_id: int) -> None:
    """Operator resume: the run continues from its checkpoint on the next pass."""
    ids = await held(store) - {resync_id}
    await runtime_state.put(store, HELD_KEY, sorted(ids))
    await update(store, resync_id, state="pending", message="resumed by operator")
