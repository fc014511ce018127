"""The tenant's Xero contact directory as last read: enough to match without extra calls."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import aiosqlite

from xerowatch.store.chunked import select_in
from xerowatch.store.db import Store


@dataclass(frozen=True)
class DirectoryContact:
    """One Xero contact as mirrored locally."""

    tenant_id: str
    contact_id: str
    contact_number: str | None
    name: str
    status: str
    updated_utc: str | None


def name_key(name: str) -> str:
    """Normalise a contact name for comparison (Xero compares names case-insensitively)."""
    return " ".join(name.split()).casefold()


def _contact(row: aiosqlite.Row) -> DirectoryContact:
    return DirectoryContact(
        tenant_id=row["tenant_id"],
        contact_id=row["contact_id"],
        contact_number=row["contact_number"],
        name=row["name"],
        status=row["status"],
        updated_utc=row["updated_utc"],
    )


async def upsert_contacts(conn: aiosqlite.Connection, contacts: Iterable[DirectoryContact]) -> None:
    """Inside a transaction: store or refresh directory entries."""
    await conn.executemany(
        """
        INSERT INTO xero_contacts (tenant_id, contact_id, contact_number, name, name_key, status,
                                   updated_utc)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (tenant_id, contact_id) DO UPDATE SET
            contact_number = excluded.contact_number, name = excluded.name,
            name_key = excluded.name_key, status = excluded.status,
            updated_utc = excluded.updated_utc
        """,
        [
            (
                c.tenant_id,
                c.contact_id,
                c.contact_number or None,
                c.name,
                name_key(c.name),
                c.status,
                c.updated_utc,
            )
            for c in contacts
        ],
    )


async def remove_contact(store: Store, tenant_id: str, contact_id: str) -> None:
    """Forget a contact that no longer exists in Xero (merged away or deleted)."""
    await store.execute(
        "DELETE FROM xero_contacts WHERE tenant_id = ? AND contact_id = ?", (tenant_id, contact_id)
    )


async def by_number(
    store: Store, tenant_id: str, numbers: list[str]
) -> dict[str, DirectoryContact]:
    """Return contacts carrying these ContactNumbers, keyed by number (ACTIVE preferred)."""
    found: dict[str, DirectoryContact] = {}
    rows = await select_in(
        store,
        "SELECT * FROM xero_contacts WHERE tenant_id = ? AND contact_number IN ({marks}) "
        "ORDER BY CASE status WHEN 'ACTIVE' THEN 0 ELSE 1 END DESC",
        numbers,
        before=(tenant_id,),
    )
    for row in rows:  # within a number's chunk ACTIVE rows come last and win
        found[row["contact_number"]] = _contact(row)
    return found


async def by_name_keys(
    store: Store, tenant_id: str, keys: list[str]
) -> dict[str, list[DirectoryContact]]:
    """Return contacts whose normalised name is one of `keys`, grouped by key."""
    found: dict[str, list[DirectoryContact]] = {}
    rows = await select_in(
        store,
        "SELECT * FROM xero_contacts WHERE tenant_id = ? AND name_key IN ({marks})",
        keys,
        before=(tenant_id,),
    )
    for row in rows:
        found.setdefault(row["name_key"], []).append(_contact(row))
    return found


async def by_id(store: Store, tenant_id: str, contact_id: str) -> DirectoryContact | None:
    """Return one directory entry by ContactID."""
    row = await store.fetchone(
        "SELECT * FROM xero_contacts WHERE tenant_id = ? AND contact_id = ?",
        (tenant_id, contact_id),
    )
    return _contact(row) if row else None


async def count(store: Store, tenant_id: str) -> int:
    """Return the number of mirrored contacts of a tenant."""
    row = await store.fetchone(
        "SELECT COUNT(*) FROM xero_contacts WHERE tenant_id = ?", (tenant_id,)
    )
    return int(row[0]) if row else 0
