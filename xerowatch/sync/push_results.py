"""The outcome of a contact batch, committed: links, directory, history, alerts and retries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from xerowatch.store import alerts, directory, jobs, links
from xerowatch.store.directory import DirectoryContact
from xerowatch.store.history import HistoryEntry, Outcome, add_entries, digest
from xerowatch.store.transactions import LearnerRef, match_contacts
from xerowatch.sync.context import EngineContext
from xerowatch.sync.matching import (
    ARCHIVED_ALERT,
    DUPLICATE_NAME_ALERT,
    PUSH_DEAD_ALERT,
    REJECTED_ALERT,
    Decision,
    classify_rejection,
)
from xerowatch.xero.errors import XeroAuthError, XeroError, XeroRateLimited
from xerowatch.xero.models import Contact
from xerowatch.xero.write_results import ContactWriteResult, WriteStatus

JOB_KIND = "contact"
CONTACT_ALERTS = (DUPLICATE_NAME_ALERT, ARCHIVED_ALERT, REJECTED_ALERT, PUSH_DEAD_ALERT)


@dataclass
class PushSummary:
    """What one push did in one tenant."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    blocked: int = 0
    retrying: int = 0
    calls: int = 0
    stopped_by: str | None = None


@dataclass(frozen=True)
class PlannedWrite:
    """One contact to send, and why."""

    ref: str
    source_id: str
    contact: Contact
    content_hash: str
    decision: Decision


async def apply_results(
    ctx: EngineContext,
    tenant_id: str,
    batch: Sequence[PlannedWrite],
    results: list[ContactWriteResult],
    summary: PushSummary,
) -> XeroError | None:
    """Commit the outcome of one batch; return the error that should stop the push, if any.

    Links, jobs, history, alerts and retries of the batch land in one transaction (one fsync).
    """
    async with ctx.store.batch():
        return await _apply(ctx, tenant_id, batch, results, summary)


async def _apply(
    ctx: EngineContext,
    tenant_id: str,
    batch: Sequence[PlannedWrite],
    results: list[ContactWriteResult],
    summary: PushSummary,
) -> XeroError | None:
    stop: XeroError | None = None
    history: list[HistoryEntry] = []
    saved: list[DirectoryContact] = []
    owners: dict[str, LearnerRef] = {}
    retry: list[tuple[PlannedWrite, XeroError]] = []
    held: list[PlannedWrite] = []
    rejected: list[tuple[PlannedWrite, tuple[str, ...]]] = []
    async with ctx.store.transaction() as conn:
        for write, result in zip(batch, results, strict=True):
            sent = digest(write.contact.to_xero())
            if result.status is WriteStatus.OK and result.contact and result.contact.contact_id:
                contact_id = str(result.contact.contact_id)
                await links.record_synced(
                    conn, tenant_id, write.ref, write.source_id, contact_id, write.content_hash
                )
                await jobs.finish(conn, tenant_id, JOB_KIND, [write.ref])
                await links.drop_replaced(conn, tenant_id, write.ref, write.source_id, contact_id)
                owners[contact_id] = LearnerRef(write.ref, write.source_id)
                saved.append(
                    DirectoryContact(
                        tenant_id,
                        contact_id,
                        write.ref,
                        write.contact.name or "",
                        "ACTIVE",
                        None,
                    )
                )
                created = write.decision.contact_id is None
                summary.created += int(created)
                summary.updated += int(not created)
                action = "create" if created else (write.decision.action or "update")
                history.append(
                    HistoryEntry(
                        write.ref,
                        action,
                        "ok",
                        "to_xero",
                        tenant_id,
                        f"contact {contact_id}",
                        http_status=200,
                        correlation_id=result.correlation_id,
                        payload_digest=sent,
                    )
                )
            elif result.status is WriteStatus.REJECTED:
                rejected.append((write, result.messages))
                await jobs.drop(conn, tenant_id, JOB_KIND, [write.ref])
                history.append(
                    HistoryEntry(
                        write.ref,
                        "write",
                        "error",
                        "to_xero",
                        tenant_id,
                        "; ".join(result.messages),
                        http_status=400 if result.error else 200,
                        correlation_id=result.correlation_id
                        or (result.error.correlation_id if result.error else None),
                        payload_digest=sent,
                    )
                )
            else:
                error = result.error or XeroError("no answer for this contact")
                if isinstance(error, XeroAuthError):
                    # The connection's fault, not the contact's: spend no attempt, go on once
                    # the token works again (one `xero_auth` alert, raised by the caller).
                    held.append(write)
                    await jobs.hold(conn, tenant_id, JOB_KIND, [write.ref], error=str(error))
                else:
                    retry.append((write, error))
                if isinstance(error, XeroAuthError | XeroRateLimited):
                    stop = error
        if saved:
            await directory.upsert_contacts(conn, saved)
            # Transactions pulled before the link existed (a lost answer, an adopted contact).
            await match_contacts(conn, tenant_id, owners)
        await add_entries(conn, history)
    for write, messages in rejected:
        alert_type, fix = classify_rejection(messages)
        await alerts.raise_alert(
            ctx.store,
            alert_type,
            "; ".join(messages),
            fix=fix,
            record=write.ref,
            tenant_id=tenant_id,
        )
        await links.mark(
            ctx.store, tenant_id, write.ref, write.source_id, "blocked", error="; ".join(messages)
        )
        summary.rejected += 1
    for write in batch:
        if any(write is w for w, _ in retry + rejected) or any(write is w for w in held):
            continue
        await alerts.resolve_alerts(
            ctx.store, record=write.ref, tenant_id=tenant_id, types=CONTACT_ALERTS
        )
        if write.decision.warn_type:
            await alerts.raise_alert(
                ctx.store,
                write.decision.warn_type,
                write.decision.message,
                fix=write.decision.fix,
                record=write.ref,
                tenant_id=tenant_id,
            )
    await schedule_retries(ctx, tenant_id, retry, summary)
    return stop


async def schedule_retries(
    ctx: EngineContext,
    tenant_id: str,
    failed: list[tuple[PlannedWrite, XeroError]],
    summary: PushSummary,
) -> None:
    """Transient failures: back off and try again; spent attempts go dead with an alert."""
    if not failed:
        return
    now = ctx.clock.now()
    dead: list[tuple[PlannedWrite, XeroError]] = []
    async with ctx.store.transaction() as conn:
        for write, error in failed:
            job = await jobs.get_job(ctx.store, tenant_id, JOB_KIND, write.ref)
            attempts = job.attempts if job else 1
            when: datetime | None
            if isinstance(error, XeroRateLimited) and error.retry_after:
                when = now + timedelta(seconds=error.retry_after)
            else:
                when = ctx.backoff.next_attempt(attempts, now)
            await jobs.schedule_retry(
                conn, tenant_id, JOB_KIND, write.ref, error=str(error), next_attempt_at=when
            )
            outcome: Outcome = "retry" if when is not None else "error"
            await add_entries(
                conn,
                [
                    HistoryEntry(
                        write.ref,
                        "write",
                        outcome,
                        "to_xero",
                        tenant_id,
                        str(error),
                        http_status=error.status,
                        correlation_id=error.correlation_id,
                    )
                ],
            )
            if when is None:
                dead.append((write, error))
            else:
                summary.retrying += 1
    for write, error in dead:
        await links.mark(ctx.store, tenant_id, write.ref, write.source_id, "dead", error=str(error))
        await alerts.raise_alert(
            ctx.store,
            PUSH_DEAD_ALERT,
            f"Gave up writing the contact after repeated failures: {error}",
            fix="Check Xero's status and the connection, then run `xerowatch retry "
            + write.ref
            + "`",
            record=write.ref,
            tenant_id=tenant_id,
        )
