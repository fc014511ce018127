"""The simulator's identity server: grants, PKCE, rotation with grace, expiry, tenants."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from xerowatch.sim.xero import XeroSim, s256

API = "/api.xro/2.0"
REDIRECT = "http://localhost:8765/callback"
VERIFIER = "v" * 43 + "erifier-with-enough-entropy"


def _basic(client_id: str = "sim-client", secret: str = "sim-secret") -> dict[str, str]:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


@pytest.fixture
async def raw(xero_sim: XeroSim) -> Any:
    """A client with no default credentials."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=xero_sim.app), base_url="http://sim"
    ) as client:
        yield client


async def _api(raw: httpx.AsyncClient, token: str, tenant: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    if tenant is not None:
        headers["xero-tenant-id"] = tenant
    return await raw.get(f"{API}/Contacts", headers=headers)


async def _refresh(raw: httpx.AsyncClient, refresh_token: str) -> httpx.Response:
    return await raw.post(
        "/connect/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        headers=_basic(),
    )


async def test_client_credentials_needs_no_tenant_header(xero_sim, xero_tenant, raw):
    response = await raw.post(
        "/connect/token", data={"grant_type": "client_credentials"}, headers=_basic()
    )
    token = response.json()
    assert response.status_code == 200
    assert (token["token_type"], token["expires_in"]) == ("Bearer", 1800)
    assert "refresh_token" not in token
    assert (await _api(raw, token["access_token"], None)).status_code == 200
    wrong = await raw.post(
        "/connect/token", data={"grant_type": "client_credentials"}, headers=_basic(secret="x")
    )
    assert (wrong.status_code, wrong.json()) == (400, {"error": "invalid_client"})


async def test_authorization_code_with_pkce(xero_sim, xero_tenant, raw):
    authorize = await raw.get(
        "/identity/connect/authorize",
        params={
            "response_type": "code",
            "client_id": "sim-client",
            "redirect_uri": REDIRECT,
            "scope": "openid offline_access accounting.contacts",
            "state": "st4te",
            "code_challenge": s256(VERIFIER),
            "code_challenge_method": "S256",
        },
    )
    assert authorize.status_code == 302
    location = authorize.headers["location"]
    query = parse_qs(urlsplit(location).query)
    assert location.startswith(REDIRECT) and query["state"] == ["st4te"]
    exchange = {
        "grant_type": "authorization_code",
        "code": query["code"][0],
        "redirect_uri": REDIRECT,
        "client_id": "sim-client",
    }

    wrong = await raw.post("/connect/token", data={**exchange, "code_verifier": "w" * 43})
    assert wrong.json() == {"error": "invalid_grant"}

    # a failed exchange burns the code, as a real identity server does
    again = await raw.get(authorize.request.url)
    exchange["code"] = parse_qs(urlsplit(again.headers["location"]).query)["code"][0]
    good = await raw.post("/connect/token", data={**exchange, "code_verifier": VERIFIER})
    replay = await raw.post("/connect/token", data={**exchange, "code_verifier": VERIFIER})

    tokens = good.json()
    assert good.status_code == 200
    assert {"access_token", "refresh_token", "id_token", "scope"} <= set(tokens)
    assert replay.json() == {"error": "invalid_grant"}
    assert (await _api(raw, tokens["access_token"], xero_tenant)).status_code == 200


async def test_denied_consent_redirects_with_the_error(xero_sim, raw):
    xero_sim.identity.deny_consent = "access_denied"
    response = await raw.get(
        "/identity/connect/authorize",
        params={
            "response_type": "code",
            "client_id": "sim-client",
            "redirect_uri": REDIRECT,
            "scope": "offline_access",
            "state": "s",
        },
    )
    assert parse_qs(urlsplit(response.headers["location"]).query) == {
        "error": ["access_denied"],
        "state": ["s"],
    }


async def test_refresh_rotates_and_the_old_token_has_a_grace_period(
    xero_sim, xero_clock, xero_token, raw
):
    first = await _refresh(raw, xero_token["refresh_token"])
    rotated = first.json()["refresh_token"]
    assert rotated != xero_token["refresh_token"]

    xero_clock.advance(1700)
    # the answer to the first refresh was "lost": the old token still works within the grace
    retry = await _refresh(raw, xero_token["refresh_token"])
    assert retry.status_code == 200

    xero_clock.advance(200)
    stale = await _refresh(raw, xero_token["refresh_token"])
    current = await _refresh(raw, retry.json()["refresh_token"])
    assert (stale.status_code, stale.json()) == (400, {"error": "invalid_grant"})
    assert current.status_code == 200


async def test_unknown_and_revoked_refresh_tokens_are_invalid_grant(xero_token, raw):
    unknown = await _refresh(raw, "nope")
    revoke = await raw.post(
        "/connect/revocation", data={"token": xero_token["refresh_token"]}, headers=_basic()
    )
    revoked = await _refresh(raw, xero_token["refresh_token"])
    assert unknown.json() == {"error": "invalid_grant"}
    assert revoke.status_code == 200
    assert revoked.json() == {"error": "invalid_grant"}
    assert (await _api(raw, xero_token["access_token"], None)).status_code == 401


async def test_expired_access_token_is_a_problem_details_401(
    xero_clock, xero_tenant, xero_token, raw
):
    xero_clock.advance(1800)
    response = await _api(raw, xero_token["access_token"], xero_tenant)
    problem = response.json()
    assert response.status_code == 401
    assert (problem["Title"], problem["Status"]) == ("Unauthorized", 401)
    assert problem["Detail"].startswith("TokenExpired: token expired at")
    assert response.headers["Xero-Correlation-Id"]
    garbage = await _api(raw, "garbage", xero_tenant)
    assert garbage.json()["Detail"] == "AuthenticationUnsuccessful"


async def test_missing_or_foreign_tenant_is_403(xero_sim, xero_tenant, xero_token, raw):
    other = xero_sim.add_tenant("Other org")
    for tenant in (None, other, "not-a-tenant"):
        response = await _api(raw, xero_token["access_token"], tenant)
        assert response.status_code == 403
        assert response.json()["Detail"] == "AuthenticationUnsuccessful"


async def test_connections_list_and_disconnect(xero_sim, xero_tenant, xero_token, raw):
    headers = {"Authorization": f"Bearer {xero_token['access_token']}"}
    listed = await raw.get("/connections", headers=headers)
    connection = listed.json()[0]
    assert set(connection) == {
        "id",
        "authEventId",
        "tenantId",
        "tenantType",
        "tenantName",
        "createdDateUtc",
        "updatedDateUtc",
    }
    assert (connection["tenantId"], connection["tenantName"]) == (xero_tenant, "Demo RTO")
    filtered = await raw.get("/connections", headers=headers, params={"authEventId": "other"})
    assert filtered.json() == []

    deleted = await raw.delete(f"/connections/{connection['id']}", headers=headers)
    assert deleted.status_code == 204
    assert (await raw.get("/connections", headers=headers)).json() == []
    assert (await _api(raw, xero_token["access_token"], xero_tenant)).status_code == 403


async def test_identity_calls_are_logged(xero_sim, xero_token, raw):
    await _refresh(raw, xero_token["refresh_token"])
    await _refresh(raw, "bad")
    assert xero_sim.calls("POST", "/connect/token") == 2
    assert xero_sim.calls("POST", "/connect/token", status=400) == 1
