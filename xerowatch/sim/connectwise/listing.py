"""List answers as ConnectWise gives them: conditions, orderBy, page/pageSize, Link headers.

Navigable paging (`page`) answers with Link first/prev/next/last; a request with the header
`pagination-type: forward-only` is paged by `pageId` (records with a larger id) and gets only
`rel="next"` while more records follow.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request

from xerowatch.sim.connectwise.conditions import (
    ConditionSyntaxError,
    field_value,
    parse_conditions,
)

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 25


class ListError(ValueError):
    """A list request ConnectWise would refuse with 400."""


def _int(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ListError(f"{name} must be a whole number") from None


def filtered(request: Request, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records matching `conditions`, in `orderBy` order (default id asc)."""
    try:
        predicate = parse_conditions(request.query_params.get("conditions", ""))
    except ConditionSyntaxError as exc:
        raise ListError(f"conditions: {exc}") from None
    chosen = [r for r in records if predicate(r)]
    order = request.query_params.get("orderBy", "id asc").strip().split()
    field = order[0] if order else "id"
    descending = len(order) > 1 and order[1].lower() == "desc"
    chosen.sort(key=lambda r: (field_value(r, field) is None, field_value(r, field) or 0))
    if descending:
        chosen.reverse()
    return chosen


def _link(request: Request, params: dict[str, Any], *, drop_conditions: bool) -> str:
    query = {k: v for k, v in request.query_params.items() if k not in ("page", "pageId")}
    if drop_conditions:
        query.pop("conditions", None)
    query.update(params)
    return f"{request.url.replace(query=urlencode(query))}"


def paged(
    request: Request,
    records: list[dict[str, Any]],
    *,
    link_headers: bool = True,
    drop_conditions: bool = False,
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """One page of `records` (already filtered and ordered) and the Link header for it."""
    size = _int(request, "pageSize", DEFAULT_PAGE_SIZE)
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ListError(f"pageSize must be between 1 and {MAX_PAGE_SIZE}")
    links: list[str] = []
    if request.headers.get("pagination-type", "").lower() == "forward-only":
        after = _int(request, "pageId", 0)
        rest = [r for r in records if int(r["id"]) > after]
        page = rest[:size]
        if len(rest) > size:
            links.append(
                f"<{_link(request, {'pageId': page[-1]['id']}, drop_conditions=drop_conditions)}>; "
                'rel="next"'
            )
    else:
        number = _int(request, "page", 1)
        if number < 1:
            raise ListError("page must be 1 or more")
        page = records[(number - 1) * size : number * size]
        last = max(1, -(-len(records) // size))
        rels = {"first": 1, "last": last}
        if number > 1:
            rels["prev"] = number - 1
        if number < last:
            rels["next"] = number + 1
        for rel, target in rels.items():
            url = _link(request, {"page": target}, drop_conditions=drop_conditions)
            links.append(f'<{url}>; rel="{rel}"')
    headers = {"Link": ", ".join(links)} if link_headers and links else {}
    return page, headers
