"""The learners part of a resync: re-read their contacts from Xero, rewrite only what differs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from xerowatch.store import jobs, learners, links
from xerowatch.sync.contact_diff import holds
from xerowatch.sync.engine_deps import EngineDeps
from xerowatch.sync.mapping import contact_hash, to_contact
from xerowatch.sync.push_results import JOB_KIND
from xerowatch.sync.validation import ValidLearner, validate
from xerowatch.xero.models import Contact
from xerowatch.xero.paging import CONTACTS, ListQuery
from xerowatch.xero.quota import Lane
from xerowatch.xero.transport import TenantRef

IDS_PER_READ = 50
"""ContactIDs per `GET /Contacts?IDs=` (keeps the URL far below any server's limit)."""


@dataclass
class LearnerCounts:
    """What the learners part found: contacts read, to be written, and already right."""

    read: int = 0
    to_write: int = 0
    unchanged: int = 0


def _day(text: str) -> str:
    return datetime.combine(date.fromisoformat(text), datetime.min.time()).isoformat()


async def _read_contacts(
    ctx: EngineDeps, tenant: TenantRef, contact_ids: list[str]
) -> dict[str, Contact]:
    found: dict[str, Contact] = {}
    for start in range(0, len(contact_ids), IDS_PER_READ):
        ids = [UUID(cid) for cid in contact_ids[start : start + IDS_PER_READ]]
        query = ListQuery(ids=ids, include_archived=True, page_size=IDS_PER_READ)
        for contact in await ctx.xero.list_all(CONTACTS, query, tenant=tenant, lane=Lane.BULK):
            if contact.contact_id is not None:
                found[str(contact.contact_id)] = contact
    return found


async def resync_learners(
    ctx: EngineDeps, tenant: TenantRef, date_from: str, date_to: str
) -> LearnerCounts:
    """Compare the contacts of learners modified in [from, to) with Xero; queue those that differ.

    A learner with no contact yet, or one Xero no longer holds, is queued for the ordinary push
    (which matches before it creates). One whose contact already holds its mapped content is
    recorded as synced and costs nothing more.
    """
    store = ctx.store
    tid = tenant.tenant_id
    refs = await learners.refs_modified_between(store, _day(date_from), _day(date_to))
    stored = await learners.get_many_by_ref(store, refs)
    current = await links.links_by_ref(store, tid, refs)
    unsettled = await jobs.unsettled_keys(store, tid, JOB_KIND, refs)
    counts = LearnerCounts()
    queue: list[str] = []
    compare: dict[str, tuple[str, ValidLearner]] = {}
    for ref, item in stored.items():
        if item.deleted_at is not None or not item.learner.sync_to_xero or ref in unsettled:
            continue  # not synced, or a write of it is in flight: the outbox settles it
        valid, _ = validate(item.learner)
        link = current.get(ref)
        if valid is None or link is None or link.contact_id is None:
            queue.append(ref)  # the push validates, matches and alerts as usual
        else:
            compare[link.contact_id] = (ref, valid)
    held = await _read_contacts(ctx, tenant, list(compare))
    counts.read = len(held)
    for contact_id, (ref, valid) in compare.items():
        ours = to_contact(valid, contact_id)
        theirs = held.get(contact_id)
        if theirs is None or not holds(theirs, ours):
            queue.append(ref)
            continue
        counts.unchanged += 1
        async with store.transaction() as conn:
            await links.record_synced(
                conn, tid, ref, valid.learner.source_id, contact_id, contact_hash(ours)
            )
    pairs = [(ref, stored[ref].learner.source_id) for ref in queue]
    await links.mark_many_pending(store, tid, pairs)
    await links.forget_synced_hash(store, tid, queue)
    counts.to_write = len(queue)
    return counts
