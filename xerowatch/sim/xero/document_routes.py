"""Accounting handlers for documents: POST/PUT /Invoices, /CreditNotes, /PurchaseOrders and
/ManualJournals, their GETs, and GET /TrackingCategories (registered in `app.py`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from xerowatch.sim.xero.api_routes import ApiContext, Handler
from xerowatch.sim.xero.document_book import (
    MANUAL_JOURNALS,
    NIL_ID,
    PURCHASE_ORDERS,
    TRACKING,
    Checked,
    DocumentBook,
)
from xerowatch.sim.xero.listing import KindSpec, parse_bool, parse_list_query, run_list
from xerowatch.sim.xero.responses import (
    SimBadRequest,
    SimResponse,
    envelope,
    post_data_error,
    query_error,
    validation_failed,
)
from xerowatch.sim.xero.state import (
    Record,
    line_amounts,
    money_out,
    ms_json,
    ms_json_date,
    to_date,
)

if TYPE_CHECKING:
    from xerowatch.sim.xero.simulator import XeroSim

_ID_FIELDS = {
    "Invoices": "InvoiceID",
    "CreditNotes": "CreditNoteID",
    PURCHASE_ORDERS: "PurchaseOrderID",
    MANUAL_JOURNALS: "ManualJournalID",
}

PURCHASE_ORDER_SPEC = KindSpec(
    kind=PURCHASE_ORDERS,
    where_fields={
        "PurchaseOrderID": "guid",
        "PurchaseOrderNumber": "string",
        "Status": "string",
        "Date": "date",
        "UpdatedDateUTC": "datetime",
    },
)
MANUAL_JOURNAL_SPEC = KindSpec(
    kind=MANUAL_JOURNALS,
    where_fields={
        "ManualJournalID": "guid",
        "Narration": "string",
        "Status": "string",
        "Date": "date",
        "UpdatedDateUTC": "datetime",
    },
)


def _book(ctx: ApiContext) -> DocumentBook:
    return DocumentBook(ctx.books.tenant, ctx.books.contacts, ctx.books.contacts.new_id)


def _items(ctx: ApiContext, collection: str) -> list[dict[str, Any]]:
    try:
        payload = json.loads(ctx.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise post_data_error("The request body is not valid JSON.") from None
    items = payload.get(collection) if isinstance(payload, dict) else None
    if isinstance(payload, dict) and items is None:
        items = [payload]
    if not isinstance(items, list) or not items:
        raise post_data_error(f"Expected a non-empty {collection} list.")
    if len(items) > ctx.config.max_elements:
        raise SimBadRequest(
            f"A request may carry at most {ctx.config.max_elements} elements; got {len(items)}."
        )
    if not all(isinstance(item, dict) for item in items):
        raise post_data_error(f"Every element of {collection} must be an object.")
    return items


def _summarize(ctx: ApiContext) -> bool:
    value = ctx.query.get("summarizeErrors")
    return True if value is None else parse_bool("summarizeErrors", value)


def _refused(collection: str, checked: Checked) -> dict[str, Any]:
    return {
        **checked.element,
        _ID_FIELDS[collection]: NIL_ID,
        "HasErrors": True,
        "StatusAttributeString": "ERROR",
        "ValidationErrors": [{"Message": message} for message in checked.errors],
    }


def _write(
    ctx: ApiContext,
    collection: str,
    check: Callable[[DocumentBook, dict[str, Any], date], Checked],
    save: Callable[[DocumentBook, Checked], Record],
    render: Callable[[ApiContext, Record], dict[str, Any]],
) -> SimResponse:
    """Validate every element, then save the valid ones (all or none when summarizing)."""
    book = _book(ctx)
    items = _items(ctx, collection)
    if any(_ID_FIELDS[collection] in item for item in items):
        raise SimBadRequest(f"The simulator creates {collection}; updating by ID is not simulated.")
    summarize = _summarize(ctx)
    checked = [check(book, item, ctx.now.date()) for item in items]
    if summarize and any(c.errors for c in checked):
        raise validation_failed([_refused(collection, c) for c in checked if c.errors])
    answer = []
    for one in checked:
        if one.errors:
            answer.append(_refused(collection, one))
            continue
        body = render(ctx, save(book, one))
        answer.append({**body, "StatusAttributeString": "OK"})
    return envelope(collection, answer, ctx.now)


def write_invoices(ctx: ApiContext) -> SimResponse:
    """PUT and POST /Invoices (create)."""
    unit_dp = 4 if ctx.query.get("unitdp") == "4" else 2
    seen: set[tuple[str, str, str]] = set()
    return _write(
        ctx,
        "Invoices",
        lambda book, item, today: book.check_invoice(item, today, unit_dp, seen),
        lambda book, checked: book.save_invoice(checked, ctx.now),
        lambda c, record: c.books.render("Invoices", record),
    )


def write_credit_notes(ctx: ApiContext) -> SimResponse:
    """PUT and POST /CreditNotes (create; listed by GET /CreditNotes like seeded ones)."""
    unit_dp = 4 if ctx.query.get("unitdp") == "4" else 2
    seen: set[tuple[str, str, str]] = set()
    return _write(
        ctx,
        "CreditNotes",
        lambda book, item, today: book.check_credit_note(item, today, unit_dp, seen),
        lambda book, checked: book.save_credit_note(checked, ctx.now),
        lambda c, record: c.books.render("CreditNotes", record),
    )


def write_purchase_orders(ctx: ApiContext) -> SimResponse:
    """PUT and POST /PurchaseOrders (create)."""
    return _write(
        ctx,
        PURCHASE_ORDERS,
        lambda book, item, today: book.check_purchase_order(item, today),
        lambda book, checked: book.save_purchase_order(checked, ctx.now),
        render_purchase_order,
    )


def write_manual_journals(ctx: ApiContext) -> SimResponse:
    """PUT and POST /ManualJournals (create)."""
    return _write(
        ctx,
        MANUAL_JOURNALS,
        lambda book, item, today: book.check_journal(item, today),
        lambda book, checked: book.save_journal(checked, ctx.now),
        lambda c, record: render_journal(record),
    )


def _totals(lines: list[dict[str, Any]], mode: str) -> tuple[Decimal, Decimal, Decimal]:
    sub = tax = Decimal(0)
    for line in lines:
        amount, line_tax = line_amounts(line, mode)
        sub += amount - line_tax if mode == "Inclusive" else amount
        tax += line_tax
    return sub, tax, sub + tax


def _dates(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: ms_json_date(data[k]) for k in keys if isinstance(data.get(k), date)}


def _line_json(line: dict[str, Any]) -> dict[str, Any]:
    return {
        **line,
        "Quantity": float(line["Quantity"]),
        "UnitAmount": float(line["UnitAmount"]),
        "LineAmount": money_out(line["LineAmount"]),
    }


def render_purchase_order(ctx: ApiContext, record: Record) -> dict[str, Any]:
    """A stored purchase order as Xero JSON."""
    data = record.data
    sub, tax, total = _totals(data["LineItems"], data["LineAmountTypes"])
    keys = (
        "PurchaseOrderID",
        "PurchaseOrderNumber",
        "Status",
        "LineAmountTypes",
        "Reference",
        "CurrencyCode",
        "DeliveryAddress",
        "AttentionTo",
    )
    return {
        **{k: data[k] for k in keys if k in data},
        "Contact": ctx.books.contacts.summary(data["ContactID"]),
        **_dates(data, "Date", "DeliveryDate"),
        "LineItems": [_line_json(line) for line in data["LineItems"]],
        "SubTotal": money_out(sub),
        "TotalTax": money_out(tax),
        "Total": money_out(total),
        "UpdatedDateUTC": ms_json(record.updated_at),
    }


def render_journal(record: Record) -> dict[str, Any]:
    """A stored manual journal as Xero JSON."""
    data = record.data
    keys = ("ManualJournalID", "Narration", "Status", "LineAmountTypes")
    return {
        **{k: data[k] for k in keys if k in data},
        **_dates(data, "Date"),
        "JournalLines": [
            {**line, "LineAmount": money_out(line["LineAmount"])} for line in data["JournalLines"]
        ],
        "ShowOnCashBasisReports": True,
        "HasAttachments": False,
        "UpdatedDateUTC": ms_json(record.updated_at),
    }


def _list(
    ctx: ApiContext, spec: KindSpec, render: Callable[[Record], dict[str, Any]]
) -> SimResponse:
    _book(ctx)  # makes sure the collection exists
    query = parse_list_query(spec, ctx.query, ctx.headers.get("if-modified-since"), ctx.config)
    items, pagination = run_list(spec, query, ctx.books.tenant.all_of(spec.kind), render)
    extra = {"pagination": pagination} if pagination is not None else {}
    return envelope(spec.kind, items, ctx.now, **extra)


def list_purchase_orders(ctx: ApiContext) -> SimResponse:
    """GET /PurchaseOrders (DateFrom / DateTo narrow by the order's Date, both inclusive)."""
    _book(ctx)
    try:
        low = to_date(ctx.query["DateFrom"]) if "DateFrom" in ctx.query else date.min
        high = to_date(ctx.query["DateTo"]) if "DateTo" in ctx.query else date.max
    except ValueError:
        raise query_error("DateFrom and DateTo must be dates (YYYY-MM-DD).") from None
    spec = PURCHASE_ORDER_SPEC
    query = parse_list_query(spec, ctx.query, ctx.headers.get("if-modified-since"), ctx.config)
    records = [
        r for r in ctx.books.tenant.all_of(spec.kind) if low <= r.data.get("Date", low) <= high
    ]
    items, pagination = run_list(spec, query, records, lambda r: render_purchase_order(ctx, r))
    extra = {"pagination": pagination} if pagination is not None else {}
    return envelope(spec.kind, items, ctx.now, **extra)


def list_manual_journals(ctx: ApiContext) -> SimResponse:
    """GET /ManualJournals (where on Narration, Status, Date …)."""
    return _list(ctx, MANUAL_JOURNAL_SPEC, render_journal)


def list_tracking(ctx: ApiContext) -> SimResponse:
    """GET /TrackingCategories (archived ones only with includeArchived=true)."""
    _book(ctx)
    archived = parse_bool("includeArchived", ctx.query.get("includeArchived", "false"))
    items = [
        dict(r.data)
        for r in ctx.books.tenant.all_of(TRACKING)
        if archived or r.data["Status"] == "ACTIVE"
    ]
    return envelope(TRACKING, items, ctx.now)


ROUTES: list[tuple[str, str, Handler]] = [
    ("/Invoices", "PUT", write_invoices),
    ("/Invoices", "POST", write_invoices),
    ("/CreditNotes", "PUT", write_credit_notes),
    ("/CreditNotes", "POST", write_credit_notes),
    ("/PurchaseOrders", "GET", list_purchase_orders),
    ("/PurchaseOrders", "PUT", write_purchase_orders),
    ("/PurchaseOrders", "POST", write_purchase_orders),
    ("/ManualJournals", "GET", list_manual_journals),
    ("/ManualJournals", "PUT", write_manual_journals),
    ("/ManualJournals", "POST", write_manual_journals),
    ("/TrackingCategories", "GET", list_tracking),
]
"""(path, method, handler) for `app.build_app` to register."""


def add_tracking_category(
    sim: XeroSim, tenant_id: str, name: str, options: list[str]
) -> dict[str, Any]:
    """Create an ACTIVE tracking category with options in a tenant (tests and the demo)."""
    with sim.lock:
        books = sim.books[tenant_id]
        book = DocumentBook(books.tenant, books.contacts, books.contacts.new_id)
        return dict(book.add_tracking(name, options, sim.now()).data)
