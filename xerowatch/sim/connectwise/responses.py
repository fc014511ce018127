"""ConnectWise's error answer (`ErrorResponseMessage` with `ValidationError` entries)."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse


def error(status: int, code: str, message: str, *problems: dict[str, str]) -> JSONResponse:
    """`{code, message, errors[]}` with the given status."""
    body: dict[str, Any] = {"code": code, "message": message}
    if problems:
        body["errors"] = list(problems)
    return JSONResponse(body, status_code=status)


def problem(code: str, message: str, field: str, resource: str = "") -> dict[str, str]:
    """One `ValidationError`: which field, and why."""
    entry = {"code": code, "message": message, "field": field}
    if resource:
        entry["resource"] = resource
    return entry
