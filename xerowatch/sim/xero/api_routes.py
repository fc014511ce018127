"""Accounting endpoint handlers: plain functions from a parsed request to a SimResponse."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from xerowatch.sim.xero.config import XeroSimConfig
from xerowatch.sim.xero.contacts import CONTACTS_SPEC, ElementOutcome
from xerowatch.sim.xero.listing import KindSpec, parse_bool, parse_list_query, run_list
from xerowatch.sim.xero.responses import (
    SimBadRequest,
    SimResponse,
    envelope,
    not_found,
    post_data_error,
    validation_failed,
)
from xerowatch.sim.xero.simulator import TenantBooks
from xerowatch.sim.xero.transactions import online_invoice_url
from xerowatch.sim.xero.views import TRANSACTION_SPECS


@dataclass
class ApiContext:
    """A request as handlers see it, with the tenant already resolved."""

    books: TenantBooks
    path_params: Mapping[str, str]
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes
    now: datetime
    config: XeroSimConfig


Handler = Callable[[ApiContext], SimResponse]


def _list(spec: KindSpec, ctx: ApiContext) -> SimResponse:
    query = parse_list_query(spec, ctx.query, ctx.headers.get("if-modified-since"), ctx.config)
    books = ctx.books
    items, pagination = run_list(
        spec, query, books.tenant.all_of(spec.kind), lambda r: books.render(spec.kind, r)
    )
    extra = {"pagination": pagination} if pagination is not None else {}
    return envelope(spec.kind, items, ctx.now, **extra)


def list_contacts(ctx: ApiContext) -> SimResponse:
    """GET /Contacts."""
    return _list(CONTACTS_SPEC, ctx)


def list_transactions(kind: str) -> Handler:
    """GET /Invoices, /CreditNotes, /Overpayments, /Prepayments, /Payments."""
    spec = TRANSACTION_SPECS[kind]
    return lambda ctx: _list(spec, ctx)


def get_transaction(kind: str) -> Handler:
    """GET /{kind}/{id}."""

    def handler(ctx: ApiContext) -> SimResponse:
        record = ctx.books.tenant.of(kind).get(_guid_or_none(ctx.path_params["id"]) or "")
        if record is None:
            return not_found()
        return envelope(kind, [ctx.books.render(kind, record)], ctx.now)

    return handler


def get_contact(ctx: ApiContext) -> SimResponse:
    """GET /Contacts/{ContactID or ContactNumber} (archived contacts included)."""
    record = ctx.books.contacts.find(ctx.path_params["id"])
    if record is None:
        return not_found()
    return envelope("Contacts", [ctx.books.contacts.render(record)], ctx.now)


def online_invoice(ctx: ApiContext) -> SimResponse:
    """GET /Invoices/{InvoiceID}/OnlineInvoice."""
    invoice_id = _guid_or_none(ctx.path_params["id"]) or ""
    record = ctx.books.tenant.of("Invoices").get(invoice_id)
    if record is None:
        return not_found()
    if record.data["Type"] != "ACCREC" or record.data["Status"] not in ("AUTHORISED", "PAID"):
        raise SimBadRequest("Online invoices are only available for approved sales invoices.")
    return SimResponse(
        200, {"OnlineInvoices": [{"OnlineInvoiceUrl": online_invoice_url(invoice_id)}]}
    )


def _contact_items(ctx: ApiContext) -> list[Any]:
    try:
        payload = json.loads(ctx.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise post_data_error("The request body is not valid JSON.") from None
    if isinstance(payload, dict) and "Contacts" in payload:
        items = payload["Contacts"]
        if not isinstance(items, list):
            raise post_data_error("Contacts must be a list.")
    elif isinstance(payload, dict):
        items = [payload]
    else:
        raise post_data_error("Expected a Contacts object.")
    if not items:
        raise post_data_error("No contacts were supplied.")
    if len(items) > ctx.config.max_elements:
        raise SimBadRequest(
            f"A request may carry at most {ctx.config.max_elements} elements; got {len(items)}."
        )
    return items


def _write_answer(ctx: ApiContext, outcomes: list[ElementOutcome], summarize: bool) -> SimResponse:
    if summarize and any(outcome.errors for outcome in outcomes):
        raise validation_failed([outcome.as_json() for outcome in outcomes if outcome.errors])
    return envelope("Contacts", [outcome.as_json() for outcome in outcomes], ctx.now)


def _summarize(ctx: ApiContext) -> bool:
    value = ctx.query.get("summarizeErrors")
    return True if value is None else parse_bool("summarizeErrors", value)


def write_contacts(create_only: bool) -> Handler:
    """PUT /Contacts (create only) and POST /Contacts (update or create)."""

    def handler(ctx: ApiContext) -> SimResponse:
        items = _contact_items(ctx)
        summarize = _summarize(ctx)
        outcomes = ctx.books.contacts.write_batch(
            items, ctx.now, create_only=create_only, atomic=summarize
        )
        return _write_answer(ctx, outcomes, summarize)

    return handler


def update_contact(ctx: ApiContext) -> SimResponse:
    """POST /Contacts/{ContactID}."""
    contact_id = _guid_or_none(ctx.path_params["id"])
    if contact_id is None or contact_id not in ctx.books.contacts.records:
        return not_found()
    items = _contact_items(ctx)
    for item in items:
        if isinstance(item, dict) and item.get("ContactID", contact_id) != contact_id:
            raise SimBadRequest("The ContactID in the body does not match the URL.")
    outcomes = ctx.books.contacts.write_batch(
        items, ctx.now, create_only=False, target_id=contact_id, atomic=True
    )
    return _write_answer(ctx, outcomes, summarize=True)


def _guid_or_none(text: str) -> str | None:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None
