"""Create documents in Xero exactly once, through the document outbox.

For one tenant and one document kind, `DocumentSender.flush` first reconciles documents left in
doubt (a crash or lost answer after their batch was marked 'sending'): each is looked up in
Xero by its key and is either done (its ID recorded) or pending again. Then pending documents
go out in batches of at most 50: the batch and its idempotency scope are committed before the
request, and each document's result is recorded after it. A stream (e.g. ConnectWise invoices)
calls `submit` with (record ref, draft) pairs and `flush` per kind; rejected documents carry
Xero's messages for an alert and `r` (`retry_now`) sends a corrected one again.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from xerowatch.store import document_outbox as outbox
from xerowatch.store.db import Store
from xerowatch.xero.batching import MAX_BATCH_ITEMS
from xerowatch.xero.document_reads import DocumentReader
from xerowatch.xero.documents import ROUTES, DocumentWriter
from xerowatch.xero.errors import XeroError, XeroResponseError
from xerowatch.xero.models_documents import (
    CreditNoteDraft,
    DocumentKind,
    DocumentResult,
    Draft,
    InvoiceDraft,
    ManualJournalDraft,
    PurchaseOrderDraft,
    identity_key,
    kind_of,
)
from xerowatch.xero.quota import Lane
from xerowatch.xero.transport import TenantRef
from xerowatch.xero.write_results import WriteStatus

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
_MODELS: dict[DocumentKind, type[Draft]] = {
    DocumentKind.INVOICE: InvoiceDraft,
    DocumentKind.CREDIT_NOTE: CreditNoteDraft,
    DocumentKind.PURCHASE_ORDER: PurchaseOrderDraft,
    DocumentKind.MANUAL_JOURNAL: ManualJournalDraft,
}


@dataclass
class FlushSummary:
    """What one flush of one kind did."""

    reconciled_found: int = 0
    """In-doubt documents found in Xero (recorded as done, not resent)."""
    reconciled_missing: int = 0
    """In-doubt documents Xero does not have (sent again)."""
    created: int = 0
    rejected: int = 0
    in_doubt: int = 0
    """Documents whose outcome is unknown after this flush (looked up next time)."""
    totals_differ: list[str] = field(default_factory=list)
    """Keys created with totals that differ from the draft's (alert; the document exists)."""
    ambiguous: list[str] = field(default_factory=list)
    """Keys Xero holds more than once (alert; nothing is sent for them)."""
    stopped_by: XeroError | None = None
    """The error that stopped the flush (auth, rate limit, outage), if any."""


class DocumentSender:
    """The exactly-once path from drafts to Xero documents for any stream."""

    def __init__(
        self,
        store: Store,
        writer: DocumentWriter,
        reader: DocumentReader,
        *,
        batch_size: int = MAX_BATCH_ITEMS,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        if not 1 <= batch_size <= MAX_BATCH_ITEMS:
            raise ValueError(f"batch_size must be 1-{MAX_BATCH_ITEMS}")
        self._store = store
        self._writer = writer
        self._reader = reader
        self._batch_size = batch_size
        self._max_attempts = max_attempts

    async def submit(self, tenant_id: str, items: Sequence[tuple[str, Draft]]) -> None:
        """Record (record ref, draft) pairs in the outbox; nothing is sent until `flush`."""
        by_kind: dict[DocumentKind, list[outbox.DocumentIntent]] = {}
        for record_ref, draft in items:
            intent = outbox.DocumentIntent(identity_key(draft), record_ref, draft.to_xero_write())
            by_kind.setdefault(kind_of(draft), []).append(intent)
        for kind, intents in by_kind.items():
            await outbox.enqueue(self._store, tenant_id, kind.value, intents)

    async def flush(
        self, tenant: TenantRef, kind: DocumentKind, *, lane: Lane = Lane.INCREMENTAL
    ) -> FlushSummary:
        """Reconcile documents in doubt, then send every pending one of `kind`."""
        summary = FlushSummary()
        try:
            await self.reconcile(tenant, kind, summary, lane=lane)
        except XeroError as exc:
            summary.stopped_by = exc
            return summary
        while summary.stopped_by is None:
            rows = await outbox.pending(self._store, tenant.tenant_id, kind.value, self._batch_size)
            if not rows:
                break
            await self._send(tenant, kind, rows, summary, lane)
        return summary

    async def reconcile(
        self,
        tenant: TenantRef,
        kind: DocumentKind,
        summary: FlushSummary | None = None,
        *,
        lane: Lane = Lane.INCREMENTAL,
    ) -> FlushSummary:
        """Settle documents left 'sending' by looking them up in Xero by key (no writes)."""
        summary = summary or FlushSummary()
        doubtful = await outbox.in_doubt(self._store, tenant.tenant_id, kind.value)
        if not doubtful:
            return summary
        drafts = [self._draft(kind, row) for row in doubtful]
        found = await self._reader.find(drafts, tenant=tenant, lane=lane)
        settlements = []
        for row in doubtful:
            ids = found.get(row.key, [])
            if len(ids) == 1:
                settlements.append(outbox.Settlement(row.key, "done", xero_id=str(ids[0])))
                summary.reconciled_found += 1
            elif len(ids) > 1:
                message = f"Xero holds {len(ids)} documents with key {row.key!r}; resolve in Xero"
                settlements.append(outbox.Settlement(row.key, "dead", error=message))
                summary.ambiguous.append(row.key)
            else:
                settlements.append(self._again(row, "not in Xero after an unanswered attempt"))
                summary.reconciled_missing += 1
        await outbox.settle(self._store, tenant.tenant_id, kind.value, settlements)
        log.info(
            "reconciled %d %s document(s) in doubt for %s: %d found, %d to resend",
            len(doubtful),
            kind.value,
            tenant.tenant_id,
            summary.reconciled_found,
            summary.reconciled_missing,
        )
        return summary

    def _again(self, row: outbox.OutboxDocument, why: str) -> outbox.Settlement:
        if row.attempts >= self._max_attempts:
            return outbox.Settlement(row.key, "dead", error=f"{why}; gave up after {row.attempts}")
        return outbox.Settlement(row.key, "pending", error=why)

    def _draft(self, kind: DocumentKind, row: outbox.OutboxDocument) -> Draft:
        return _MODELS[kind].model_validate(row.payload)

    async def _send(
        self,
        tenant: TenantRef,
        kind: DocumentKind,
        rows: list[outbox.OutboxDocument],
        summary: FlushSummary,
        lane: Lane,
    ) -> None:
        drafts: list[Draft] = []
        bad: list[outbox.Settlement] = []
        sent_rows: list[outbox.OutboxDocument] = []
        for row in rows:
            try:
                drafts.append(self._draft(kind, row))
                sent_rows.append(row)
            except ValueError as exc:  # a stored payload that no longer validates
                bad.append(outbox.Settlement(row.key, "rejected", error=str(exc)))
                summary.rejected += 1
        if bad:
            await outbox.settle(self._store, tenant.tenant_id, kind.value, bad)
        if not drafts:
            return
        scope = f"doc-{kind.value}-{uuid.uuid4().hex}"
        keys = [row.key for row in sent_rows]
        await outbox.begin_batch(self._store, tenant.tenant_id, kind.value, keys, scope)
        results = await self._writer.write(ROUTES[kind], drafts, tenant, lane, scope)
        settlements = [
            self._settlement(row, r, summary) for row, r in zip(sent_rows, results, strict=True)
        ]
        await outbox.settle(self._store, tenant.tenant_id, kind.value, settlements)

    def _settlement(
        self, row: outbox.OutboxDocument, result: DocumentResult, summary: FlushSummary
    ) -> outbox.Settlement:
        if result.status is WriteStatus.OK:
            summary.created += 1
            if result.totals_differ:
                summary.totals_differ.append(row.key)
            return outbox.Settlement(
                row.key,
                "done",
                xero_id=str(result.xero_id),
                total=str(result.total) if result.total is not None else None,
                error=result.totals_differ,
            )
        if result.status is WriteStatus.REJECTED:
            summary.rejected += 1
            return outbox.Settlement(row.key, "rejected", error="; ".join(result.messages))
        if result.status is WriteStatus.NOT_SENT:
            summary.stopped_by = summary.stopped_by or result.error
            return outbox.Settlement(
                row.key, "pending", error=str(result.error), spend_attempt=False
            )
        # FAILED: the request may have been applied; stay in doubt until a reconcile looks.
        # A transport error (outage, auth) stops the flush; an unusable answer does not.
        summary.in_doubt += 1
        if not isinstance(result.error, XeroResponseError):
            summary.stopped_by = summary.stopped_by or result.error
        return outbox.Settlement(row.key, "sending", error=str(result.error))
