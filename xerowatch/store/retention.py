"""Housekeeping: history, quota samples, finished jobs/commands past the retention period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from xerowatch.store.db import Store


async def prune(
    store: Store, *, retention_days: int, now: datetime | None = None
) -> dict[str, int]:
    """Delete rows older than the retention period; return how many per table."""
    cutoff = ((now or datetime.now(UTC)) - timedelta(days=retention_days)).isoformat()
    statements = {
        "history": "DELETE FROM history WHERE at < ?",
        "quota_samples": "DELETE FROM quota_samples WHERE minute < ?",
        "jobs": "DELETE FROM jobs WHERE state = 'done' AND updated_at < ?",
        "commands": "DELETE FROM commands WHERE state IN ('done', 'failed') AND created_at < ?",
        "webhook_events": "DELETE FROM webhook_events WHERE processed_at < ?",
        "alerts": "DELETE FROM alerts WHERE (acknowledged_at < ? OR resolved_at < ?)",
    }
    removed: dict[str, int] = {}
    async with store.transaction() as conn:
        for table, sql in statements.items():
            params = (cutoff, cutoff) if sql.count("?") == 2 else (cutoff,)
            cursor = await conn.execute(sql, params)
            removed[table] = cursor.rowcount
    return removed
