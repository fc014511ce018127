"""Fixtures for the simulator tests: the official Xero spec, a simulator, and a client for it."""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from tests.spec import SpecUnavailable, load_openapi
from xerowatch.clock import FakeClock
from xerowatch.sim.xero import XeroSim, XeroSimConfig

API = "/api.xro/2.0"


@pytest.fixture(scope="session")
def xero_spec() -> Any:
    """The official accounting spec as an openapi-core OpenAPI object (found and loaded once).

    Same lookup as the contract tests: $XEROWATCH_XERO_SPEC, ../shared, then the pinned
    download (sha256-checked); only with none of them do these tests skip, with the reason.
    """
    try:
        return load_openapi()
    except SpecUnavailable as exc:
        pytest.skip(f"Xero OpenAPI spec unavailable: {exc}")


SpecCheck = Callable[..., None]


@pytest.fixture
def spec_check(xero_spec: Any) -> SpecCheck:
    """Validate a simulator response (and the request that produced it) against the spec."""
    from openapi_core.testing import MockRequest, MockResponse

    def check(response: httpx.Response, *, request_too: bool = True) -> None:
        request = response.request
        assert response.status_code in (200, 400), "the spec only declares 200/400 bodies"
        mock_request = MockRequest(
            "https://api.xero.com",
            request.method.lower(),
            request.url.path,
            args=dict(request.url.params),
            headers=dict(request.headers),
            data=request.content or None,
        )
        mock_response = MockResponse(
            response.content, status_code=response.status_code, content_type="application/json"
        )
        with warnings.catch_warnings():
            # openapi-core cannot check OAuth2 and says so on every call
            warnings.filterwarnings("ignore", "Unsupported scheme type", UserWarning)
            if request_too:
                xero_spec.validate_request(mock_request)
            xero_spec.validate_response(mock_request, mock_response)

    return check


@pytest.fixture
def xero_clock() -> FakeClock:
    """Virtual time for the simulator."""
    return FakeClock()


@pytest.fixture
def xero_config() -> XeroSimConfig:
    """Default simulator settings (override in a test module to change limits)."""
    return XeroSimConfig()


@pytest.fixture
def xero_sim(xero_config: XeroSimConfig, xero_clock: FakeClock) -> XeroSim:
    """A simulator on virtual time."""
    return XeroSim(xero_config, xero_clock)


@pytest.fixture
def xero_tenant(xero_sim: XeroSim) -> str:
    """One organisation."""
    return xero_sim.add_tenant("Demo RTO")


@pytest.fixture
def xero_token(xero_sim: XeroSim, xero_tenant: str) -> dict[str, Any]:
    """A consented token response for the tenant."""
    return xero_sim.grant_authorization([xero_tenant])


@pytest.fixture
async def xero_http(
    xero_sim: XeroSim, xero_tenant: str, xero_token: dict[str, Any]
) -> AsyncIterator[httpx.AsyncClient]:
    """A client sending what the real xerowatch client sends: bearer, tenant and Accept."""
    headers = {
        "Authorization": f"Bearer {xero_token['access_token']}",
        "xero-tenant-id": xero_tenant,
        "Accept": "application/json",
    }
    transport = httpx.ASGITransport(app=xero_sim.app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://sim", headers=headers
    ) as client:
        yield client
