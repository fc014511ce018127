"""The Accounting API routes (`/api.xro/2.0/...`) of the fake, after auth and rate limits passed."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

import httpx

from tests.independent_xero.contacts import FIELDS as CONTACT_FIELDS
from tests.independent_xero.contacts import ContactBook
from tests.independent_xero.transactions import INVOICES, KINDS, Kind, Ledger
from tests.independent_xero.where import WhereParseError, parse_where
from tests.independent_xero.wire import (
    ERROR_NOT_FOUND,
    ERROR_POST_DATA,
    ERROR_QUERY_PARSE,
    ERROR_VALIDATION,
    BadRequest,
    Since,
    envelope,
    error_body,
    json_response,
    page_of,
    parse_since,
    query_bool,
    query_int,
    query_list,
)
from xerowatch.clock import Clock


class AccountingApi:
    """Routes one Accounting API request to the contact book or the ledger."""

    def __init__(
        self, clock: Clock, contacts: ContactBook, ledger: Ledger, *, strictly_after: bool = False
    ) -> None:
        self._clock = clock
        self._contacts = contacts
        self._ledger = ledger
        self._strictly_after = strictly_after

    @staticmethod
    def route_name(method: str, path: str) -> str:
        """The route template of a path, e.g. `GET /Invoices/{id}/OnlineInvoice`."""
        parts = [part for part in path.split("/") if part]
        if len(parts) == 2:
            parts[1] = "{key}" if parts[0] == "Contacts" else "{id}"
        elif len(parts) == 3:
            parts[1] = "{id}"
        return f"{method} /{'/'.join(parts)}"

    def handle(self, request: httpx.Request, path: str) -> httpx.Response:
        """Answer one authorised, admitted request."""
        try:
            return self._dispatch(request, [part for part in path.split("/") if part])
        except BadRequest as exc:
            return json_response(400, error_body(exc.kind, exc.detail))
        except WhereParseError as exc:
            return json_response(400, error_body(ERROR_QUERY_PARSE, str(exc)))

    def _dispatch(self, request: httpx.Request, parts: list[str]) -> httpx.Response:
        method = request.method
        if parts == ["Contacts"] and method == "GET":
            return self._list_contacts(request)
        if parts == ["Contacts"] and method == "POST":
            return self._write_contacts(request)
        if len(parts) == 2 and parts[0] == "Contacts" and method == "GET":
            found = self._contacts.find(parts[1])
            if found is None:
                return json_response(404, error_body(ERROR_NOT_FOUND))
            return self._ok("Contacts", [self._contacts.render(found)])
        if method == "GET" and parts and parts[0] in KINDS:
            kind = KINDS[parts[0]]
            if len(parts) == 1:
                return self._list_documents(request, kind)
            if len(parts) == 2:
                return self._one_document(kind, parts[1])
            if len(parts) == 3 and kind is INVOICES and parts[2] == "OnlineInvoice":
                return self._online_invoice(parts[1])
        return json_response(
            404, error_body(ERROR_NOT_FOUND, f"No route for {method} /{'/'.join(parts)}")
        )

    # -- contacts ------------------------------------------------------------------------------

    def _list_contacts(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        found = self._contacts.select(
            since=self._since(request),
            include_archived=query_bool(params, "includeArchived"),
            ids=_guids(params, "IDs"),
            where=parse_where(params.get("where", ""), CONTACT_FIELDS, "Contact"),
            search=params.get("searchTerm", ""),
        )
        found = _ordered(found, params.get("order"))
        summary_only = query_bool(params, "summaryOnly")
        chunk, paging = page_of(found, query_int(params, "page"), query_int(params, "pageSize"))
        rendered = [self._contacts.render(c, summary_only=summary_only) for c in chunk]
        return self._ok("Contacts", rendered, paging)

    def _write_contacts(self, request: httpx.Request) -> httpx.Response:
        try:
            body = json.loads(request.content)
        except ValueError:
            raise BadRequest(ERROR_POST_DATA, "The request body is not JSON") from None
        if isinstance(body, dict) and "Contacts" in body:
            elements = body["Contacts"]
        elif isinstance(body, dict):
            elements = [body]  # Xero also takes a single contact object
        else:
            elements = None
        if not isinstance(elements, list) or not elements:
            raise BadRequest(ERROR_POST_DATA, 'Expected {"Contacts": [ ... ]}')
        answers = [self._contacts.write(element) for element in elements]
        # Only an explicit summarizeErrors=false gets per-element answers (notes §4).
        summarise = request.url.params.get("summarizeErrors", "").lower() != "false"
        failed = [answer for answer, saved in answers if not saved]
        if summarise and failed:
            return json_response(400, error_body(ERROR_VALIDATION, elements=failed))
        return self._ok("Contacts", [answer for answer, _ in answers])

    # -- money documents -----------------------------------------------------------------------

    def _list_documents(self, request: httpx.Request, kind: Kind) -> httpx.Response:
        params = request.url.params
        is_invoice = kind is INVOICES
        found = self._ledger.select(
            kind,
            since=self._since(request),
            where=parse_where(params.get("where", ""), kind.fields, kind.type_name),
            statuses=query_list(params, "Statuses") if is_invoice else (),
            ids=_guids(params, "IDs") if is_invoice else (),
            contact_ids=_guids(params, "ContactIDs") if is_invoice else (),
        )
        found = _ordered(found, params.get("order"))
        summary_only = is_invoice and query_bool(params, "summaryOnly")
        chunk, paging = page_of(found, query_int(params, "page"), query_int(params, "pageSize"))
        rendered = [self._ledger.render(kind, doc, summary_only=summary_only) for doc in chunk]
        return self._ok(kind.collection, rendered, paging)

    def _one_document(self, kind: Kind, doc_id: str) -> httpx.Response:
        doc = self._ledger.get(kind.collection, doc_id.lower())
        if doc is None:
            return json_response(404, error_body(ERROR_NOT_FOUND))
        return self._ok(kind.collection, [self._ledger.render(kind, doc)])

    def _online_invoice(self, invoice_id: str) -> httpx.Response:
        links = self._ledger.online_invoice_url(invoice_id.lower())
        if links is None:
            return json_response(404, error_body(ERROR_NOT_FOUND))
        return self._ok("OnlineInvoices", [{"OnlineInvoiceUrl": link} for link in links])

    def _since(self, request: httpx.Request) -> Since | None:
        header = request.headers.get("If-Modified-Since")
        return parse_since(header, strictly_after=self._strictly_after) if header else None

    def _ok(
        self, collection: str, items: list[dict[str, Any]], paging: Mapping[str, int] | None = None
    ) -> httpx.Response:
        return json_response(200, envelope(self._clock.now(), collection, items, paging))


def _guids(params: httpx.QueryParams, name: str) -> list[str]:
    values = query_list(params, name)
    try:
        return [str(uuid.UUID(value)) for value in values]
    except ValueError:
        raise BadRequest(ERROR_VALIDATION, f"{name} must be a list of GUIDs") from None


def _ordered(items: list[dict[str, Any]], order: str | None) -> list[dict[str, Any]]:
    """Apply `order=Field [ASC|DESC]` (one field); absent keeps creation order."""
    if not order:
        return items
    field, _, direction = order.strip().partition(" ")
    descending = direction.strip().upper() == "DESC"
    present = [item for item in items if item.get(field) is not None]
    missing = [item for item in items if item.get(field) is None]
    try:
        present.sort(key=lambda item: item[field], reverse=descending)
    except TypeError:
        raise BadRequest(ERROR_VALIDATION, f"Cannot order by {field}") from None
    return present + missing
