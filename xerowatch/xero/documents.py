"""Batch writers for documents: invoices and bills, credit notes, purchase orders, journals.

Each call sends its drafts in requests of at most 50 (and 3.5 MB) with `summarizeErrors=false`
and an Idempotency-Key derived from the request and the caller's `idempotency_scope` (e.g. an
outbox batch's scope), through the injected transport (so the quota scheduler and retries
apply). It returns one `DocumentResult` per draft, in input order: one bad draft never blocks
the others. After an error that is not about the data (auth, rate limit, outage) the remaining
requests are not sent (NOT_SENT) — the caller retries them later.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from xerowatch.xero.batching import plan_batches
from xerowatch.xero.client import Transport
from xerowatch.xero.document_answers import read_element, rejected_by_request
from xerowatch.xero.errors import XeroError, XeroResponseError, XeroValidationError
from xerowatch.xero.idempotency import derive_key
from xerowatch.xero.models_documents import (
    CENT,
    CreditNoteDraft,
    DocumentKind,
    DocumentResult,
    Draft,
    InvoiceDraft,
    ManualJournalDraft,
    PurchaseOrderDraft,
    draft_key,
)
from xerowatch.xero.quota import Lane
from xerowatch.xero.transport import TenantRef
from xerowatch.xero.write_results import WriteStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Route:
    """Where one document kind is written and how its answer is read."""

    kind: DocumentKind
    method: str
    path: str
    collection: str
    params: Mapping[str, str]


INVOICES = Route(
    DocumentKind.INVOICE,
    "POST",
    "/Invoices",
    "Invoices",
    {"summarizeErrors": "false", "unitdp": "4"},
)
# POST creates (or updates by PurchaseOrderID); /PurchaseOrders takes no unitdp, so unit
# amounts are sent at 2 dp (drafts with more are refused before sending)
PURCHASE_ORDERS = Route(
    DocumentKind.PURCHASE_ORDER,
    "POST",
    "/PurchaseOrders",
    "PurchaseOrders",
    {"summarizeErrors": "false"},
)
MANUAL_JOURNALS = Route(
    DocumentKind.MANUAL_JOURNAL,
    "PUT",
    "/ManualJournals",
    "ManualJournals",
    {"summarizeErrors": "false"},
)
# PUT is the spec's createCreditNotes (POST is updateOrCreate); both take summarizeErrors,
# unitdp and an Idempotency-Key
CREDIT_NOTES = Route(
    DocumentKind.CREDIT_NOTE,
    "PUT",
    "/CreditNotes",
    "CreditNotes",
    {"summarizeErrors": "false", "unitdp": "4"},
)
ROUTES = {route.kind: route for route in (INVOICES, CREDIT_NOTES, PURCHASE_ORDERS, MANUAL_JOURNALS)}


class DocumentWriter:
    """Creates documents in Xero in batches, answering per draft."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def create_invoices(
        self,
        drafts: Sequence[InvoiceDraft],
        *,
        tenant: TenantRef,
        lane: Lane = Lane.INCREMENTAL,
        idempotency_scope: str | None = None,
    ) -> list[DocumentResult]:
        """Create sales invoices and bills (POST /Invoices?summarizeErrors=false&unitdp=4)."""
        return await self.write(INVOICES, drafts, tenant, lane, idempotency_scope)

    async def create_credit_notes(
        self,
        drafts: Sequence[CreditNoteDraft],
        *,
        tenant: TenantRef,
        lane: Lane = Lane.INCREMENTAL,
        idempotency_scope: str | None = None,
    ) -> list[DocumentResult]:
        """Create credit notes (PUT /CreditNotes?summarizeErrors=false&unitdp=4)."""
        return await self.write(CREDIT_NOTES, drafts, tenant, lane, idempotency_scope)

    async def create_purchase_orders(
        self,
        drafts: Sequence[PurchaseOrderDraft],
        *,
        tenant: TenantRef,
        lane: Lane = Lane.INCREMENTAL,
        idempotency_scope: str | None = None,
    ) -> list[DocumentResult]:
        """Create purchase orders (POST /PurchaseOrders?summarizeErrors=false)."""
        return await self.write(PURCHASE_ORDERS, drafts, tenant, lane, idempotency_scope)

    async def create_manual_journals(
        self,
        drafts: Sequence[ManualJournalDraft],
        *,
        tenant: TenantRef,
        lane: Lane = Lane.INCREMENTAL,
        idempotency_scope: str | None = None,
    ) -> list[DocumentResult]:
        """Create manual journals (PUT /ManualJournals?summarizeErrors=false)."""
        return await self.write(MANUAL_JOURNALS, drafts, tenant, lane, idempotency_scope)

    async def write(
        self,
        route: Route,
        drafts: Sequence[Draft],
        tenant: TenantRef,
        lane: Lane,
        scope: str | None,
    ) -> list[DocumentResult]:
        """Send `drafts` of one kind along `route`; one result per draft, in input order."""
        results: dict[int, DocumentResult] = {}
        bodies: list[dict[str, Any]] = []
        sendable: list[int] = []
        for index, draft in enumerate(drafts):
            problem = _local_problem(route, draft)
            if problem is None:
                try:
                    bodies.append(draft.to_xero_write())
                    sendable.append(index)
                    continue
                except (ValueError, ValidationError) as exc:
                    problem = str(exc)
            results[index] = _result(drafts, index, WriteStatus.REJECTED, messages=(problem,))
        plan = plan_batches(bodies, collection=route.collection)
        for position, reason in plan.oversized.items():
            index = sendable[position]
            results[index] = _result(drafts, index, WriteStatus.REJECTED, messages=(reason,))
        stop: XeroError | None = None
        for chunk in plan.chunks:
            indexes = [sendable[position] for position in chunk.indexes]
            if stop is not None:
                for index in indexes:
                    results[index] = _result(drafts, index, WriteStatus.NOT_SENT, error=stop)
                continue
            body = {route.collection: list(chunk.elements)}
            try:
                response = await self._transport.request(
                    route.method,
                    route.path,
                    tenant=tenant,
                    lane=lane,
                    params=route.params,
                    json=body,
                    idempotency_key=derive_key(
                        tenant_id=tenant.tenant_id,
                        method=route.method,
                        path=route.path,
                        params=route.params,
                        body=body,
                        scope=scope,
                    ),
                )
            except XeroValidationError as exc:
                results.update(_from_request_error(drafts, indexes, exc))
                continue
            except XeroError as exc:
                stop = exc
                for index in indexes:
                    results[index] = _result(drafts, index, WriteStatus.FAILED, error=exc)
                continue
            answered = _from_answer(route, drafts, indexes, response.body)
            for index, result in answered.items():
                results[index] = replace(result, correlation_id=response.correlation_id)
        ordered = [results[index] for index in range(len(drafts))]
        counts = {status: sum(r.status is status for r in ordered) for status in WriteStatus}
        log.info(
            "%s %s for tenant %s: %s",
            route.method,
            route.path,
            tenant.tenant_id,
            ", ".join(f"{count} {status}" for status, count in counts.items() if count),
        )
        return ordered


def _local_problem(route: Route, draft: Draft) -> str | None:
    """Why a draft cannot go along this route, checked before anything is sent."""
    expected = {
        DocumentKind.INVOICE: InvoiceDraft,
        DocumentKind.CREDIT_NOTE: CreditNoteDraft,
        DocumentKind.PURCHASE_ORDER: PurchaseOrderDraft,
        DocumentKind.MANUAL_JOURNAL: ManualJournalDraft,
    }[route.kind]
    if not isinstance(draft, expected):
        return f"a {type(draft).__name__} cannot be sent to {route.path}"
    if isinstance(draft, PurchaseOrderDraft):
        for line in draft.line_items:
            if line.unit_amount is not None and line.unit_amount != line.unit_amount.quantize(CENT):
                return (
                    f"purchase order unit amount {line.unit_amount} has more than 2 decimal "
                    "places (/PurchaseOrders takes no unitdp); round it or send a LineAmount"
                )
    return None


def _result(
    drafts: Sequence[Draft],
    index: int,
    status: WriteStatus,
    *,
    xero_id: UUID | None = None,
    messages: tuple[str, ...] = (),
    error: XeroError | None = None,
) -> DocumentResult:
    return DocumentResult(
        index=index,
        key=draft_key(drafts[index]),
        status=status,
        xero_id=xero_id,
        messages=messages,
        error=error,
    )


def _from_request_error(
    drafts: Sequence[Draft], indexes: list[int], exc: XeroValidationError
) -> dict[int, DocumentResult]:
    """A whole request answered 400: REJECTED where an element names one draft, else FAILED."""
    named = rejected_by_request([draft_key(drafts[i]) for i in indexes], exc)
    results: dict[int, DocumentResult] = {}
    for position, index in enumerate(indexes):
        messages = named.get(position)
        if messages:
            results[index] = replace(
                _result(drafts, index, WriteStatus.REJECTED, messages=messages, error=exc),
                correlation_id=exc.correlation_id,
            )
        else:
            results[index] = _result(drafts, index, WriteStatus.FAILED, error=exc)
    return results


def _from_answer(
    route: Route, drafts: Sequence[Draft], indexes: list[int], body: Any
) -> dict[int, DocumentResult]:
    """Map a `summarizeErrors=false` answer back to the drafts, element by element."""
    raw = body.get(route.collection) if isinstance(body, Mapping) else None
    if not isinstance(raw, list) or len(raw) != len(indexes):
        got = len(raw) if isinstance(raw, list) else "no"
        error = XeroResponseError(
            f"{route.method} {route.path}: sent {len(indexes)}, got {got} back"
        )
        return {i: _result(drafts, i, WriteStatus.FAILED, error=error) for i in indexes}
    return {
        index: replace(read_element(route.kind, drafts[index], element), index=index)
        for index, element in zip(indexes, raw, strict=True)
    }
