"""The Xero Accounting operations xerowatch uses, on top of `XeroTransport`.

Reads: paged lists of contacts, invoices, credit notes, overpayments, prepayments and payments;
one contact by ContactNumber or ContactID; an invoice's online URL. Writes: contacts in
batches (POST /Contacts, `summarizeErrors=false`, an `Idempotency-Key` on every request),
answered per input. Every call takes a quota `lane`.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol, TypeVar
from urllib.parse import quote
from uuid import UUID

from pydantic import ValidationError

from xerowatch.xero.batching import Chunk, plan_batches
from xerowatch.xero.errors import (
    XeroError,
    XeroNotFound,
    XeroResponseError,
    XeroValidationError,
)
from xerowatch.xero.idempotency import derive_key
from xerowatch.xero.models import Contact, OnlineInvoice, XeroModel
from xerowatch.xero.paging import (
    CONTACTS,
    DEFAULT_MAX_PAGES,
    Endpoint,
    ListQuery,
    Page,
    iterate_pages,
    page_request,
    parse_page,
    split_for_url,
)
from xerowatch.xero.quota import Lane
from xerowatch.xero.transport import TenantRef, XeroResponse
from xerowatch.xero.write_results import (
    ContactWriteResult,
    WriteStatus,
    answer_results,
    contact_result,
    rejected_request_results,
)

log = logging.getLogger(__name__)

T = TypeVar("T", bound=XeroModel)

CONTACT_NUMBER_MAX = 50


class Transport(Protocol):
    """What the client needs from `XeroTransport` (a test can pass anything shaped like it)."""

    async def request(
        self,
        method: str,
        path: str,
        *,
        tenant: TenantRef,
        lane: Lane,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> XeroResponse:
        """Send one request; return a 2xx response or raise a `XeroError`."""
        ...


class XeroClient:
    """Typed Xero Accounting operations; all HTTP goes through the injected transport."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    @property
    def transport(self) -> Transport:
        """The transport every call goes through (shared with the document writer and reader)."""
        return self._transport

    async def iter_pages(
        self,
        endpoint: Endpoint[T],
        query: ListQuery | None = None,
        *,
        tenant: TenantRef,
        lane: Lane = Lane.INCREMENTAL,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> AsyncIterator[Page[T]]:
        """Yield the pages of a list call (e.g. `paging.INVOICES`) until the last one.

        Long `IDs` / `ContactIDs` lists are read as several paged lists, one after the other
        (page numbers restart for each), so that every URL stays short.
        """
        parts = split_for_url(endpoint, query or ListQuery())
        for part in parts:
            page_request(endpoint, part, 1)  # refuse a bad query before any call is made
        for part in parts:
            async for page in self._iter_part(endpoint, part, tenant, lane, max_pages):
                yield page

    async def _iter_part(
        self, endpoint: Endpoint[T], query: ListQuery, tenant: TenantRef, lane: Lane, max_pages: int
    ) -> AsyncIterator[Page[T]]:
        async def fetch(number: int) -> Page[T]:
            params, headers = page_request(endpoint, query, number)
            response = await self._transport.request(
                "GET", endpoint.path, tenant=tenant, lane=lane, params=params, headers=headers
            )
            return parse_page(endpoint, number, response.body)

        async for page in iterate_pages(
            fetch, page_size=query.page_size, max_pages=max_pages, what=f"GET {endpoint.path}"
        ):
            yield page

    async def list_all(
        self,
        endpoint: Endpoint[T],
        query: ListQuery | None = None,
        *,
        tenant: TenantRef,
        lane: Lane = Lane.INCREMENTAL,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> list[T]:
        """Collect every item of a list call."""
        items: list[T] = []
        async for page in self.iter_pages(
            endpoint, query, tenant=tenant, lane=lane, max_pages=max_pages
        ):
            items.extend(page.items)
        return items

    async def get_contact_by_number(
        self, contact_number: str, *, tenant: TenantRef, lane: Lane = Lane.INCREMENTAL
    ) -> Contact | None:
        """Return the contact whose ContactNumber is `contact_number`, or None."""
        if not 0 < len(contact_number) <= CONTACT_NUMBER_MAX:
            raise ValueError(f"a ContactNumber has 1-{CONTACT_NUMBER_MAX} characters")
        if any(unicodedata.category(ch) == "Cc" for ch in contact_number):
            raise ValueError("a ContactNumber cannot contain control characters")
        contacts = await self._get_contacts(
            f"/Contacts/{quote(contact_number, safe='')}", tenant, lane
        )
        wanted = contact_number.casefold()
        # the path template is shared with ContactID: a number shaped like a GUID may hit an ID
        matching = [c for c in contacts if (c.contact_number or "").casefold() == wanted]
        if contacts and not matching:
            log.warning("GET /Contacts/{ContactNumber} answered with a different contact")
        return matching[0] if matching else None

    async def get_contact(
        self, contact_id: UUID, *, tenant: TenantRef, lane: Lane = Lane.INCREMENTAL
    ) -> Contact | None:
        """Return the contact with this ContactID, or None if Xero does not know it."""
        contacts = await self._get_contacts(f"/Contacts/{contact_id}", tenant, lane)
        if not contacts:
            return None
        if contacts[0].contact_id != contact_id:
            raise XeroResponseError(f"GET /Contacts/{contact_id} answered with another contact")
        return contacts[0]

    async def online_invoice_url(
        self, invoice_id: UUID, *, tenant: TenantRef, lane: Lane = Lane.INCREMENTAL
    ) -> str | None:
        """Return the customer-facing URL of an invoice, or None if Xero has none."""
        url, _ = await self.online_invoice(invoice_id, tenant=tenant, lane=lane)
        return url

    async def online_invoice(
        self, invoice_id: UUID, *, tenant: TenantRef, lane: Lane = Lane.INCREMENTAL
    ) -> tuple[str | None, str | None]:
        """Return (the invoice's online URL or None, Xero-Correlation-Id of the answer)."""
        path = f"/Invoices/{invoice_id}/OnlineInvoice"
        try:
            response = await self._transport.request("GET", path, tenant=tenant, lane=lane)
        except XeroNotFound as exc:
            return None, exc.correlation_id
        body = response.body
        raw = body.get("OnlineInvoices") if isinstance(body, Mapping) else None
        if not isinstance(raw, list):
            raise XeroResponseError(
                f"GET {path}: no OnlineInvoices list in the answer",
                correlation_id=response.correlation_id,
            )
        if not raw:
            return None, response.correlation_id
        try:
            url = OnlineInvoice.model_validate(raw[0]).online_invoice_url
        except ValidationError:
            raise XeroResponseError(
                f"GET {path}: unreadable OnlineInvoice", correlation_id=response.correlation_id
            ) from None
        return url or None, response.correlation_id

    async def upsert_contacts(
        self,
        contacts: Sequence[Contact],
        *,
        tenant: TenantRef,
        lane: Lane = Lane.INCREMENTAL,
        idempotency_scope: str | None = None,
    ) -> list[ContactWriteResult]:
        """Create or update contacts (POST /Contacts), returning one result per input, in order.

        Requests carry ≤ 50 contacts and ≤ 3.5 MB, `summarizeErrors=false`, and an
        Idempotency-Key derived from the request and `idempotency_scope` (e.g. an outbox key),
        so resending the same logical write within Xero's 6-minute window replays it. Include
        ContactID when known: POST updates that contact instead of creating one.
        """
        if not contacts:
            return []
        results: dict[int, ContactWriteResult] = {}
        bodies: list[dict[str, Any]] = []
        sendable: list[int] = []
        for index, contact in enumerate(contacts):
            try:
                bodies.append(contact.to_xero_write())
                sendable.append(index)
            except ValueError as exc:  # pydantic's serialisation errors are ValueErrors
                results[index] = contact_result(
                    contacts, index, WriteStatus.REJECTED, messages=(str(exc),)
                )
        plan = plan_batches(bodies, collection="Contacts")
        for position, reason in plan.oversized.items():
            index = sendable[position]
            results[index] = contact_result(
                contacts, index, WriteStatus.REJECTED, messages=(reason,)
            )
        stop: XeroError | None = None
        for chunk in plan.chunks:
            indexes = [sendable[position] for position in chunk.indexes]
            if stop is not None:
                for index in indexes:
                    results[index] = contact_result(
                        contacts, index, WriteStatus.NOT_SENT, error=stop
                    )
                continue
            try:
                response = await self._post_contacts(chunk, tenant, lane, idempotency_scope)
            except XeroValidationError as exc:
                results.update(rejected_request_results(contacts, indexes, exc))
                continue
            except XeroError as exc:
                stop = exc
                for index in indexes:
                    results[index] = contact_result(contacts, index, WriteStatus.FAILED, error=exc)
                continue
            answered = answer_results(contacts, indexes, response.body)
            results.update(
                {i: replace(r, correlation_id=response.correlation_id) for i, r in answered.items()}
            )
        ordered = [results[index] for index in range(len(contacts))]
        counts = {status: sum(r.status is status for r in ordered) for status in WriteStatus}
        log.info(
            "POST /Contacts for tenant %s: %s",
            tenant.tenant_id,
            ", ".join(f"{count} {status}" for status, count in counts.items() if count),
        )
        return ordered

    async def _post_contacts(
        self, chunk: Chunk, tenant: TenantRef, lane: Lane, scope: str | None
    ) -> XeroResponse:
        params = {"summarizeErrors": "false"}
        body = {"Contacts": list(chunk.elements)}
        key = derive_key(
            tenant_id=tenant.tenant_id,
            method="POST",
            path="/Contacts",
            params=params,
            body=body,
            scope=scope,
        )
        return await self._transport.request(
            "POST",
            "/Contacts",
            tenant=tenant,
            lane=lane,
            params=params,
            json=body,
            idempotency_key=key,
        )

    async def _get_contacts(self, path: str, tenant: TenantRef, lane: Lane) -> list[Contact]:
        try:
            response = await self._transport.request("GET", path, tenant=tenant, lane=lane)
        except XeroNotFound:
            return []
        return parse_page(CONTACTS, 1, response.body).items
