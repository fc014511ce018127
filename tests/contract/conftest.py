"""Contract fixtures: the official Xero Accounting spec, located and loaded once per session."""

from __future__ import annotations

from typing import Any

import pytest

from tests.spec import SpecUnavailable, load_openapi, load_spec_dict


@pytest.fixture(scope="session")
def xero_spec() -> dict[str, Any]:
    """The parsed spec; skips (with the reason) only when no copy can be found or fetched."""
    try:
        return load_spec_dict()
    except SpecUnavailable as exc:
        pytest.skip(f"Xero OpenAPI spec unavailable: {exc}")


@pytest.fixture(scope="session")
def openapi(xero_spec: dict[str, Any]) -> Any:
    """openapi-core's validator for the spec."""
    return load_openapi()
