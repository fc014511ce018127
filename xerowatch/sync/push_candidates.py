"""A chunk of due learners, read once: each valid one validated, mapped and hashed once.

Everything the push later decides from (the stored learner, its link, whether a write of its is
unsettled, its contact and that contact's hash) is read or built here, once per learner per push.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from xerowatch.store import alerts, jobs, learners, links
from xerowatch.store.links import ContactLink
from xerowatch.sync import identity
from xerowatch.sync.context import EngineContext
from xerowatch.sync.ingest import VALIDATION_ALERT, describe
from xerowatch.sync.mapping import contact_hash, to_contact
from xerowatch.sync.push_results import JOB_KIND, PushSummary
from xerowatch.sync.validation import ValidLearner, validate
from xerowatch.xero.models import Contact


@dataclass(frozen=True)
class Candidate:
    """One valid due learner, ready to be matched and written."""

    ref: str
    valid: ValidLearner
    link: ContactLink | None
    contact: Contact
    """The contact xerowatch would write, without a ContactID."""
    content_hash: str
    """`contact_hash(contact)`: ContactID and status are not part of it."""
    unsettled: bool
    """A write of this learner is in doubt or failed: Xero may hold other content."""

    @property
    def source_id(self) -> str:
        """The learner's id in the source."""
        return self.valid.learner.source_id


async def build_candidates(
    ctx: EngineContext, tenant_id: str, refs: list[str], summary: PushSummary
) -> list[Candidate]:
    """Check a chunk of due learners (no calls): the invalid ones alert, the rest are returned.

    Call inside `store.batch()`: the alerts and link states of a chunk then cost one commit.
    """
    store = ctx.store
    stored = await learners.get_many_by_ref(store, refs)
    current = await links.links_by_ref(store, tenant_id, refs)
    shared = await identity.shared_refs(store, refs)
    unsettled = await jobs.unsettled_keys(store, tenant_id, JOB_KIND, refs)
    found: list[Candidate] = []
    for ref in refs:
        item = stored.get(ref)
        if item is None or item.deleted_at is not None or not item.learner.sync_to_xero:
            source_id = item.learner.source_id if item else current[ref].source_id
            await links.mark(store, tenant_id, ref, source_id, "skipped")
            continue
        if ref in shared:
            message = await identity.alert_shared(store, ref, shared[ref])
            await links.mark(
                store, tenant_id, ref, item.learner.source_id, "blocked", error=message
            )
            summary.blocked += 1
            continue
        valid, problems = validate(item.learner)
        if valid is None:
            message, fix = describe(problems)
            await alerts.raise_alert(store, VALIDATION_ALERT, message, fix=fix, record=ref)
            await links.mark(
                store, tenant_id, ref, item.learner.source_id, "invalid", error=message
            )
            summary.blocked += 1
            continue
        contact = to_contact(valid)
        found.append(
            Candidate(
                ref, valid, current.get(ref), contact, contact_hash(contact), ref in unsettled
            )
        )
    return found


async def skip_unchanged(
    ctx: EngineContext, tenant_id: str, candidates: list[Candidate], summary: PushSummary
) -> list[Candidate]:
    """Learners whose contact already holds exactly this content need no directory read.

    Call inside `store.batch()`, like `build_candidates`.
    """
    due: list[Candidate] = []
    for candidate in candidates:
        link = candidate.link
        if (
            link is None
            or link.contact_id is None
            or candidate.unsettled
            or link.synced_hash != candidate.content_hash
        ):
            due.append(candidate)
            continue
        async with ctx.store.transaction() as conn:
            await links.record_synced(
                conn,
                tenant_id,
                candidate.ref,
                candidate.source_id,
                link.contact_id,
                candidate.content_hash,
            )
        summary.unchanged += 1
    return due


async def refresh_links(
    ctx: EngineContext, tenant_id: str, candidates: list[Candidate]
) -> list[Candidate]:
    """The candidates with their links read again (a directory read followed a merge)."""
    current = await links.links_by_ref(ctx.store, tenant_id, [c.ref for c in candidates])
    return [replace(c, link=current.get(c.ref)) for c in candidates]
