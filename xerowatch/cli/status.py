"""Read-only views of the store for `xerowatch status`, shared by the CLI and tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from xerowatch.store import alerts, jobs, learners, links, resyncs, runtime, transactions
from xerowatch.store.db import Store
from xerowatch.sync.engine import LAST_CYCLE_KEY


async def daemon_state(store: Store, stale_after: float = 30.0) -> dict[str, Any] | None:
    """The daemon holding the store's lease, if its heartbeat is fresh."""
    row = await store.fetchone("SELECT * FROM daemon_lease ORDER BY heartbeat_at DESC LIMIT 1")
    if row is None:
        return None
    beat = datetime.fromisoformat(row["heartbeat_at"])
    age = (datetime.now(UTC) - beat).total_seconds()
    if age > stale_after:
        return None
    return {"pid": row["pid"], "host": row["host"], "heartbeat_age_s": round(age, 1)}


async def collect_status(store: Store) -> dict[str, Any]:
    """Everything `xerowatch status` shows, as JSON-ready data."""
    connections = [
        dict(row)
        for row in await store.fetchall(
            "SELECT c.id, c.provider, c.auth_mode, c.status, c.status_reason, "
            "t.access_expires_at, t.rotated_at FROM connections AS c "
            "LEFT JOIN oauth_tokens AS t ON t.connection_id = c.id ORDER BY c.id"
        )
    ]
    tenants = [
        dict(row)
        for row in await store.fetchall(
            "SELECT tenant_id, name, connection_id, active FROM tenants ORDER BY name"
        )
    ]
    samples = {
        row["tenant_id"]: dict(row)
        for row in await store.fetchall(
            "SELECT q.* FROM quota_samples AS q JOIN (SELECT tenant_id, MAX(minute) AS m "
            "FROM quota_samples GROUP BY tenant_id) AS latest "
            "ON latest.tenant_id = q.tenant_id AND latest.m = q.minute"
        )
    }
    cursors = [
        dict(row)
        for row in await store.fetchall(
            "SELECT tenant_id, stream, value, updated_at FROM cursors ORDER BY tenant_id, stream"
        )
    ]
    return {
        "daemon": await daemon_state(store),
        "paused": await runtime.get(store, runtime.PAUSED_KEY, {}),
        "connections": connections,
        "tenants": tenants,
        "learners": await learners.count_learners(store),
        "contacts": await links.count_by_state(store),
        "jobs": await jobs.depth_by_state(store),
        "transactions": await transactions.counts(store),
        "open_alerts": await alerts.count_open(store),
        "resyncs": [
            {
                "id": r.id,
                "state": r.state,
                "range": f"{r.date_from}..{r.date_to}",
                "types": r.types,
                "done": r.done,
                "total": r.total,
                "calls_used": r.calls_used,
                "eta_seconds": r.progress.get("eta_seconds"),
                "message": r.message,
            }
            for r in await resyncs.recent(store, limit=5)
        ],
        "quota": samples,
        "cursors": cursors,
        "last_cycle": await runtime.get(store, LAST_CYCLE_KEY),
    }
