"""Source → store: changed learners are validated, hashed, stored and queued for their tenants."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field

from xerowatch.records import SourceLearner
from xerowatch.source.port import LearnerBatch, SourcePort
from xerowatch.store import alerts, cursors, learners, links
from xerowatch.store.db import Store
from xerowatch.store.history import HistoryEntry, add_entries
from xerowatch.sync.mapping import contact_hash, to_contact
from xerowatch.sync.validation import Problem, ValidLearner, validate

log = logging.getLogger(__name__)

SOURCE_CURSOR = "source.learners"
VALIDATION_ALERT = "learner_invalid"
SOURCE_PROBLEM_ALERT = "source_record_unreadable"
TEXT_CLEANED_ALERT = "learner_text_cleaned"


@dataclass
class IngestSummary:
    """What one pass over the source changed."""

    seen: int = 0
    changed: int = 0
    invalid: int = 0
    skipped: int = 0
    deleted: int = 0
    problems: int = 0
    refs_changed: list[str] = field(default_factory=list)


def learner_hash(learner: SourceLearner) -> tuple[str, list[Problem]]:
    """Hash of the contact a learner maps to (or of its data while it is invalid)."""
    content, _, problems = _checked(learner)
    return content, problems


def _checked(learner: SourceLearner) -> tuple[str, ValidLearner | None, list[Problem]]:
    valid, problems = validate(learner)
    if valid is not None:
        content = contact_hash(to_contact(valid))
        if valid.cleaned:  # so that fixing the source is a change (it resolves the alert)
            detail = hashlib.sha256(valid.cleaned_detail.encode("utf-8")).hexdigest()[:16]
            content = f"{content}+cleaned:{detail}"
        return content, valid, []
    raw = learner.model_dump_json(exclude={"modified_at"})
    return "invalid:" + hashlib.sha256(raw.encode("utf-8")).hexdigest(), None, problems


def describe(problems: list[Problem]) -> tuple[str, str]:
    """One alert message and fix for a learner's problems."""
    message = "; ".join(dict.fromkeys(p.message for p in problems))
    fixes = list(dict.fromkeys(p.fix for p in problems))
    return message, "; ".join(fixes)


async def apply_learner(
    store: Store, learner: SourceLearner, tenants: list[str], summary: IngestSummary
) -> None:
    """Store one learner and queue (or park) its contact in every tenant if it changed."""
    summary.seen += 1
    content, valid, problems = _checked(learner)
    change = await learners.upsert_learner(store, learner, content)
    if not change.changed:
        return
    summary.changed += 1
    summary.refs_changed.append(learner.ref_internal)
    ref = learner.ref_internal
    if change.previous_ref is not None:
        await _requeue_remaining_holders(store, change.previous_ref, tenants)
    if not learner.sync_to_xero:
        summary.skipped += 1
        for tenant in tenants:
            await links.mark(store, tenant, ref, learner.source_id, "skipped")
        await alerts.resolve_alerts(store, record=ref)
        return
    if problems:
        summary.invalid += 1
        message, fix = describe(problems)
        await alerts.raise_alert(store, VALIDATION_ALERT, message, fix=fix, record=ref)
        for tenant in tenants:
            await links.mark(store, tenant, ref, learner.source_id, "invalid", error=message)
        async with store.transaction() as conn:
            await add_entries(
                conn,
                [
                    HistoryEntry(ref, "validate", "error", "from_source", message=message),
                ],
            )
        return
    await _alert_cleaned(store, ref, valid)
    for tenant in tenants:
        await links.mark_many_pending(store, tenant, [(ref, learner.source_id)])


async def _alert_cleaned(store: Store, ref: str, valid: ValidLearner | None) -> None:
    """Resolve its validation alert; name the fields whose control characters mapping removed."""
    if valid is None or not valid.cleaned:  # one statement resolves both
        await alerts.resolve_alerts(store, record=ref, types=(VALIDATION_ALERT, TEXT_CLEANED_ALERT))
        return
    await alerts.resolve_alerts(store, record=ref, types=(VALIDATION_ALERT,))
    await alerts.raise_alert(
        store,
        TEXT_CLEANED_ALERT,
        f"Invisible control or bidi-override characters removed before syncing to Xero: "
        f"{valid.cleaned_detail}",
        fix="Retype these fields in the learner's record in the source system (the contact is "
        "synced without the characters meanwhile)",
        record=ref,
    )


async def _requeue_remaining_holders(store: Store, ref: str, tenants: list[str]) -> None:
    """A learner left `ref`: one still holding it is written again (it is no longer shared)."""
    holder = await learners.get_by_ref(store, ref)
    if holder is None or holder.deleted_at is not None:
        return  # nobody holds it: the push renumbers the contact to the learner's new RefInternal
    for tenant in tenants:
        await links.mark_many_pending(store, tenant, [(ref, holder.learner.source_id)])


async def apply_batch(
    store: Store, batch: LearnerBatch, tenants: list[str], summary: IngestSummary
) -> None:
    """Apply one page of source changes and its cursor in one transaction (one fsync)."""
    async with store.batch():
        await _apply_page(store, batch, tenants, summary)


async def _apply_page(
    store: Store, batch: LearnerBatch, tenants: list[str], summary: IngestSummary
) -> None:
    for learner in batch.learners:
        await apply_learner(store, learner, tenants, summary)
    for problem in batch.problems:
        summary.problems += 1
        await alerts.raise_alert(
            store,
            SOURCE_PROBLEM_ALERT,
            problem.message,
            fix="Correct the record in the source system; the rest was imported",
            record=problem.record,
        )
    summary.deleted += await learners.mark_deleted(store, batch.deleted_source_ids)
    if batch.cursor is not None:
        await cursors.set_cursor(store, SOURCE_CURSOR, batch.cursor)


async def ingest(store: Store, source: SourcePort, tenants: list[str]) -> IngestSummary:
    """Read every change since the stored cursor and queue what changed."""
    summary = IngestSummary()
    cursor = await cursors.get_cursor(store, SOURCE_CURSOR)
    async for batch in source.changed_learners(cursor):
        await apply_batch(store, batch, tenants, summary)
    if summary.changed:
        log.info(
            "source: %d seen, %d changed, %d invalid",
            summary.seen,
            summary.changed,
            summary.invalid,
        )
    return summary
