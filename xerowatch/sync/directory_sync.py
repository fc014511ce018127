"""Keep the local mirror of a tenant's contact directory current, and notice merges."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from xerowatch.store import cursors, directory, links
from xerowatch.store.directory import DirectoryContact
from xerowatch.store.history import HistoryEntry, record
from xerowatch.store.links import ContactLink
from xerowatch.store.transactions import LearnerRef, match_contacts
from xerowatch.sync.engine_deps import EngineDeps
from xerowatch.sync.watermark import Watermark
from xerowatch.xero.models import Contact
from xerowatch.xero.paging import CONTACTS, ListQuery
from xerowatch.xero.quota import Lane
from xerowatch.xero.transport import TenantRef

log = logging.getLogger(__name__)

DIRECTORY_CURSOR = "xero.contacts"


@dataclass
class DirectoryRefresh:
    """What one directory read found."""

    read: int = 0
    relinked: int = 0
    full: bool = False


def _entry(tenant_id: str, contact: Contact) -> DirectoryContact | None:
    if contact.contact_id is None:
        return None
    return DirectoryContact(
        tenant_id=tenant_id,
        contact_id=str(contact.contact_id),
        contact_number=(contact.contact_number or "").strip() or None,
        name=contact.name or "",
        status=contact.contact_status.value if contact.contact_status else "ACTIVE",
        updated_utc=contact.updated_date_utc.isoformat() if contact.updated_date_utc else None,
    )


async def _follow(ctx: EngineDeps, tenant_id: str, link: ContactLink, contact_id: str) -> None:
    """Point the learner at the contact that replaced its own, with that contact's documents."""
    async with ctx.store.transaction() as conn:
        await links.relink(conn, tenant_id, link.ref_internal, contact_id)
        owner = LearnerRef(link.ref_internal, link.source_id)
        await match_contacts(conn, tenant_id, {contact_id: owner})


async def _relink(ctx: EngineDeps, tenant_id: str, entries: list[DirectoryContact]) -> int:
    """A ContactNumber of ours now on another ACTIVE contact (a merge in Xero): follow it."""
    numbered = [e for e in entries if e.contact_number and e.status == "ACTIVE"]
    if not numbered:
        return 0
    current = await links.links_by_ref(
        ctx.store, tenant_id, [e.contact_number or "" for e in numbered]
    )
    moved = 0
    for entry in numbered:
        link = current.get(entry.contact_number or "")
        if link is None or link.contact_id in (None, entry.contact_id):
            continue
        await _follow(ctx, tenant_id, link, entry.contact_id)
        await record(
            ctx.store,
            HistoryEntry(
                link.ref_internal,
                "relink",
                "info",
                "from_xero",
                tenant_id=tenant_id,
                message=f"contact {link.contact_id} replaced by {entry.contact_id} in Xero "
                "(merged); link follows it",
            ),
        )
        moved += 1
    return moved


async def refresh_directory(
    ctx: EngineDeps, tenant: TenantRef, *, lane: Lane = Lane.INCREMENTAL
) -> DirectoryRefresh:
    """Read the directory: fully the first time, then only what changed since the last read."""
    stored = await cursors.get_cursor(ctx.store, DIRECTORY_CURSOR, tenant.tenant_id)
    mark = Watermark.parse(stored)
    started = ctx.clock.now()
    result = DirectoryRefresh(full=mark.newest is None)
    query = ListQuery(modified_since=mark.read_from(), summary_only=True, include_archived=True)
    seen: list[datetime | None] = []
    async for page in ctx.xero.iter_pages(CONTACTS, query, tenant=tenant, lane=lane):
        entries = [e for e in (_entry(tenant.tenant_id, c) for c in page.items) if e]
        merged = [c for c in page.items if c.merged_to_contact_id and c.contact_id]
        async with ctx.store.transaction() as conn:
            await directory.upsert_contacts(conn, entries)
        result.read += len(entries)
        result.relinked += await _relink(ctx, tenant.tenant_id, entries)
        for contact in merged:
            link = await links.ref_for_contact(ctx.store, tenant.tenant_id, str(contact.contact_id))
            if link is not None:
                await _follow(ctx, tenant.tenant_id, link, str(contact.merged_to_contact_id))
                result.relinked += 1
        seen.extend(c.updated_date_utc for c in page.items)
    # The cursor moves only after the whole read: a crash mid-read re-reads, never skips.
    moved = mark.after_read(seen, started_at=started).dump()
    if moved != stored:
        await cursors.set_cursor(ctx.store, DIRECTORY_CURSOR, moved, tenant.tenant_id)
    if result.read:
        log.info("directory %s: %d contacts read", tenant.tenant_id, result.read)
    return result
