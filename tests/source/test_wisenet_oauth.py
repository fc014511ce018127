"""Wisenet OAuth 2.1: PKCE, code exchange, refresh rotation in the store, 401, reconnect."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx
from pydantic import SecretStr

from xerowatch.clock import FakeClock
from xerowatch.config import WisenetSettings
from xerowatch.oauth.pkce import PkcePair, new_pkce_pair
from xerowatch.oauth.token_client import TokenResponse
from xerowatch.source.port import SourceError
from xerowatch.source.wisenet import build_wisenet_source
from xerowatch.source.wisenet.oauth import (
    OAuthAuth,
    authorize_url,
    exchange_code,
    store_authorization,
)
from xerowatch.store.db import Store, open_store
from xerowatch.store.token_store import StoreTokens
from xerowatch.store.tokens import list_connections

API = "https://api.wisenet.co/v1"
TOKEN_URL = "https://auth.wisenet.test/oauth/token"
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

SETTINGS = WisenetSettings(
    auth_mode="oauth",
    api_key=SecretStr("kept-key"),
    oauth_client_id="client-1",
    oauth_authorize_url="https://auth.wisenet.test/authorize",
    oauth_token_url=TOKEN_URL,
    oauth_scopes="learners.read invoices.write offline_access",
)


@pytest.fixture
async def store(tmp_path: Path):
    opened = await open_store(tmp_path / "x.db")
    yield opened
    await opened.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


async def connect(store: Store, *, expires_in: int = 3600) -> str:
    tokens = TokenResponse(
        access_token=SecretStr("access-1"),
        refresh_token=SecretStr("refresh-1"),
        expires_in=expires_in,
        scope="learners.read",
    )
    return await store_authorization(StoreTokens(store), tokens, now=NOW)


def test_pkce_pair_uses_s256() -> None:
    pair = new_pkce_pair()
    verifier = pair.verifier.get_secret_value()
    assert 43 <= len(verifier) <= 128
    digest = hashlib.sha256(verifier.encode()).digest()
    assert pair.challenge == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert verifier not in repr(pair)


def test_authorize_url_carries_the_pkce_challenge() -> None:
    pair = new_pkce_pair()
    url = authorize_url(SETTINGS, redirect_uri="http://localhost:8765/cb", state="s1", pkce=pair)
    query = parse_qs(urlsplit(url).query)
    assert url.startswith("https://auth.wisenet.test/authorize?")
    assert query["code_challenge"] == [pair.challenge]
    assert query["code_challenge_method"] == ["S256"]
    assert query["client_id"] == ["client-1"]
    assert query["scope"] == ["learners.read invoices.write offline_access"]
    assert query["state"] == ["s1"]


def test_missing_oauth_settings_are_named() -> None:
    with pytest.raises(SourceError, match=r"\[wisenet\] oauth_authorize_url"):
        authorize_url(WisenetSettings(), redirect_uri="x", state="s", pkce=new_pkce_pair())


@respx.mock
async def test_exchange_code_posts_code_and_verifier(store: Store) -> None:
    route = respx.post(TOKEN_URL).respond(
        json={"access_token": "a-secret", "refresh_token": "r", "expires_in": 900, "scope": "x"}
    )
    async with httpx.AsyncClient() as http:
        tokens = await exchange_code(
            http,
            SETTINGS,
            code="c0de",
            pkce=PkcePair(SecretStr("v" * 50), "c"),
            redirect_uri="http://localhost/cb",
        )
    form = parse_qs(route.calls.last.request.content.decode())
    assert form == {
        "grant_type": ["authorization_code"],
        "code": ["c0de"],
        "code_verifier": ["v" * 50],
        "redirect_uri": ["http://localhost/cb"],
        "client_id": ["client-1"],
    }
    assert tokens.issued(NOW).access_expires_at == NOW + timedelta(seconds=900)
    assert "a-secret" not in repr(tokens)


async def test_store_authorization_keeps_one_wisenet_connection(store: Store) -> None:
    first = await connect(store)
    second = await connect(store)
    assert first == second
    (conn,) = await list_connections(store, provider="wisenet")
    assert conn.access_token is not None and conn.access_token.get_secret_value() == "access-1"


async def test_store_authorization_needs_a_refresh_token(store: Store) -> None:
    with pytest.raises(SourceError, match="no refresh token"):
        await store_authorization(
            StoreTokens(store), TokenResponse(access_token=SecretStr("a")), now=NOW
        )


@respx.mock
async def test_headers_send_bearer_and_api_key(store: Store, clock: FakeClock) -> None:
    await connect(store)
    async with httpx.AsyncClient() as http:
        auth = OAuthAuth(store=StoreTokens(store), settings=SETTINGS, http=http, clock=clock)
        assert await auth.headers() == {"Authorization": "Bearer access-1", "x-api-key": "kept-key"}
    assert "access-1" not in repr(auth)


@respx.mock
async def test_token_near_expiry_is_refreshed_and_rotation_committed(
    store: Store, clock: FakeClock
) -> None:
    await connect(store, expires_in=600)
    route = respx.post(TOKEN_URL).respond(
        json={"access_token": "access-2", "refresh_token": "refresh-2", "expires_in": 3600}
    )
    clock.advance(570)  # 30 s left: inside the 60 s margin
    async with httpx.AsyncClient() as http:
        auth = OAuthAuth(store=StoreTokens(store), settings=SETTINGS, http=http, clock=clock)
        headers = await auth.headers()
        assert headers["Authorization"] == "Bearer access-2"
        await auth.headers()  # fresh now: no second refresh
    assert route.call_count == 1
    form = parse_qs(route.calls.last.request.content.decode())
    assert form["grant_type"] == ["refresh_token"] and form["refresh_token"] == ["refresh-1"]
    (conn,) = await list_connections(store, provider="wisenet")
    assert conn.refresh_token is not None and conn.refresh_token.get_secret_value() == "refresh-2"
    assert conn.previous_refresh_token is not None
    assert conn.previous_refresh_token.get_secret_value() == "refresh-1"
    assert not conn.refresh_pending


@respx.mock
async def test_a_401_from_the_api_refreshes_once_and_retries(
    store: Store, clock: FakeClock
) -> None:
    await connect(store)
    token = respx.post(TOKEN_URL).respond(
        json={"access_token": "access-2", "refresh_token": "refresh-2", "expires_in": 3600}
    )

    def answer(request: httpx.Request) -> httpx.Response:
        if request.headers["authorization"] == "Bearer access-2":
            return httpx.Response(404, json={"Message": "Learner 5 not found."})
        return httpx.Response(401, json={"Message": "token revoked"})

    api = respx.get(f"{API}/learnersAU/5").mock(side_effect=answer)
    async with httpx.AsyncClient() as http:
        auth = OAuthAuth(store=StoreTokens(store), settings=SETTINGS, http=http, clock=clock)
        source = build_wisenet_source(SETTINGS, clock=clock, auth=auth, http=http)
        assert await source.get_learner("5") is None
    assert token.call_count == 1
    assert api.call_count == 2


@respx.mock
async def test_invalid_grant_marks_the_connection_for_reconnect(
    store: Store, clock: FakeClock
) -> None:
    await connect(store, expires_in=30)
    respx.post(TOKEN_URL).respond(400, json={"error": "invalid_grant"})
    async with httpx.AsyncClient() as http:
        auth = OAuthAuth(store=StoreTokens(store), settings=SETTINGS, http=http, clock=clock)
        with pytest.raises(SourceError, match="must authorise xerowatch in Wisenet again") as info:
            await auth.headers()
        assert info.value.transient is False
        assert "refresh-1" not in str(info.value)
        (conn,) = await list_connections(store, provider="wisenet")
        assert conn.status == "needs_reconnect"
        with pytest.raises(SourceError, match="needs reconnecting"):
            await OAuthAuth(
                store=StoreTokens(store), settings=SETTINGS, http=http, clock=clock
            ).headers()


@respx.mock
async def test_a_lost_refresh_answer_is_retried_with_the_same_token(
    store: Store, clock: FakeClock
) -> None:
    await connect(store, expires_in=30)
    route = respx.post(TOKEN_URL).mock(
        side_effect=[
            httpx.ReadTimeout("lost"),
            httpx.Response(
                200,
                json={
                    "access_token": "access-2",
                    "refresh_token": "refresh-2",
                    "expires_in": 60 * 60,
                },
            ),
        ]
    )
    async with httpx.AsyncClient() as http:
        auth = OAuthAuth(store=StoreTokens(store), settings=SETTINGS, http=http, clock=clock)
        # 30 s left: inside the refresh margin but still valid, so the old token is used.
        assert (await auth.headers())["Authorization"] == "Bearer access-1"
        (conn,) = await list_connections(store, provider="wisenet")
        assert conn.refresh_pending
        clock.advance(40)  # now expired: the pending refresh must be retried
        assert (await auth.headers())["Authorization"] == "Bearer access-2"
    sent = [parse_qs(c.request.content.decode())["refresh_token"] for c in route.calls]
    assert sent == [["refresh-1"], ["refresh-1"]]


@respx.mock
async def test_an_unreachable_token_endpoint_with_an_expired_token_is_transient(
    store: Store, clock: FakeClock
) -> None:
    await connect(store, expires_in=30)
    clock.advance(60)
    respx.post(TOKEN_URL).respond(503)
    async with httpx.AsyncClient() as http:
        auth = OAuthAuth(store=StoreTokens(store), settings=SETTINGS, http=http, clock=clock)
        with pytest.raises(SourceError, match="unavailable") as info:
            await auth.headers()
        assert info.value.transient is True
        (conn,) = await list_connections(store, provider="wisenet")
        assert conn.status == "connected"
        assert conn.refresh_pending  # the bracket stays open: the answer may have been used


async def test_no_connection_is_a_clear_permanent_error(store: Store, clock: FakeClock) -> None:
    async with httpx.AsyncClient() as http:
        auth = OAuthAuth(store=StoreTokens(store), settings=SETTINGS, http=http, clock=clock)
        with pytest.raises(SourceError, match="no Wisenet OAuth connection") as info:
            await auth.headers()
    assert info.value.transient is False


@respx.mock
async def test_a_second_401_after_refreshing_is_permanent(store: Store, clock: FakeClock) -> None:
    await connect(store)
    token = respx.post(TOKEN_URL).respond(
        json={"access_token": "access-2", "refresh_token": "refresh-2", "expires_in": 3600}
    )
    api = respx.get(f"{API}/learnersAU/5").respond(401, json={"Message": "denied"})
    async with httpx.AsyncClient() as http:
        auth = OAuthAuth(store=StoreTokens(store), settings=SETTINGS, http=http, clock=clock)
        source = build_wisenet_source(SETTINGS, clock=clock, auth=auth, http=http)
        with pytest.raises(SourceError, match="even after a refresh") as info:
            await source.get_learner("5")
    assert info.value.transient is False
    assert (token.call_count, api.call_count) == (1, 2)
