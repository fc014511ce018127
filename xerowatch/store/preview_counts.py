"""Counts behind a resync's cost preview: organisations, learners and transactions in a range."""

from __future__ import annotations

from xerowatch.store import tenants
from xerowatch.store.db import Store


async def active_tenants(store: Store, tenant_id: str = "") -> list[str]:
    """The active organisations a resync would read (one, when `tenant_id` names it)."""
    found = [tenant.tenant_id for tenant in await tenants.active_tenants(store)]
    return [t for t in found if t == tenant_id] if tenant_id else found


async def learners_modified(store: Store, start_iso: str, end_iso: str) -> int:
    """Learners modified in the source within [start, end)."""
    row = await store.fetchone(
        "SELECT COUNT(*) FROM learners WHERE modified_at >= ? AND modified_at < ? "
        "AND deleted_at IS NULL",
        (start_iso, end_iso),
    )
    return int(row[0]) if row else 0


async def transactions_in_range(
    store: Store, kind: str, date_from: str, date_to: str, tenant_id: str = ""
) -> tuple[int, int]:
    """(stored, matched to a learner) transactions of a kind dated within [from, to)."""
    sql = (
        "SELECT COUNT(*), COALESCE(SUM(matched), 0) FROM transactions "
        "WHERE kind = ? AND date >= ? AND date < ?"
    )
    params: list[object] = [kind, date_from, date_to]
    if tenant_id:
        sql += " AND tenant_id = ?"
        params.append(tenant_id)
    row = await store.fetchone(sql, params)
    return (int(row[0]), int(row[1])) if row else (0, 0)
