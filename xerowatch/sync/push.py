"""Learners → Xero contacts, exactly once: outbox row first, then the call, then the result.

After a crash or a lost answer the learner is still `pending` and its job `running` or `retry`;
the next push re-reads the directory (incrementally: a contact a lost call created shows up by
its ContactNumber) before deciding, so it updates instead of creating a second contact.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from uuid import UUID

from xerowatch.store import alerts, directory, jobs, links
from xerowatch.store.directory import name_key
from xerowatch.store.history import HistoryEntry, add_entries
from xerowatch.sync import identity
from xerowatch.sync.context import EngineContext
from xerowatch.sync.directory_sync import refresh_directory
from xerowatch.sync.matching import REJECTED_ALERT, Decision, decide, person_key
from xerowatch.sync.push_candidates import (
    Candidate,
    build_candidates,
    refresh_links,
    skip_unchanged,
)
from xerowatch.sync.push_results import JOB_KIND, PlannedWrite, PushSummary, apply_results
from xerowatch.xero.errors import XeroAuthError
from xerowatch.xero.models import Contact, ContactStatus
from xerowatch.xero.quota import Lane
from xerowatch.xero.transport import TenantRef

log = logging.getLogger(__name__)

__all__ = ["JOB_KIND", "PushSummary", "push_contacts"]

PUSH_CHUNK = 1000
"""Due learners read, checked and planned at a time: bounds the push's memory."""


@dataclass
class _Plan:
    writes: list[PlannedWrite] = field(default_factory=list)


def _scope(tenant_id: str, batch: Sequence[PlannedWrite]) -> str:
    """The outbox key of a batch: the same learners and contents give the same key."""
    material = "|".join(f"{w.ref}:{w.content_hash}:{w.decision.contact_id}" for w in batch)
    return f"contacts:{tenant_id}:" + hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]


async def _plan(
    ctx: EngineContext, tenant_id: str, candidates: list[Candidate], summary: PushSummary
) -> _Plan:
    """Match the candidates against the (fresh) directory and decide each write.

    Call inside `store.batch()`: the blocked and unchanged learners of a chunk cost one commit.
    """
    store = ctx.store
    refs = [c.ref for c in candidates]
    current = {c.ref: c.link for c in candidates if c.link is not None}
    valid_by_ref = {c.ref: c.valid for c in candidates}
    numbered = await directory.by_number(store, tenant_id, refs)
    keys = [name_key(c.valid.name) for c in candidates]
    keys += [person_key(c.valid) for c in candidates]
    named = await directory.by_name_keys(store, tenant_id, keys)
    renamed = await identity.previous_contacts(store, tenant_id, valid_by_ref, current)
    plan = _Plan()
    for candidate in candidates:
        ref, valid, link = candidate.ref, candidate.valid, candidate.link
        old = renamed.get(ref)
        by_number = numbered.get(ref) or (old[1] if old else None)
        decision = decide(
            valid,
            link,
            by_number,
            named.get(name_key(valid.name), []),
            named.get(person_key(valid), []),
            ctx.settings,
        )
        if old is not None:
            decision = identity.annotate(decision, ref, *old)
        if decision.blocked:
            await _block(ctx, tenant_id, ref, candidate.source_id, decision)
            summary.blocked += 1
            continue
        content = candidate.content_hash  # neither the ContactID nor the status is hashed
        if (
            link is not None
            and not candidate.unsettled
            and decision.contact_id is not None
            and link.contact_id == decision.contact_id
            and link.synced_hash == content
        ):
            async with store.transaction() as conn:
                await links.record_synced(
                    conn, tenant_id, ref, candidate.source_id, decision.contact_id, content
                )
            summary.unchanged += 1
            continue
        plan.writes.append(
            PlannedWrite(
                ref, candidate.source_id, _addressed(candidate, decision), content, decision
            )
        )
    return plan


def _addressed(candidate: Candidate, decision: Decision) -> Contact:
    """The candidate's contact, addressed to the decided ContactID (re-activated if decided)."""
    update: dict[str, object] = {}
    if decision.contact_id is not None:
        update["contact_id"] = UUID(decision.contact_id)
    if decision.action == "reactivate":
        update["contact_status"] = ContactStatus.ACTIVE
    return candidate.contact.model_copy(update=update) if update else candidate.contact


async def _block(
    ctx: EngineContext, tenant_id: str, ref: str, source_id: str, decision: Decision
) -> None:
    await alerts.raise_alert(
        ctx.store,
        decision.alert_type or REJECTED_ALERT,
        decision.message,
        fix=decision.fix,
        record=ref,
        tenant_id=tenant_id,
    )
    await links.mark(ctx.store, tenant_id, ref, source_id, "blocked", error=decision.message)
    async with ctx.store.transaction() as conn:
        await jobs.drop(conn, tenant_id, JOB_KIND, [ref])
        await add_entries(
            conn,
            [HistoryEntry(ref, "match", "error", "to_xero", tenant_id, decision.message)],
        )


async def push_contacts(
    ctx: EngineContext, tenant: TenantRef, *, lane: Lane = Lane.INCREMENTAL
) -> PushSummary:
    """Write every due learner of a tenant to Xero in batches of up to 50 per call.

    The due learners are read, checked and planned PUSH_CHUNK at a time, so memory stays flat
    however many are due; planned writes carry over between chunks, so every call but the last
    is a full batch.
    """
    summary = PushSummary()
    store = ctx.store
    await links.queue_unlinked(store, tenant.tenant_id)
    refs = await links.due_refs(store, tenant.tenant_id, JOB_KIND, ctx.clock.now().isoformat())
    before = ctx.calls.total
    directory_read = False
    carried: list[PlannedWrite] = []
    for start in range(0, len(refs), PUSH_CHUNK):
        chunk = refs[start : start + PUSH_CHUNK]
        if not await _plan_chunk(
            ctx, tenant, chunk, summary, lane, carried, read=not directory_read
        ):
            continue
        directory_read = True
        full = len(carried) - len(carried) % ctx.settings.batch_size
        if not await _write(ctx, tenant, carried[:full], summary, lane):
            summary.retrying += len(carried) - full + max(0, len(refs) - start - PUSH_CHUNK)
            break
        carried = carried[full:]
    else:
        await _write(ctx, tenant, carried, summary, lane)
    summary.calls = ctx.calls.total - before
    return summary


async def _plan_chunk(
    ctx: EngineContext,
    tenant: TenantRef,
    refs: list[str],
    summary: PushSummary,
    lane: Lane,
    into: list[PlannedWrite],
    *,
    read: bool,
) -> bool:
    """Check, skip and plan one chunk into `into` (reading the directory first if `read`).

    False when no learner of the chunk needed the directory. The chunk's candidates end with
    this call and only the planned writes outlive it: one chunk's learners are in memory.
    """
    async with ctx.store.batch():
        candidates = await build_candidates(ctx, tenant.tenant_id, refs, summary)
        candidates = await skip_unchanged(ctx, tenant.tenant_id, candidates, summary)
    if not candidates:
        return False
    if read:
        refreshed = await refresh_directory(ctx, tenant, lane=lane)
        if refreshed.relinked:  # a merge in Xero moved links read before the read
            candidates = await refresh_links(ctx, tenant.tenant_id, candidates)
    async with ctx.store.batch():
        into.extend((await _plan(ctx, tenant.tenant_id, candidates, summary)).writes)
    return True


async def _write(
    ctx: EngineContext,
    tenant: TenantRef,
    writes: list[PlannedWrite],
    summary: PushSummary,
    lane: Lane,
) -> bool:
    """Send planned writes in batches; False when an error stopped the push (the rest retry)."""
    size = ctx.settings.batch_size
    for start in range(0, len(writes), size):
        batch = writes[start : start + size]
        scope = _scope(tenant.tenant_id, batch)
        async with ctx.store.transaction() as conn:
            await jobs.begin_attempts(
                conn,
                tenant.tenant_id,
                JOB_KIND,
                [w.ref for w in batch],
                scope,
                {
                    w.ref: {"hash": w.content_hash, "contact_id": w.decision.contact_id}
                    for w in batch
                },
            )
        results = await ctx.xero.upsert_contacts(
            [w.contact for w in batch], tenant=tenant, lane=lane, idempotency_scope=scope
        )
        stop = await apply_results(ctx, tenant.tenant_id, batch, results, summary)
        if stop is not None:
            summary.stopped_by = str(stop)
            log.warning("push to %s stopped: %s", tenant.tenant_id, stop)
            if isinstance(stop, XeroAuthError):
                raise stop
            summary.retrying += max(0, len(writes) - start - size)
            return False
    return True
