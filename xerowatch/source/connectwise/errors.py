"""ConnectWise's error shape (`ErrorResponseMessage`) turned into one clear line per failure."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from xerowatch.logs import redact
from xerowatch.source.port import SourceAuthError, SourceError

_HINTS = {
    400: "ConnectWise refused the request as malformed; it is not retried unchanged",
    401: "check [connectwise] company_id and the API member's public/private keys",
    403: (
        "the API member's security role lacks this permission (Finance > Accounting Interface, "
        "Invoicing, Companies, Procurement, Time & Expense: see docs/connectwise.md)"
    ),
    404: "the record is gone or the path is wrong (check [connectwise] codebase)",
    409: "the record is in use or conflicts with another",
}


@dataclass(frozen=True)
class FieldProblem:
    """One entry of ConnectWise's `errors[]` (`ValidationError`)."""

    code: str
    message: str
    field: str


class ConnectWiseError(SourceError):
    """ConnectWise answered with an error; `code` and `problems` come from its error body."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str = "",
        problems: tuple[FieldProblem, ...] = (),
        transient: bool = False,
    ) -> None:
        super().__init__(message, transient=transient)
        self.status = status
        self.code = code
        self.problems = problems

    @property
    def duplicate(self) -> bool:
        """ConnectWise said the object already exists (`errors[].code = "ObjectExists"`)."""
        return any(p.code == "ObjectExists" for p in self.problems)


class ConnectWiseAuthError(ConnectWiseError, SourceAuthError):
    """401: the company id or API keys are wrong, or the member was deactivated."""

    def __init__(self, message: str, *, code: str = "") -> None:
        ConnectWiseError.__init__(self, message, status=401, code=code)


def parse_error_body(response: httpx.Response) -> tuple[str, str, tuple[FieldProblem, ...]]:
    """Return (code, message, problems) from an `ErrorResponseMessage`, tolerating any body."""
    try:
        body: Any = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        text = " ".join(response.text.split())[:200]
        return "", text, ()
    if not isinstance(body, dict):
        return "", "", ()
    problems = tuple(
        FieldProblem(
            code=str(item.get("code") or ""),
            message=str(item.get("message") or ""),
            field=str(item.get("field") or ""),
        )
        for item in body.get("errors") or []
        if isinstance(item, dict)
    )
    return str(body.get("code") or ""), str(body.get("message") or ""), problems


def error_for(response: httpx.Response, method: str, path: str) -> ConnectWiseError:
    """The exception for a non-retryable error answer: what, why, and the fix, on one line."""
    status = response.status_code
    code, message, problems = parse_error_body(response)
    said = "; ".join(
        part
        for part in [
            f"{code}: {message}" if code and message else code or message,
            *(f"{p.field or p.code}: {p.message}" for p in problems if p.message or p.field),
        ]
        if part
    )
    hint = _HINTS.get(status, "")
    text = f"ConnectWise {method} {path}: HTTP {status}"
    if said:
        text += f" ({redact(said)[:300]})"
    if hint:
        text += f" — {hint}"
    if status == 401:
        return ConnectWiseAuthError(text, code=code)
    return ConnectWiseError(text, status=status, code=code, problems=problems)
