"""GET list semantics shared by all collections: filters, where, order, modified-since, paging."""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from xerowatch.sim.xero.config import XeroSimConfig
from xerowatch.sim.xero.dates import parse_instant
from xerowatch.sim.xero.responses import SimBadRequest, query_error
from xerowatch.sim.xero.state import Record
from xerowatch.sim.xero.where import (
    FieldType,
    Node,
    WhereError,
    dotted_get,
    evaluate,
    parse_where,
)

Renderer = Callable[[Record], dict[str, Any]]


@dataclass(frozen=True)
class KindSpec:
    """What one collection supports in GET lists."""

    kind: str
    where_fields: Mapping[str, FieldType]
    search_fields: tuple[str, ...] = ()
    list_params: frozenset[str] = frozenset()
    """Optional filters this collection honours: IDs, ContactIDs, Statuses, InvoiceNumbers, …"""
    summary_omit: frozenset[str] = frozenset()
    """Heavy fields dropped by `summaryOnly=true`."""
    unpaged_omit: frozenset[str] = frozenset()
    """Fields Xero leaves out when a list is fetched without `page` (invoice line items)."""
    hides_archived: bool = False
    status_field: str = "Status"
    contact_path: str = "Contact.ContactID"


@dataclass
class ListQuery:
    """A parsed GET list request."""

    page: int | None = None
    page_size: int = 100
    modified_since: datetime | None = None
    where: Node | None = None
    order: list[tuple[str, bool]] = field(default_factory=list)
    ids: set[str] | None = None
    contact_ids: set[str] | None = None
    statuses: set[str] | None = None
    numbers: set[str] | None = None
    references: set[str] | None = None
    include_archived: bool = False
    summary_only: bool = False
    search_term: str | None = None


def parse_bool(name: str, value: str | None) -> bool:
    """Parse a boolean query parameter as Xero does ('true'/'false', any case)."""
    if value is None:
        return False
    lowered = value.strip().lower()
    if lowered not in ("true", "false"):
        raise query_error(f"{name} must be true or false, got {value!r}")
    return lowered == "true"


def _positive_int(name: str, value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise query_error(f"{name} must be a whole number, got {value!r}") from None
    if number < 1:
        raise query_error(f"{name} must be at least 1, got {number}")
    return number


def parse_modified_since(value: str | None) -> datetime | None:
    """Parse If-Modified-Since: ISO-8601, an offset or Z (no offset = UTC); 400 otherwise."""
    if value is None or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise SimBadRequest(
            f"If-Modified-Since is not an ISO-8601 date-time: {value!r}",
            error_type="InvalidHeaderException",
            error_number=11,
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _csv(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [part.strip() for part in value.split(",") if part.strip()]


def _guids(name: str, value: str | None) -> set[str] | None:
    parts = _csv(value)
    if parts is None:
        return None
    try:
        return {str(uuid.UUID(part)) for part in parts}
    except ValueError:
        raise query_error(f"{name} must be a comma-separated list of GUIDs") from None


def _order(spec: KindSpec, value: str | None) -> list[tuple[str, bool]]:
    fields = {name.lower(): name for name in spec.where_fields}
    result: list[tuple[str, bool]] = []
    for part in _csv(value) or []:
        words = part.split()
        direction = words[1].upper() if len(words) == 2 else "ASC"
        name = fields.get(words[0].lower())
        if name is None or len(words) > 2 or direction not in ("ASC", "DESC"):
            raise query_error(f"cannot order by {part!r}")
        result.append((name, direction == "DESC"))
    return result


def parse_list_query(
    spec: KindSpec,
    query: Mapping[str, str],
    if_modified_since: str | None,
    config: XeroSimConfig,
) -> ListQuery:
    """Read paging, filters and order from the query string; raises SimBadRequest."""
    parsed = ListQuery(page_size=config.default_page_size)
    if "page" in query:
        parsed.page = _positive_int("page", query["page"])
    if "pageSize" in query:
        parsed.page_size = min(_positive_int("pageSize", query["pageSize"]), config.max_page_size)
    parsed.modified_since = parse_modified_since(if_modified_since)
    if query.get("where", "").strip():
        try:
            parsed.where = parse_where(query["where"], spec.where_fields)
        except WhereError as exc:
            raise query_error(str(exc)) from None
    parsed.order = _order(spec, query.get("order"))
    params = spec.list_params
    if "IDs" in params:
        parsed.ids = _guids("IDs", query.get("IDs"))
    if "ContactIDs" in params:
        parsed.contact_ids = _guids("ContactIDs", query.get("ContactIDs"))
    if "Statuses" in params and (statuses := _csv(query.get("Statuses"))) is not None:
        parsed.statuses = {status.upper() for status in statuses}
    if "InvoiceNumbers" in params and (numbers := _csv(query.get("InvoiceNumbers"))) is not None:
        parsed.numbers = set(numbers)
    if "References" in params and (references := _csv(query.get("References"))) is not None:
        parsed.references = set(references)
    if "includeArchived" in params:
        parsed.include_archived = parse_bool("includeArchived", query.get("includeArchived"))
    if "summaryOnly" in params:
        parsed.summary_only = parse_bool("summaryOnly", query.get("summaryOnly"))
    if "searchTerm" in params and query.get("searchTerm", "").strip():
        parsed.search_term = query["searchTerm"].strip().casefold()
    return parsed


def _cheap_match(spec: KindSpec, query: ListQuery, record: Record) -> bool:
    """Filters decidable from the stored record without rendering it."""
    if query.modified_since is not None and record.updated_at <= query.modified_since:
        return False
    if query.ids is not None and record.id not in query.ids:
        return False
    status = record.data.get(spec.status_field)
    if query.statuses is not None and status not in query.statuses:
        return False
    hidden = spec.hides_archived and status in ("ARCHIVED", "GDPRREQUEST")
    return query.include_archived or not hidden


def _rendered_match(spec: KindSpec, query: ListQuery, item: Mapping[str, Any]) -> bool:
    if query.contact_ids is not None:
        contact = dotted_get(item, spec.contact_path)
        if contact is None or str(contact).lower() not in query.contact_ids:
            return False
    if query.numbers is not None and item.get("InvoiceNumber") not in query.numbers:
        return False
    if query.references is not None and item.get("Reference") not in query.references:
        return False
    if query.search_term is not None:
        haystack = (str(dotted_get(item, name) or "").casefold() for name in spec.search_fields)
        if not any(query.search_term in text for text in haystack):
            return False
    return query.where is None or evaluate(query.where, item, spec.where_fields)


def _sort_key(spec: KindSpec, name: str) -> Callable[[dict[str, Any]], tuple[bool, Any]]:
    kind = spec.where_fields[name]

    def key(item: dict[str, Any]) -> tuple[bool, Any]:
        value = dotted_get(item, name)
        if value is None:
            return (True, "")
        if kind == "number":
            return (False, float(value))
        if kind in ("date", "datetime"):
            return (False, parse_instant(value))
        return (False, str(value).casefold())

    return key


def run_list(
    spec: KindSpec,
    query: ListQuery,
    records: Iterable[Record],
    render: Renderer,
) -> tuple[list[dict[str, Any]], dict[str, int] | None]:
    """Filter, order and page records; returns the rendered items and the `pagination` object."""
    candidates = [record for record in records if _cheap_match(spec, query, record)]
    needs_render = (
        query.where is not None
        or query.order
        or query.contact_ids is not None
        or query.numbers is not None
        or query.references is not None
        or query.search_term is not None
        or query.page is None
    )
    pagination: dict[str, int] | None = None
    if needs_render:
        items = [render(record) for record in candidates]
        items = [item for item in items if _rendered_match(spec, query, item)]
        for name, descending in reversed(query.order):
            items.sort(key=_sort_key(spec, name), reverse=descending)
        if query.page is not None:
            pagination = _pagination(query, len(items))
            start = (query.page - 1) * query.page_size
            items = items[start : start + query.page_size]
    else:
        assert query.page is not None
        pagination = _pagination(query, len(candidates))
        start = (query.page - 1) * query.page_size
        items = [render(record) for record in candidates[start : start + query.page_size]]
    omit = spec.summary_omit if query.summary_only else frozenset()
    if query.page is None:
        omit = omit | spec.unpaged_omit
    if omit:
        items = [{k: v for k, v in item.items() if k not in omit} for item in items]
    return items, pagination


def _pagination(query: ListQuery, count: int) -> dict[str, int]:
    assert query.page is not None
    return {
        "page": query.page,
        "pageSize": query.page_size,
        "pageCount": math.ceil(count / query.page_size),
        "itemCount": count,
    }
