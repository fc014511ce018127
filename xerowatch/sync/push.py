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

from xerowatch.store import alerts, directory, jobs, learners, links
from xerowatch.store.directory import name_key
from xerowatch.store.history import HistoryEntry, add_entries
from xerowatch.sync import identity
from xerowatch.sync.context import EngineContext
from xerowatch.sync.directory_sync import refresh_directory
from xerowatch.sync.ingest import VALIDATION_ALERT, describe
from xerowatch.sync.mapping import contact_hash, to_contact
from xerowatch.sync.matching import REJECTED_ALERT, Decision, decide, person_key
from xerowatch.sync.push_results import JOB_KIND, PlannedWrite, PushSummary, apply_results
from xerowatch.sync.validation import ValidLearner, validate
from xerowatch.xero.errors import XeroAuthError
from xerowatch.xero.models import ContactStatus
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


async def _due_refs(ctx: EngineContext, tenant_id: str) -> list[str]:
    """Pending learners, minus those whose job waits for a later retry."""
    pending = await links.pending_refs(ctx.store, tenant_id)
    if not pending:
        return []
    now = ctx.clock.now().isoformat()
    waiting = {
        job.key
        for job in await jobs.failed_jobs(ctx.store)
        if job.tenant_id == tenant_id
        and job.kind == JOB_KIND
        and job.state == "retry"
        and (job.next_attempt_at or "") > now
    }
    return [ref for ref in pending if ref not in waiting]


async def _validate_pending(
    ctx: EngineContext, tenant_id: str, refs: list[str], summary: PushSummary
) -> dict[str, ValidLearner]:
    """Check the due learners (no calls): the invalid ones alert, the rest go on."""
    store = ctx.store
    stored = await learners.get_many_by_ref(store, refs)
    current = await links.links_by_ref(store, tenant_id, refs)
    shared = await identity.shared_refs(store, refs)
    valid_by_ref: dict[str, ValidLearner] = {}
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
        valid_by_ref[ref] = valid
    return valid_by_ref


async def _skip_unchanged(
    ctx: EngineContext, tenant_id: str, valid_by_ref: dict[str, ValidLearner], summary: PushSummary
) -> dict[str, ValidLearner]:
    """Learners whose contact already holds exactly this content need no directory read.

    Not when a write of theirs is in doubt or failed: Xero may hold that content instead.
    """
    refs = list(valid_by_ref)
    current = await links.links_by_ref(ctx.store, tenant_id, refs)
    unsettled = await jobs.unsettled_keys(ctx.store, tenant_id, JOB_KIND, refs)
    due: dict[str, ValidLearner] = {}
    for ref, valid in valid_by_ref.items():
        link = current.get(ref)
        if link is None or link.contact_id is None or ref in unsettled:
            due[ref] = valid
            continue
        content = contact_hash(to_contact(valid))
        if link.synced_hash != content:
            due[ref] = valid
            continue
        async with ctx.store.transaction() as conn:
            await links.record_synced(
                conn, tenant_id, ref, valid.learner.source_id, link.contact_id, content
            )
        summary.unchanged += 1
    return due


async def _plan(
    ctx: EngineContext, tenant_id: str, valid_by_ref: dict[str, ValidLearner], summary: PushSummary
) -> _Plan:
    """Match valid learners against the (fresh) directory and decide each write."""
    store = ctx.store
    refs = list(valid_by_ref)
    current = await links.links_by_ref(store, tenant_id, refs)
    numbered = await directory.by_number(store, tenant_id, refs)
    keys = [name_key(v.name) for v in valid_by_ref.values()]
    keys += [person_key(v) for v in valid_by_ref.values()]
    named = await directory.by_name_keys(store, tenant_id, keys)
    renamed = await identity.previous_contacts(store, tenant_id, valid_by_ref, current)
    unsettled = await jobs.unsettled_keys(store, tenant_id, JOB_KIND, refs)
    plan = _Plan()
    for ref, valid in valid_by_ref.items():
        link = current.get(ref)
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
            await _block(ctx, tenant_id, ref, valid.learner.source_id, decision)
            summary.blocked += 1
            continue
        contact = to_contact(valid, decision.contact_id)
        if decision.action == "reactivate":
            contact = contact.model_copy(update={"contact_status": ContactStatus.ACTIVE})
        content = contact_hash(contact)
        if (
            link is not None
            and ref not in unsettled
            and decision.contact_id is not None
            and link.contact_id == decision.contact_id
            and link.synced_hash == content
        ):
            async with store.transaction() as conn:
                await links.record_synced(
                    conn, tenant_id, ref, valid.learner.source_id, decision.contact_id, content
                )
            summary.unchanged += 1
            continue
        plan.writes.append(PlannedWrite(ref, valid.learner.source_id, contact, content, decision))
    return plan


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
    refs = await _due_refs(ctx, tenant.tenant_id)
    before = ctx.calls.total
    directory_read = False
    carried: list[PlannedWrite] = []
    for start in range(0, len(refs), PUSH_CHUNK):
        valid = await _validate_pending(
            ctx, tenant.tenant_id, refs[start : start + PUSH_CHUNK], summary
        )
        valid = await _skip_unchanged(ctx, tenant.tenant_id, valid, summary)
        if not valid:
            continue
        if not directory_read:
            await refresh_directory(ctx, tenant, lane=lane)
            directory_read = True
        carried.extend((await _plan(ctx, tenant.tenant_id, valid, summary)).writes)
        full = len(carried) - len(carried) % ctx.settings.batch_size
        if not await _write(ctx, tenant, carried[:full], summary, lane):
            summary.retrying += len(carried) - full + max(0, len(refs) - start - PUSH_CHUNK)
            break
        carried = carried[full:]
    else:
        await _write(ctx, tenant, carried, summary, lane)
    summary.calls = ctx.calls.total - before
    return summary


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
