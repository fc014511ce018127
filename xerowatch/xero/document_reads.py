"""Reads the document path needs: tracking categories, payments on given invoices, and finding
documents by number or narration (to reconcile writes left in doubt by a crash)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

from xerowatch.xero.client import Transport, XeroClient
from xerowatch.xero.models_base import XeroModel
from xerowatch.xero.models_contact import Contact as ListedContact
from xerowatch.xero.models_documents import (
    ContactRef,
    CreditNoteDraft,
    CreditNoteKind,
    Draft,
    InvoiceDraft,
    InvoiceKind,
    ManualJournalDraft,
    PurchaseOrderDraft,
    identity_key,
)
from xerowatch.xero.models_saved import (
    SavedManualJournal,
    SavedPurchaseOrder,
    TrackingCategory,
    TrackingStatus,
)
from xerowatch.xero.models_transactions import (
    CreditNote,
    DocumentStatus,
    Invoice,
    Payment,
    PaymentStatus,
)
from xerowatch.xero.paging import (
    CREDIT_NOTES,
    INVOICES,
    MAX_PAGE_SIZE,
    MAX_QUERY_CHARS,
    Endpoint,
    ListQuery,
    iterate_pages,
    parse_page,
    query_chars,
    split_for_url,
)
from xerowatch.xero.quota import Lane
from xerowatch.xero.transport import TenantRef
from xerowatch.xero.where import Where, eq

T = TypeVar("T", bound=XeroModel)

TRACKING = Endpoint("/TrackingCategories", "TrackingCategories", TrackingCategory)
PURCHASE_ORDERS = Endpoint("/PurchaseOrders", "PurchaseOrders", SavedPurchaseOrder)
MANUAL_JOURNALS = Endpoint("/ManualJournals", "ManualJournals", SavedManualJournal)
LOOKUP_PAGE_SIZE = 100
PAYABLE_STATUSES = ("AUTHORISED", "PAID")


class TrackingError(ValueError):
    """A tracking name or option the organisation does not have (or has archived)."""


@dataclass(frozen=True)
class TrackingMap:
    """Active tracking categories by name → their active option names (case-insensitive)."""

    categories: Mapping[str, tuple[str, Mapping[str, str]]]
    """casefolded category name → (Xero's spelling, casefolded option → Xero's spelling)."""

    @classmethod
    def of(cls, categories: Sequence[TrackingCategory]) -> TrackingMap:
        """Build the map from Xero's categories, keeping only ACTIVE ones and options."""
        built: dict[str, tuple[str, Mapping[str, str]]] = {}
        for category in categories:
            if category.status not in (None, TrackingStatus.ACTIVE) or not category.name:
                continue
            options = {
                option.name.casefold(): option.name
                for option in category.options or []
                if option.name and option.status in (None, TrackingStatus.ACTIVE)
            }
            built[category.name.casefold()] = (category.name, options)
        return cls(built)

    def resolve(self, category: str, option: str) -> tuple[str, str]:
        """Return Xero's (Name, Option) spelling, or raise `TrackingError` naming the fix."""
        found = self.categories.get(category.casefold())
        if found is None:
            known = ", ".join(sorted(name for name, _ in self.categories.values())) or "none"
            raise TrackingError(
                f"Xero has no active tracking category {category!r} (it has: {known}); "
                "add it in Xero or change the mapping"
            )
        name, options = found
        spelled = options.get(option.casefold())
        if spelled is None:
            raise TrackingError(
                f"tracking category {name!r} has no active option {option!r}; "
                "add the option in Xero or change the mapping"
            )
        return name, spelled


@dataclass(frozen=True)
class InvoiceSettlement:
    """What has been paid or credited on one invoice, as Xero says now."""

    invoice_id: UUID
    invoice_number: str | None
    status: str | None
    amount_paid: Decimal
    amount_due: Decimal | None
    amount_credited: Decimal
    payments: list[Payment] = field(default_factory=list)
    """Payments that stand (deleted ones left out)."""
    credit_notes: list[CreditNote] = field(default_factory=list)
    """Credit notes allocated to the invoice (these cannot be posted to ConnectWise)."""


@dataclass
class SettlementRead:
    """One read of invoices' payments: what it found, its watermark, and what it cost."""

    found: dict[UUID, InvoiceSettlement]
    mark: datetime | None
    """The newest UpdatedDateUTC that bounds the read: every change it did not see is later."""
    calls: int = 0
    complete: bool = True
    """False when fewer invoices came back than Xero counted (a page shifted under the read)."""


class DocumentReader:
    """Typed reads for the document path; all HTTP goes through the injected transport."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        self._client = XeroClient(transport)

    async def tracking_map(
        self, *, tenant: TenantRef, lane: Lane = Lane.INCREMENTAL
    ) -> TrackingMap:
        """Read the tracking categories (GET /TrackingCategories, one call) into a map."""
        response = await self._transport.request("GET", TRACKING.path, tenant=tenant, lane=lane)
        return TrackingMap.of(parse_page(TRACKING, 1, response.body).items)

    async def settlements(
        self, invoice_ids: Sequence[UUID], *, tenant: TenantRef, lane: Lane = Lane.INCREMENTAL
    ) -> dict[UUID, InvoiceSettlement]:
        """Return payments and credits for these invoices (GET /Invoices?IDs=…, paged).

        Invoice lists carry each invoice's payments, so this costs one call per ~35 IDs rather
        than one per invoice; invoices Xero does not return are absent from the answer.
        """
        return (await self.settlements_by_id(invoice_ids, tenant=tenant, lane=lane)).found

    async def settlements_by_id(
        self, invoice_ids: Sequence[UUID], *, tenant: TenantRef, lane: Lane = Lane.INCREMENTAL
    ) -> SettlementRead:
        """`settlements`, with a watermark: the newest UpdatedDateUTC of the first call's answer.

        Every invoice of a later call was read after that answer, so any change the read did
        not see is newer than it.
        """
        read = SettlementRead({}, None)
        if not invoice_ids:
            return read
        query = ListQuery(ids=list(dict.fromkeys(invoice_ids)), page_size=LOOKUP_PAGE_SIZE)
        first = True
        async for page in self._client.iter_pages(INVOICES, query, tenant=tenant, lane=lane):
            read.calls += 1
            _settle_all(page.items, read.found)
            if first:
                read.mark = _newest(page.items, None)
                first = False
        return read

    async def changed_settlements(
        self,
        since: datetime | None,
        *,
        tenant: TenantRef,
        give_up_over: int | None = None,
        lane: Lane = Lane.INCREMENTAL,
    ) -> SettlementRead | None:
        """Payments and credits of sales invoices changed after `since` (all when None).

        `GET /Invoices` with If-Modified-Since, `where=Type=="ACCREC"`, Statuses AUTHORISED and
        PAID (the only ones a payment or credit can stand on), oldest change first, 1,000 a
        page: a quiet read is one call, N changed invoices ceil(N/1,000). The watermark is the
        newest UpdatedDateUTC seen, or None when the read is not known to be whole (fewer
        invoices came back than Xero counted: a change during the read shifted one past a page
        boundary). With `give_up_over`, a first page saying more pages than that stops the read
        after that one call and returns None, so the caller can read by ID instead.
        """
        query = ListQuery(
            modified_since=since,
            where=eq("Type", "ACCREC"),
            statuses=PAYABLE_STATUSES,
            order="UpdatedDateUTC ASC",
            page_size=MAX_PAGE_SIZE,
        )
        read = SettlementRead({}, None)
        seen: set[UUID] = set()
        newest: datetime | None = None
        counted = 0
        async for page in self._client.iter_pages(INVOICES, query, tenant=tenant, lane=lane):
            read.calls += 1
            pages = page.pagination.page_count if page.pagination is not None else None
            if read.calls == 1 and give_up_over is not None and (pages or 1) > give_up_over:
                return None
            _settle_all(page.items, read.found)
            seen.update(i.invoice_id for i in page.items if i.invoice_id is not None)
            newest = _newest(page.items, newest)
            if page.pagination is not None and page.pagination.item_count is not None:
                counted = page.pagination.item_count
        read.mark = newest
        read.complete = len(seen) >= counted
        return read

    async def find(
        self, drafts: Sequence[Draft], *, tenant: TenantRef, lane: Lane = Lane.INCREMENTAL
    ) -> dict[str, list[UUID]]:
        """Return the Xero IDs of documents already matching each draft, by `identity_key`.

        Invoices are matched by Type and InvoiceNumber, and bills also by contact
        (GET /Invoices?InvoiceNumbers=…), credit notes likewise by Type, CreditNoteNumber and a
        supplier's contact (GET /CreditNotes?where=CreditNoteNumber=="…" OR …),
        purchase orders by PurchaseOrderNumber within the order's Date (GET /PurchaseOrders?
        DateFrom=…&DateTo=…, one call per date), journals by Narration (GET /ManualJournals?
        where=…). A key with no document has no entry. Used to reconcile writes in doubt.
        """
        found: dict[str, list[UUID]] = {}
        invoices = [d for d in drafts if isinstance(d, InvoiceDraft)]
        if invoices:
            numbers = list(dict.fromkeys(d.invoice_number for d in invoices))
            listed = await self._invoices(numbers, tenant, lane)
            for draft in invoices:
                ids = [i.invoice_id for i in listed if i.invoice_id and _same_invoice(draft, i)]
                if ids:
                    found[identity_key(draft)] = ids
        credits = [d for d in drafts if isinstance(d, CreditNoteDraft)]
        if credits:
            numbers = list(dict.fromkeys(d.credit_note_number for d in credits))
            notes = await self._where(CREDIT_NOTES, "CreditNoteNumber", numbers, tenant, lane)
            for credit in credits:
                ids = [
                    n.credit_note_id for n in notes if n.credit_note_id and _same_credit(credit, n)
                ]
                if ids:
                    found[identity_key(credit)] = ids
        orders = [d for d in drafts if isinstance(d, PurchaseOrderDraft)]
        for day in sorted({d.date for d in orders}):
            wanted = {d.purchase_order_number.casefold() for d in orders if d.date == day}
            params = {"DateFrom": day.isoformat(), "DateTo": day.isoformat()}
            for order in await self._pages(PURCHASE_ORDERS, params, tenant, lane):
                number = (order.purchase_order_number or "").casefold()
                alive = order.status != "DELETED"
                if number in wanted and order.purchase_order_id is not None and alive:
                    found.setdefault(number, []).append(order.purchase_order_id)
        journals = [d.narration for d in drafts if isinstance(d, ManualJournalDraft)]
        if journals:
            wanted = {n.casefold() for n in journals}
            narrated = await self._where(MANUAL_JOURNALS, "Narration", journals, tenant, lane)
            for journal in narrated:
                narration = (journal.narration or "").casefold()
                alive = journal.status not in ("DELETED", "VOIDED")
                if narration in wanted and journal.manual_journal_id is not None and alive:
                    found.setdefault(narration, []).append(journal.manual_journal_id)
        return found

    async def _invoices(self, numbers: list[str], tenant: TenantRef, lane: Lane) -> list[Invoice]:
        # InvoiceNumbers is comma-separated, so a number with a comma is looked up by where
        plain = [n for n in numbers if "," not in n]
        found: list[Invoice] = []
        for group in _groups_for_url(plain, "InvoiceNumbers"):
            params = {"InvoiceNumbers": ",".join(group)}
            found += await self._pages(INVOICES, params, tenant, lane)
        odd = [n for n in numbers if "," in n]
        if odd:
            found += await self._where(INVOICES, "InvoiceNumber", odd, tenant, lane)
        return found

    async def _where(
        self, endpoint: Endpoint[T], name: str, values: list[str], tenant: TenantRef, lane: Lane
    ) -> list[T]:
        found: list[T] = []
        for group in _groups_for_url(values, "where", where_field=name):
            clause: Where = eq(name, group[0])
            for value in group[1:]:
                clause = clause | eq(name, value)
            found += await self._pages(endpoint, {"where": clause.expression}, tenant, lane)
        return found

    async def _pages(
        self, endpoint: Endpoint[T], params: dict[str, str], tenant: TenantRef, lane: Lane
    ) -> list[T]:
        async def fetch(number: int) -> Any:
            page_params = {**params, "page": str(number), "pageSize": str(LOOKUP_PAGE_SIZE)}
            response = await self._transport.request(
                "GET", endpoint.path, tenant=tenant, lane=lane, params=page_params
            )
            return parse_page(endpoint, number, response.body)

        items: list[T] = []
        async for page in iterate_pages(
            fetch, page_size=LOOKUP_PAGE_SIZE, what=f"GET {endpoint.path}"
        ):
            items.extend(page.items)
        return items


def _same_invoice(draft: InvoiceDraft, listed: Invoice) -> bool:
    """Whether a listed invoice is the document `draft` describes (voided ones never are)."""
    if listed.status in (DocumentStatus.DELETED, DocumentStatus.VOIDED):
        return False
    if listed.type is None or listed.type.value != draft.type.value:
        return False
    if (listed.invoice_number or "").casefold() != draft.invoice_number.casefold():
        return False
    return draft.type is not InvoiceKind.ACCPAY or _same_party(draft.contact, listed.contact)


def _same_credit(draft: CreditNoteDraft, listed: CreditNote) -> bool:
    """Whether a listed credit note is the one `draft` describes (voided ones never are)."""
    if listed.status in (DocumentStatus.DELETED, DocumentStatus.VOIDED):
        return False
    if listed.type is None or listed.type.value != draft.type.value:
        return False
    if (listed.credit_note_number or "").casefold() != draft.credit_note_number.casefold():
        return False
    supplier = draft.type is CreditNoteKind.ACCPAYCREDIT
    return not supplier or _same_party(draft.contact, listed.contact)


def _same_party(ref: ContactRef, listed: ListedContact | None) -> bool:
    """A supplier document's contact against the listed one's (numbers are per supplier)."""
    if listed is None:
        return True  # the answer does not say which supplier: count it (safer than resending)
    if ref.contact_id is not None and listed.contact_id is not None:
        return listed.contact_id == ref.contact_id
    if ref.contact_number is not None and listed.contact_number is not None:
        return listed.contact_number.casefold() == ref.contact_number.casefold()
    return True


def _groups_for_url(
    values: list[str], param: str, *, where_field: str | None = None
) -> list[list[str]]:
    """Split values into groups whose query string stays under `MAX_QUERY_CHARS`."""
    groups: list[list[str]] = []
    current: list[str] = []
    for value in values:
        candidate = [*current, value]
        if current and _length(candidate, param, where_field) > MAX_QUERY_CHARS - 40:
            groups.append(current)
            candidate = [value]
        current = candidate
    if current:
        groups.append(current)
    return groups


def _length(values: list[str], param: str, where_field: str | None) -> int:
    if where_field is None:
        return query_chars({param: ",".join(values)})
    clause: Where = eq(where_field, values[0])
    for value in values[1:]:
        clause = clause | eq(where_field, value)
    return query_chars({param: clause.expression})


def id_read_calls(count: int) -> int:
    """How many calls `settlements` makes for `count` invoice IDs (URL-sized groups)."""
    if count <= 0:
        return 0
    return len(split_for_url(INVOICES, ListQuery(ids=[UUID(int=n) for n in range(count)])))


def _settle_all(invoices: Sequence[Invoice], found: dict[UUID, InvoiceSettlement]) -> None:
    for invoice in invoices:
        if invoice.invoice_id is None:
            continue
        found[invoice.invoice_id] = InvoiceSettlement(
            invoice_id=invoice.invoice_id,
            invoice_number=invoice.invoice_number,
            status=invoice.status.value if invoice.status is not None else None,
            amount_paid=invoice.amount_paid or Decimal(0),
            amount_due=invoice.amount_due,
            amount_credited=invoice.amount_credited or Decimal(0),
            payments=[p for p in invoice.payments or [] if p.status is not PaymentStatus.DELETED],
            credit_notes=list(invoice.credit_notes or []),
        )


def _newest(invoices: Sequence[Invoice], newest: datetime | None) -> datetime | None:
    for invoice in invoices:
        stamp = invoice.updated_date_utc
        if stamp is not None and (newest is None or stamp > newest):
            newest = stamp
    return newest
