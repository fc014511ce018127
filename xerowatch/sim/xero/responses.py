"""Response values and the error bodies Xero sends (ValidationException, problem details, …)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from xerowatch.sim.xero.dates import ms_json

PROVIDER_NAME = "xerowatch-sim"


@dataclass
class SimResponse:
    """A response before it becomes an ASGI response: cacheable for idempotent replays."""

    status: int
    body: Any = None
    """JSON-able value, or text for plain-text bodies, or None for an empty body."""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"

    def encoded(self) -> bytes:
        """Return the body as bytes."""
        if self.body is None:
            return b""
        if isinstance(self.body, str) and self.content_type.startswith("text/"):
            return self.body.encode()
        return json.dumps(self.body, separators=(",", ":")).encode()


class SimBadRequest(Exception):
    """A request the simulator answers with 400 and a Xero `Error` body."""

    def __init__(
        self,
        message: str,
        *,
        error_type: str = "ValidationException",
        error_number: int = 10,
        elements: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.error_type = error_type
        self.error_number = error_number
        self.elements = elements

    def response(self) -> SimResponse:
        """Render as Xero's 400 body (`components.schemas.Error`)."""
        body: dict[str, Any] = {
            "ErrorNumber": self.error_number,
            "Type": self.error_type,
            "Message": self.message,
        }
        if self.elements is not None:
            body["Elements"] = self.elements
        return SimResponse(400, body)


def query_error(message: str) -> SimBadRequest:
    """A bad `where`/`order`/paging parameter (Xero's QueryParseException)."""
    return SimBadRequest(message, error_type="QueryParseException", error_number=16)


def post_data_error(message: str) -> SimBadRequest:
    """A body that is not the JSON Xero expects (Xero's PostDataInvalidException)."""
    return SimBadRequest(message, error_type="PostDataInvalidException", error_number=14)


def validation_failed(elements: list[dict[str, Any]]) -> SimBadRequest:
    """The summarised 400 for a batch with element errors."""
    return SimBadRequest("A validation exception occurred", elements=elements)


def problem(status: int, detail: str) -> SimResponse:
    """A 401/403 problem-details body as Xero's API gateway sends it."""
    title = {401: "Unauthorized", 403: "Forbidden"}.get(status, "Error")
    return SimResponse(
        status,
        {
            "Type": None,
            "Title": title,
            "Status": status,
            "Detail": detail,
            "Instance": str(uuid.uuid4()),
            "Extensions": {},
        },
    )


def text(status: int, message: str, headers: dict[str, str] | None = None) -> SimResponse:
    """A plain-text response (Xero's 404/5xx pages are not JSON)."""
    return SimResponse(status, message, headers or {}, content_type="text/plain; charset=utf-8")


def not_found() -> SimResponse:
    """Xero's 404."""
    return text(404, "The resource you're looking for cannot be found")


def envelope(kind: str, items: list[dict[str, Any]], now: datetime, **extra: Any) -> SimResponse:
    """A 200 body shaped like `components.schemas.<kind>` with Xero's envelope fields."""
    body: dict[str, Any] = {
        "Id": str(uuid.uuid4()),
        "Status": "OK",
        "ProviderName": PROVIDER_NAME,
        "DateTimeUTC": ms_json(now),
    }
    body.update(extra)
    body[kind] = items
    return SimResponse(200, body)
