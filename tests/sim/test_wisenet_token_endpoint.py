"""The simulated Wisenet token endpoint rotates strictly: a spent refresh token is refused."""

from __future__ import annotations

import httpx

from xerowatch.sim.wisenet import WisenetSim
from xerowatch.sim.wisenet.oauth import SIM_CLIENT_ID, TOKEN_PATH


async def refresh(http: httpx.AsyncClient, token: str) -> httpx.Response:
    form = {"grant_type": "refresh_token", "refresh_token": token, "client_id": SIM_CLIENT_ID}
    return await http.post(TOKEN_PATH, data=form)


async def test_each_refresh_rotates_and_a_spent_token_is_refused() -> None:
    sim = WisenetSim()
    first = sim.oauth.grant()
    transport = httpx.ASGITransport(app=sim.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sim") as http:
        rotated = await refresh(http, first["refresh_token"])
        again = await refresh(http, first["refresh_token"])
        bearer = {"Authorization": f"Bearer {rotated.json()['access_token']}"}
        states = await http.get("/v1/combos/states", headers=bearer)
        forged = await http.get("/v1/combos/states", headers={"Authorization": "Bearer nope"})
    assert rotated.status_code == 200
    assert rotated.json()["refresh_token"] != first["refresh_token"]
    assert (again.status_code, again.json()) == (400, {"error": "invalid_grant"})
    assert [outcome for _, outcome in sim.oauth.refreshes] == ["rotated", "spent"]
    assert sim.oauth.live_refresh_tokens == {rotated.json()["refresh_token"]}
    assert (states.status_code, forged.status_code) == (200, 401)


async def test_another_client_is_refused() -> None:
    sim = WisenetSim()
    transport = httpx.ASGITransport(app=sim.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sim") as http:
        answer = await http.post(
            TOKEN_PATH,
            data={"grant_type": "refresh_token", "refresh_token": "x", "client_id": "other"},
        )
    assert (answer.status_code, answer.json()) == (401, {"error": "invalid_client"})
    assert sim.oauth.refreshes == []
