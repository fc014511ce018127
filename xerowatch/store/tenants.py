"""Xero tenants (organisations) in the store, each reached through one connection."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

import aiosqlite

from xerowatch.store.alerts import resolve_alerts
from xerowatch.store.db import Store, utc_now_iso

NEEDS_RECONNECT_ALERT = "xero_needs_reconnect"


@dataclass(frozen=True)
class TenantInfo:
    """A tenant as Xero's GET /connections describes it, ready to be stored."""

    tenant_id: str
    name: str
    tenant_type: str
    xero_connection_id: str | None


@dataclass(frozen=True)
class Tenant:
    """A stored tenant and the connection whose token reaches it."""

    tenant_id: str
    connection_id: str
    xero_connection_id: str | None
    name: str
    tenant_type: str
    active: bool


def _from_row(row: aiosqlite.Row) -> Tenant:
    return Tenant(
        tenant_id=row["tenant_id"],
        connection_id=row["connection_id"],
        xero_connection_id=row["xero_connection_id"],
        name=row["name"],
        tenant_type=row["tenant_type"],
        active=bool(row["active"]),
    )


async def upsert_tenants(
    store: Store, connection_id: str, tenants: Sequence[TenantInfo], *, now: datetime | None = None
) -> int:
    """Store tenants as active and reached through `connection_id`; return how many.

    A tenant already stored under another connection (a re-authorisation) moves to this one,
    and Xero connections left with no tenant at all are removed along with their tokens and
    their open needs-reconnect alerts, all in one transaction.
    """
    stamp = now.isoformat(timespec="milliseconds") if now else utc_now_iso()
    async with store.transaction() as conn:
        await conn.executemany(
            """
            INSERT INTO tenants (tenant_id, connection_id, xero_connection_id, name, tenant_type,
                                 active, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, 1, ?, ?)
            ON CONFLICT (tenant_id) DO UPDATE SET
                connection_id = excluded.connection_id,
                xero_connection_id = excluded.xero_connection_id,
                name = excluded.name,
                tenant_type = excluded.tenant_type,
                active = 1,
                updated_at = excluded.updated_at
            """,
            [
                (
                    t.tenant_id,
                    connection_id,
                    t.xero_connection_id,
                    t.name,
                    t.tenant_type,
                    stamp,
                    stamp,
                )
                for t in tenants
            ],
        )
        cursor = await conn.execute(
            "SELECT id FROM connections c WHERE c.provider = 'xero' AND c.id <> ? "
            "AND NOT EXISTS (SELECT 1 FROM tenants t WHERE t.connection_id = c.id)",
            (connection_id,),
        )
        orphans = [str(row[0]) for row in await cursor.fetchall()]
        for orphan in orphans:
            await conn.execute("DELETE FROM connections WHERE id = ?", (orphan,))
    for orphan in orphans:
        await resolve_alerts(store, record=orphan, types=(NEEDS_RECONNECT_ALERT,))
    return len(tenants)


class ActiveTenant(NamedTuple):
    """An active organisation and the connection whose token reaches it."""

    tenant_id: str
    connection_id: str


_ACTIVE = "SELECT tenant_id, connection_id FROM tenants WHERE active = 1 ORDER BY tenant_id"


async def active_tenants(store: Store) -> list[ActiveTenant]:
    """The organisations the sync works for, by tenant id: the one list every loop reads."""
    return [ActiveTenant(str(row[0]), str(row[1])) for row in await store.fetchall(_ACTIVE)]


def active_tenants_of_file(path: Path) -> list[ActiveTenant]:
    """The same list read synchronously and read-only from a store file (before a loop runs).

    Raises `sqlite3.Error` when the file cannot be read; never creates it.
    """
    uri = f"{path.resolve().as_uri()}?mode=ro"  # as_uri escapes '#', '?' and '%'
    with closing(sqlite3.connect(uri, uri=True)) as conn:
        rows = conn.execute(_ACTIVE).fetchall()
    return [ActiveTenant(str(row[0]), str(row[1])) for row in rows]


async def list_tenants(store: Store, *, active_only: bool = True) -> list[Tenant]:
    """Return stored tenants by name (only active ones unless told otherwise)."""
    sql = "SELECT * FROM tenants"
    if active_only:
        sql += " WHERE active = 1"
    sql += " ORDER BY name, tenant_id"
    return [_from_row(row) for row in await store.fetchall(sql)]


async def get_tenant(store: Store, tenant_id: str) -> Tenant | None:
    """Return one stored tenant, active or not, or None."""
    row = await store.fetchone("SELECT * FROM tenants WHERE tenant_id = ?", (tenant_id,))
    return _from_row(row) if row is not None else None


async def tenants_of_connection(store: Store, connection_id: str) -> list[Tenant]:
    """Return the tenants (active or not) reached through one connection."""
    rows = await store.fetchall(
        "SELECT * FROM tenants WHERE connection_id = ? ORDER BY name, tenant_id", (connection_id,)
    )
    return [_from_row(row) for row in rows]


async def deactivate_tenant(store: Store, tenant_id: str, *, now: datetime | None = None) -> bool:
    """Mark a tenant inactive (disconnected); True if it was stored."""
    stamp = now.isoformat(timespec="milliseconds") if now else utc_now_iso()
    async with store.transaction() as conn:
        cursor = await conn.execute(
            "UPDATE tenants SET active = 0, updated_at = ? WHERE tenant_id = ?",
            (stamp, tenant_id),
        )
        return cursor.rowcount > 0
