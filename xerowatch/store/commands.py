"""Commands from dashboards and the CLI, for the daemon (or `sync --once`) to carry out.

The kinds and their arguments are the registry's (`xerowatch.sync.commands`); this module only
stores, claims and finishes rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiosqlite

from xerowatch.store.db import Store, utc_now_iso


@dataclass(frozen=True)
class Command:
    """One command row."""

    id: int
    kind: str
    args: dict[str, Any]
    state: str
    requested_by: str
    created_at: str
    started_at: str | None
    finished_at: str | None
    result: str | None


def _command(row: aiosqlite.Row, *, strict: bool = False) -> Command:
    data = dict(row)
    raw = data.pop("args_json") or "{}"
    try:
        args = json.loads(raw)
    except ValueError:
        if strict:
            raise
        args = {"unreadable": raw}
    return Command(args=args if isinstance(args, dict) else {"value": args}, **data)


async def enqueue(
    store: Store, kind: str, args: dict[str, Any] | None = None, *, requested_by: str = ""
) -> int:
    """Queue a command row as given; return its id (`xerowatch.sync.commands.enqueue` checks it)."""
    return await store.execute(
        "INSERT INTO commands (kind, args_json, requested_by, created_at) VALUES (?, ?, ?, ?)",
        (kind, json.dumps(args or {}, sort_keys=True), requested_by, utc_now_iso()),
    )


async def claim_next(store: Store) -> Command | None:
    """Take the oldest pending command and mark it running (atomic across processes).

    A row whose arguments are not valid JSON is failed on the spot, never left running.
    """
    while True:
        async with store.transaction() as conn:
            cursor = await conn.execute(
                "SELECT * FROM commands WHERE state = 'pending' ORDER BY id LIMIT 1"
            )
            row = await cursor.fetchone()
            if row is None:
                return None
            now = utc_now_iso()
            try:
                command = _command(row, strict=True)
            except (ValueError, TypeError) as exc:
                await conn.execute(
                    "UPDATE commands SET state = 'failed', started_at = ?, finished_at = ?, "
                    "result = ? WHERE id = ?",
                    (now, now, f"unreadable arguments: {exc}", row["id"]),
                )
                continue
            await conn.execute(
                "UPDATE commands SET state = 'running', started_at = ? WHERE id = ?",
                (now, row["id"]),
            )
        return Command(**{**command.__dict__, "state": "running", "started_at": now})


async def complete(store: Store, command_id: int, *, ok: bool, result: str) -> None:
    """Record a command's outcome."""
    await store.execute(
        "UPDATE commands SET state = ?, finished_at = ?, result = ? WHERE id = ?",
        ("done" if ok else "failed", utc_now_iso(), result[:4000], command_id),
    )


async def get(store: Store, command_id: int) -> Command | None:
    """Return one command."""
    row = await store.fetchone("SELECT * FROM commands WHERE id = ?", (command_id,))
    return _command(row) if row else None


async def recent(store: Store, limit: int = 50) -> list[Command]:
    """Return the newest commands."""
    rows = await store.fetchall("SELECT * FROM commands ORDER BY id DESC LIMIT ?", (limit,))
    return [_command(row) for row in rows]


async def requeue_stale_running(store: Store) -> int:
    """At start-up: commands left running by a crashed daemon go back to pending."""
    async with store.transaction() as conn:
        cursor = await conn.execute(
            "UPDATE commands SET state = 'pending', started_at = NULL WHERE state = 'running'"
        )
        return cursor.rowcount
