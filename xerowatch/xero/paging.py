"""Paged list calls: which endpoints and filters exist, the request for one page, when to stop.

Every list call pages (`page`, `pageSize` ≤ 1000). Xero's `pagination.pageCount` decides when
to stop where present, `itemCount` next, and only then a short or empty page. A page that
repeats the previous one (Xero ignoring `page`, as tap-xero once saw with `order=`) and a
run past `max_pages` raise instead of looping until the day's quota is gone.

URLs stay well under the ~2,000 characters that proxies and servers commonly accept: long `IDs`
/ `ContactIDs` lists are split over several requests (`split_for_url`), and any other query too
long for a URL is refused before it is sent.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

import httpx
from pydantic import ValidationError

from xerowatch.xero.dates import format_if_modified_since
from xerowatch.xero.errors import XeroPagingError, XeroResponseError
from xerowatch.xero.models import (
    Contact,
    CreditNote,
    Invoice,
    Overpayment,
    Pagination,
    Payment,
    Prepayment,
    XeroModel,
)
from xerowatch.xero.where import Where

T = TypeVar("T", bound=XeroModel)

MAX_PAGE_SIZE = 1000
DEFAULT_MAX_PAGES = 500
"""Runaway guard: 500 pages of 1,000 is far beyond any organisation xerowatch serves."""

_ORDER = re.compile(
    r"^[A-Za-z][A-Za-z0-9.]*(\s+(ASC|DESC))?(\s*,\s*[A-Za-z][A-Za-z0-9.]*(\s+(ASC|DESC))?)*$",
    re.IGNORECASE,
)
_STATUS = re.compile(r"^[A-Z][A-Z_-]*$")

MAX_QUERY_CHARS = 1_500
"""Longest query string sent: with the host and path, a URL stays well under 2,000 characters."""
_ID_CHARS = 36 + len("%2C")  # a GUID and the percent-encoded comma before the next one
_PAGE_SLACK = len(str(DEFAULT_MAX_PAGES))  # later pages have longer numbers than page 1


@dataclass(frozen=True)
class Endpoint(Generic[T]):
    """A list endpoint: path, the body's collection key, item model, and optional filters."""

    path: str
    collection: str
    model: type[T]
    filters: frozenset[str] = frozenset()
    """Which of `IDs`, `ContactIDs`, `Statuses`, `summaryOnly`, `includeArchived` it takes."""


CONTACTS = Endpoint(
    "/Contacts", "Contacts", Contact, frozenset({"IDs", "summaryOnly", "includeArchived"})
)
INVOICES = Endpoint(
    "/Invoices",
    "Invoices",
    Invoice,
    frozenset({"IDs", "ContactIDs", "Statuses", "summaryOnly", "includeArchived"}),
)
CREDIT_NOTES = Endpoint("/CreditNotes", "CreditNotes", CreditNote)
OVERPAYMENTS = Endpoint("/Overpayments", "Overpayments", Overpayment)
PREPAYMENTS = Endpoint("/Prepayments", "Prepayments", Prepayment)
PAYMENTS = Endpoint("/Payments", "Payments", Payment)


@dataclass(frozen=True)
class ListQuery:
    """Filters for a list call; unsupported ones for an endpoint are refused, not dropped."""

    modified_since: datetime | None = None
    where: Where | None = None
    order: str | None = None
    ids: Sequence[UUID] = ()
    contact_ids: Sequence[UUID] = ()
    statuses: Sequence[str] = ()
    summary_only: bool = False
    include_archived: bool = False
    page_size: int = MAX_PAGE_SIZE

    def used_filters(self) -> set[str]:
        """Names of the optional, endpoint-specific filters this query sets."""
        used = {
            "IDs": bool(self.ids),
            "ContactIDs": bool(self.contact_ids),
            "Statuses": bool(self.statuses),
            "summaryOnly": self.summary_only,
            "includeArchived": self.include_archived,
        }
        return {name for name, on in used.items() if on}


def page_request(
    endpoint: Endpoint[Any], query: ListQuery, page: int
) -> tuple[dict[str, str], dict[str, str]]:
    """Return the query parameters and headers for one page, validating the query."""
    unsupported = query.used_filters() - endpoint.filters
    if unsupported:
        raise ValueError(f"GET {endpoint.path} does not take {', '.join(sorted(unsupported))}")
    if not 1 <= query.page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be 1-{MAX_PAGE_SIZE}, got {query.page_size}")
    if page < 1:
        raise ValueError(f"pages start at 1, got {page}")
    params = {"page": str(page), "pageSize": str(query.page_size)}
    if query.where is not None:
        params["where"] = query.where.expression
    if query.order is not None:
        if not _ORDER.match(query.order):
            raise ValueError(f"order must be 'Field [ASC|DESC], …', got {query.order!r}")
        params["order"] = query.order
    if query.ids:
        params["IDs"] = ",".join(str(i) for i in query.ids)
    if query.contact_ids:
        params["ContactIDs"] = ",".join(str(i) for i in query.contact_ids)
    if query.statuses:
        bad = [s for s in query.statuses if not _STATUS.match(str(s))]
        if bad:
            raise ValueError(f"not a Xero status: {bad[0]!r}")
        params["Statuses"] = ",".join(str(s) for s in query.statuses)
    if query.summary_only:
        params["summaryOnly"] = "true"
    if query.include_archived:
        params["includeArchived"] = "true"
    length = query_chars(params)
    if length > MAX_QUERY_CHARS:
        raise ValueError(
            f"GET {endpoint.path}: the query string would be {length} characters, more than the "
            f"{MAX_QUERY_CHARS} that fit a URL safely; narrow the where filter"
        )
    headers: dict[str, str] = {}
    if query.modified_since is not None:
        headers["If-Modified-Since"] = format_if_modified_since(query.modified_since)
    return params, headers


def query_chars(params: Mapping[str, str]) -> int:
    """Return the length of the query string exactly as httpx encodes it."""
    return len(str(httpx.QueryParams(params)))


def split_for_url(endpoint: Endpoint[Any], query: ListQuery) -> list[ListQuery]:
    """Split long `IDs` / `ContactIDs` lists into queries whose URLs stay short, in order.

    Xero applies both lists together (an invoice must match one of each), so when both are split
    every group of one is paired with every group of the other; no record is in two results.
    """
    lists = [name for name in ("ids", "contact_ids") if getattr(query, name)]
    if not lists:
        return [query]
    bare = replace(query, ids=(), contact_ids=())
    params, _ = page_request(endpoint, bare, 1)
    room = MAX_QUERY_CHARS - query_chars(params) - _PAGE_SLACK
    per_list = room // len(lists) - len("&ContactIDs=")
    capacity = (per_list + len("%2C")) // _ID_CHARS
    if capacity < 1:
        raise ValueError(f"GET {endpoint.path}: the where filter leaves no room for IDs in a URL")
    id_groups = _groups(query.ids, capacity)
    contact_groups = _groups(query.contact_ids, capacity)
    return [replace(query, ids=i, contact_ids=c) for i in id_groups for c in contact_groups]


def _groups(values: Sequence[UUID], size: int) -> list[tuple[UUID, ...]]:
    if not values:
        return [()]
    return [tuple(values[start : start + size]) for start in range(0, len(values), size)]


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list call."""

    number: int
    items: list[T]
    pagination: Pagination | None


def parse_page(endpoint: Endpoint[T], number: int, body: Any) -> Page[T]:
    """Parse a list body into a page, raising `XeroResponseError` on an unexpected shape."""
    what = f"GET {endpoint.path} page {number}"
    if not isinstance(body, Mapping):
        raise XeroResponseError(f"{what}: expected a JSON object, got {type(body).__name__}")
    raw_items = body.get(endpoint.collection, [])
    if not isinstance(raw_items, list):
        raise XeroResponseError(f"{what}: {endpoint.collection} is not a list")
    try:
        items = [endpoint.model.model_validate(item) for item in raw_items]
        raw_pagination = body.get("pagination")
        pagination = None if raw_pagination is None else Pagination.model_validate(raw_pagination)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise XeroResponseError(f"{what}: unreadable item ({where}: {first['msg']})") from None
    if pagination is not None and pagination.page not in (None, number):
        raise XeroPagingError(f"{what}: Xero answered with page {pagination.page}")
    return Page(number=number, items=items, pagination=pagination)


def is_last_page(page: Page[Any], page_size: int) -> bool:
    """Decide whether `page` is the last: pageCount, then itemCount, then a short page."""
    if not page.items:
        return True
    paging = page.pagination
    if paging is not None and paging.page_count is not None:
        return page.number >= paging.page_count
    if paging is not None and paging.item_count is not None:
        return page.number * (paging.page_size or page_size) >= paging.item_count
    return len(page.items) < page_size


async def iterate_pages(
    fetch: Callable[[int], Awaitable[Page[T]]],
    *,
    page_size: int,
    max_pages: int = DEFAULT_MAX_PAGES,
    what: str = "list",
) -> AsyncIterator[Page[T]]:
    """Yield pages 1, 2, … from `fetch` until the last one, guarding against runaways."""
    previous: Page[T] | None = None
    for number in range(1, max_pages + 1):
        page = await fetch(number)
        if previous is not None and page.items and page.items == previous.items:
            raise XeroPagingError(f"{what}: page {number} repeats page {number - 1}")
        yield page
        if is_last_page(page, page_size):
            return
        previous = page
    raise XeroPagingError(f"{what}: still more after {max_pages} pages; stopped (runaway guard)")
