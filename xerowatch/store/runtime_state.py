"""Key/value runtime state (the runtime_state table): pause flags, the last cycle's summary."""

from __future__ import annotations

import json
from typing import Any

from xerowatch.store.db import Store, utc_now_iso

PAUSED_KEY = "paused"


async def put(store: Store, key: str, value: Any) -> None:
    """Store a JSON value under a key."""
    await store.execute(
        "INSERT INTO runtime_state (key, value, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        (key, json.dumps(value, default=str), utc_now_iso()),
    )


async def get(store: Store, key: str, default: Any = None) -> Any:
    """Return the JSON value under a key, or `default`."""
    row = await store.fetchone("SELECT value FROM runtime_state WHERE key = ?", (key,))
    return json.loads(row[0]) if row else default


async def is_paused(store: Store, tenant_id: str = "") -> bool:
    """Return whether syncing is paused globally or for this tenant."""
    paused: dict[str, bool] = await get(store, PAUSED_KEY, {})
    return bool(paused.get("*") or (tenant_id and paused.get(tenant_id)))


async def set_paused(store: Store, paused: bool, tenant_id: str = "") -> None:
    """Pause or resume syncing globally ('' tenant) or for one tenant."""
    state: dict[str, bool] = await get(store, PAUSED_KEY, {})
    state[tenant_id or "*"] = paused
    await put(store, PAUSED_KEY, {k: v for k, v in state.items() if v})


async def get_prefixed(store: Store, prefix: str) -> dict[str, Any]:
    """Return every JSON value whose key starts with `prefix`, keyed by the rest of the key."""
    rows = await store.fetchall(
        "SELECT key, value FROM runtime_state WHERE substr(key, 1, ?) = ?", (len(prefix), prefix)
    )
    return {str(row[0])[len(prefix) :]: json.loads(row[1]) for row in rows}
