"""Event alerts: what needs a human, with the fix, counted and acknowledgeable."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from xerowatch.store.db import GENERIC_SOURCE, Store, utc_now_iso

ALERT_TYPES: dict[str, str] = {
    "learner_invalid": "a learner cannot become a contact until a field is corrected",
    "learner_ref_changed": "a learner's RefInternal changed; its contact follows",
    "learner_ref_shared": "two learners share one RefInternal",
    "source_unavailable": "learners could not be read from the source",
    "source_record_unreadable": "a record in the source could not be read",
    "xero_contact_rejected": "Xero refused a contact write",
    "xero_contact_archived": "the learner's contact is archived in Xero",
    "xero_duplicate_name": "a contact with the learner's name and no code exists",
    "xero_possible_duplicate": "a contact named just like the learner may be a duplicate",
    "xero_contact_push_dead": "writing a contact failed too often",
    "xero_error": "a cycle stopped on a Xero error",
    "xero_auth": "Xero refused the connection",
    "xero_needs_reconnect": "a Xero connection must be reconnected",
    "xero_token_rejected": "Xero refused to refresh a token",
    "xero_day_limit": "an organisation used its daily API limit",
    "transaction_left_learner": "a transaction moved to a contact that is no learner",
    "writeback_failed": "a transaction could not be written back to the source",
    "resync_failed": "a resync run failed",
    "loop_failed": "a daemon loop keeps failing",
    "webhook_malformed": "a signed webhook could not be read",
}
"""Every alert type xerowatch raises, with what it means (`xerowatch alerts --type`)."""


async def alert_types(store: Store) -> list[str]:
    """The known alert types plus any other type present in the store, sorted."""
    rows = await store.fetchall("SELECT DISTINCT type FROM alerts")
    return sorted(set(ALERT_TYPES) | {str(row[0]) for row in rows})


@dataclass(frozen=True)
class Alert:
    """One event alert as stored."""

    id: int
    type: str
    tenant_id: str
    record: str
    message: str
    fix: str
    count: int
    first_seen: str
    last_seen: str
    acknowledged_at: str | None
    resolved_at: str | None


async def raise_alert(
    store: Store, type_: str, message: str, *, fix: str = "", record: str = "", tenant_id: str = ""
) -> int:
    """Record an alert, or bump the count of the open one with the same type/tenant/record.

    "the source system" in the texts becomes the name of the source in use (e.g. "Wisenet").
    """
    if store.source_label != GENERIC_SOURCE:
        message = message.replace(GENERIC_SOURCE, store.source_label)
        fix = fix.replace(GENERIC_SOURCE, store.source_label)
    now = utc_now_iso()
    async with store.transaction() as conn:
        await conn.execute(
            """
            INSERT INTO alerts (type, tenant_id, record, message, fix, first_seen, last_seen)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (type, tenant_id, record) DO UPDATE SET
                message = excluded.message,
                fix = excluded.fix,
                count = alerts.count + 1,
                last_seen = excluded.last_seen,
                first_seen = CASE WHEN alerts.resolved_at IS NULL AND alerts.acknowledged_at IS NULL
                                  THEN alerts.first_seen ELSE excluded.first_seen END,
                acknowledged_at = NULL,
                resolved_at = NULL
            """,
            (type_, tenant_id, record, message, fix, now, now),
        )
        cursor = await conn.execute(
            "SELECT id FROM alerts WHERE type = ? AND tenant_id = ? AND record = ?",
            (type_, tenant_id, record),
        )
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def resolve_alerts(
    store: Store, *, record: str, tenant_id: str = "", types: tuple[str, ...] = ()
) -> int:
    """Mark the open alerts of a record resolved (the condition went away); return how many."""
    sql = (
        "UPDATE alerts SET resolved_at = ? "
        "WHERE record = ? AND tenant_id = ? AND resolved_at IS NULL"
    )
    params: list[object] = [utc_now_iso(), record, tenant_id]
    if types:
        sql += f" AND type IN ({','.join('?' * len(types))})"
        params.extend(types)
    async with store.transaction() as conn:
        cursor = await conn.execute(sql, params)
        return cursor.rowcount


async def resolve_records(conn: aiosqlite.Connection, records: list[tuple[str, str]]) -> None:
    """Inside a transaction: resolve the open alerts of these (tenant_id, record) pairs."""
    now = utc_now_iso()
    await conn.executemany(
        "UPDATE alerts SET resolved_at = ? "
        "WHERE record = ? AND tenant_id = ? AND resolved_at IS NULL",
        [(now, record, tenant_id) for tenant_id, record in records],
    )


async def acknowledge(store: Store, alert_ids: list[int] | None = None) -> int:
    """Acknowledge the given alerts (all open ones when None); return how many changed."""
    now = utc_now_iso()
    if alert_ids is None:
        sql = (
            "UPDATE alerts SET acknowledged_at = ? WHERE acknowledged_at IS NULL "
            "AND resolved_at IS NULL"
        )
        params: list[object] = [now]
    else:
        if not alert_ids:
            return 0
        marks = ",".join("?" * len(alert_ids))
        sql = (
            f"UPDATE alerts SET acknowledged_at = ? WHERE id IN ({marks}) "
            "AND acknowledged_at IS NULL"
        )
        params = [now, *alert_ids]
    async with store.transaction() as conn:
        cursor = await conn.execute(sql, params)
        return cursor.rowcount


async def open_alerts(store: Store, *, type_: str | None = None, limit: int = 500) -> list[Alert]:
    """Return unacknowledged, unresolved alerts, newest first."""
    sql = "SELECT * FROM alerts WHERE acknowledged_at IS NULL AND resolved_at IS NULL"
    params: list[object] = []
    if type_:
        sql += " AND type = ?"
        params.append(type_)
    sql += " ORDER BY last_seen DESC LIMIT ?"
    params.append(limit)
    return [Alert(**dict(row)) for row in await store.fetchall(sql, params)]


async def count_open(store: Store) -> int:
    """Return the number of open alerts."""
    row = await store.fetchone(
        "SELECT COUNT(*) FROM alerts WHERE acknowledged_at IS NULL AND resolved_at IS NULL"
    )
    return int(row[0]) if row else 0


async def count_opened_since(store: Store, since_iso: str) -> int:
    """Open alerts raised (or raised again after an ack or a fix) at or after `since_iso`."""
    row = await store.fetchone(
        "SELECT COUNT(*) FROM alerts WHERE acknowledged_at IS NULL AND resolved_at IS NULL "
        "AND first_seen >= ?",
        (since_iso,),
    )
    return int(row[0]) if row else 0


async def open_ids(store: Store, alert_ids: list[int]) -> set[int]:
    """Which of these alert ids are open (neither acknowledged nor resolved)."""
    if not alert_ids:
        return set()
    marks = ",".join("?" * len(alert_ids))
    rows = await store.fetchall(
        f"SELECT id FROM alerts WHERE id IN ({marks}) AND acknowledged_at IS NULL "
        "AND resolved_at IS NULL",
        alert_ids,
    )
    return {int(row[0]) for row in rows}
