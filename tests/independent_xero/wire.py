"""Xero's wire format, written from the spec: MS-JSON dates, number amounts, envelopes, errors.

Records are kept as plain dicts of Python values (datetime, date, Decimal, str, nested dicts)
and turned into JSON only here, so every answer is rendered the same way.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import httpx

PROVIDER_NAME = "xerowatch independent fake"
ERROR_VALIDATION = (10, "ValidationException", "A validation exception occurred")
ERROR_POST_DATA = (14, "PostDataInvalidException", "The request body could not be read")
ERROR_QUERY_PARSE = (16, "QueryParseException", "The where filter could not be parsed")
ERROR_NOT_FOUND = (17, "ObjectNotFoundException", "The resource you're looking for cannot be found")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)


class BadRequest(Exception):
    """A request Xero would refuse as a whole with a 400."""

    def __init__(self, kind: tuple[int, str, str], detail: str = "") -> None:
        super().__init__(detail or kind[2])
        self.kind = kind
        self.detail = detail


def ms_json(value: datetime | date) -> str:
    """`/Date(<ms since epoch>+0000)/` — dates as midnight UTC, like the spec's examples."""
    instant = (
        value.astimezone(UTC)
        if isinstance(value, datetime)
        else datetime.combine(value, time(), tzinfo=UTC)
    )
    millis = (instant - _EPOCH) // _MILLISECOND
    return f"/Date({millis}+0000)/"


def date_string(value: date) -> str:
    """The `DateString` companion Xero sends beside a date (`2018-10-20T00:00:00`)."""
    return f"{value.isoformat()}T00:00:00"


@dataclass(frozen=True)
class Since:
    """An If-Modified-Since filter: "created or updated since the timestamp (accurate to the
    second)" (developer.xero.com, requests-and-responses). Whether a record stamped in that very
    second counts is not documented: inclusive by default, `strictly_after` for the other reading.
    """

    at: datetime
    strictly_after: bool = False

    def admits(self, updated: datetime) -> bool:
        """Whether a record last updated at `updated` is returned."""
        record, since = math.floor(updated.timestamp()), math.floor(self.at.timestamp())
        return record > since if self.strictly_after else record >= since


def parse_since(header: str, *, strictly_after: bool = False) -> Since:
    """Parse an If-Modified-Since value (ISO-8601; a value without an offset is UTC)."""
    try:
        parsed = datetime.fromisoformat(header.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(ERROR_VALIDATION, f"If-Modified-Since is not a date: {header}") from None
    return Since(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC), strictly_after)


def to_json_value(value: Any) -> Any:
    """Turn a stored Python value into its JSON form (amounts stay numbers, never strings)."""
    if isinstance(value, Mapping):
        return {key: to_json_value(item) for key, item in value.items() if item is not None}
    if isinstance(value, list | tuple):
        return [to_json_value(item) for item in value]
    if isinstance(value, datetime | date):
        return ms_json(value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def envelope(
    now: datetime,
    collection: str,
    items: Sequence[Mapping[str, Any]],
    pagination: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """The body of a list or write answer: `Id`, `Status`, `DateTimeUTC`, paging, the items."""
    body: dict[str, Any] = {
        "Id": str(uuid.uuid4()),
        "Status": "OK",
        "ProviderName": PROVIDER_NAME,
        "DateTimeUTC": ms_json(now),
    }
    if pagination is not None:
        body["pagination"] = dict(pagination)
    body[collection] = [to_json_value(item) for item in items]
    return body


def page_of(
    items: Sequence[Any], page: int | None, page_size: int | None, *, max_size: int = 1000
) -> tuple[Sequence[Any], dict[str, int] | None]:
    """Slice one page (default 100, at most `max_size`); no `page` means everything, unpaged."""
    if page is None:
        return items, None
    size = min(max(page_size or 100, 1), max_size)
    count = len(items)
    chunk = items[(page - 1) * size : page * size]
    paging = {"page": page, "pageSize": size, "pageCount": math.ceil(count / size)}
    paging["itemCount"] = count
    return chunk, paging


def error_body(
    kind: tuple[int, str, str], detail: str = "", elements: list[Any] | None = None
) -> dict[str, Any]:
    """A Xero API exception body (`ErrorNumber`, `Type`, `Message`, optional `Elements`)."""
    number, type_, message = kind
    body: dict[str, Any] = {"ErrorNumber": number, "Type": type_, "Message": detail or message}
    if elements is not None:
        body["Elements"] = [to_json_value(element) for element in elements]
    return body


def problem_body(status: int, title: str, detail: str) -> dict[str, Any]:
    """The problem-details body Xero sends with 401, 403 and 429."""
    return {
        "Type": None,
        "Title": title,
        "Status": status,
        "Detail": detail,
        "Instance": str(uuid.uuid4()),
        "Extensions": {},
    }


def json_response(
    status: int, body: Any, headers: Mapping[str, str] | None = None
) -> httpx.Response:
    """An httpx response carrying `body` as JSON."""
    content = json.dumps(body, separators=(",", ":")).encode("utf-8")
    merged = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    return httpx.Response(status, content=content, headers=merged)


def query_int(params: Mapping[str, str], name: str) -> int | None:
    """An integer query parameter, or None when absent; junk is a 400."""
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(ERROR_VALIDATION, f"{name} must be a whole number, got {raw!r}") from None
    if value < 1:
        raise BadRequest(ERROR_VALIDATION, f"{name} must be 1 or more, got {value}")
    return value


def query_bool(params: Mapping[str, str], name: str) -> bool:
    """A boolean query parameter (`true`/`false`, any case); absent is false."""
    raw = params.get(name, "").strip().lower()
    if raw in ("", "false"):
        return False
    if raw == "true":
        return True
    raise BadRequest(ERROR_VALIDATION, f"{name} must be true or false, got {raw!r}")


def query_list(params: Mapping[str, str], name: str) -> list[str]:
    """A comma-separated list parameter (`IDs`, `Statuses`); absent is empty."""
    return [part.strip() for part in params.get(name, "").split(",") if part.strip()]
