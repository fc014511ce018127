"""XeroTokenManager: rotation, grace, one refresher, invalid_grant, crash recovery, secrecy."""

from __future__ import annotations

import base64
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import anyio
import httpx
import pytest
import respx
from pydantic import SecretStr

from tests.xero.fake_identity import CLIENT_ID, CLIENT_SECRET, TOKEN_URL, FakeXeroIdentity
from xerowatch.clock import FakeClock
from xerowatch.config import ConfigError, XeroSettings
from xerowatch.store import tokens as token_store
from xerowatch.store.alerts import open_alerts
from xerowatch.store.db import Store, open_store
from xerowatch.store.token_store import StoreTokens
from xerowatch.store.tokens import IssuedTokens, create_connection, load_connection
from xerowatch.xero.auth import TokenResponse, XeroTokenManager
from xerowatch.xero.errors import XeroAuthError, XeroTransientError

SETTINGS = XeroSettings(client_id=CLIENT_ID, max_retries=3)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "x.db"


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[Store]:
    opened = await open_store(db_path)
    yield opened
    await opened.close()


@pytest.fixture
def identity(clock: FakeClock) -> FakeXeroIdentity:
    return FakeXeroIdentity(clock)


@pytest.fixture
def token_route(identity: FakeXeroIdentity) -> Iterator[respx.Route]:
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as mock:
        yield mock.post(TOKEN_URL).mock(side_effect=identity.handler)


async def seed(store: Store, clock: FakeClock, *, seconds_left: float, refresh: str = "refresh-0"):
    tokens = IssuedTokens(
        access_token=SecretStr("access-0"),
        access_expires_at=clock.now() + timedelta(seconds=seconds_left),
        refresh_token=SecretStr(refresh),
        scopes="offline_access accounting.contacts",
    )
    return await create_connection(
        store, provider="xero", auth_mode="authorization_code", tokens=tokens, now=clock.now()
    )


def manager(store: Store, clock: FakeClock, http: httpx.AsyncClient, settings=SETTINGS):
    return XeroTokenManager(store=StoreTokens(store), settings=settings, http=http, clock=clock)


async def test_a_fresh_token_is_served_without_calling_xero(store, clock, token_route):
    cid = await seed(store, clock, seconds_left=600)
    async with httpx.AsyncClient() as http:
        assert await manager(store, clock, http).access_token(cid) == "access-0"
    assert token_route.call_count == 0


@pytest.mark.parametrize(("seconds_left", "refreshes"), [(61, 0), (59, 1), (-5, 1)])
async def test_refreshes_when_less_than_a_minute_is_left(
    store, clock, token_route, seconds_left, refreshes
):
    cid = await seed(store, clock, seconds_left=seconds_left)
    async with httpx.AsyncClient() as http:
        token = await manager(store, clock, http).access_token(cid)
    assert token_route.call_count == refreshes
    assert token == ("access-1" if refreshes else "access-0")


async def test_rotation_commits_the_new_pair_and_keeps_the_old_refresh_token(
    store, clock, identity, token_route, db_path
):
    cid = await seed(store, clock, seconds_left=-1)
    async with httpx.AsyncClient() as http:
        token = await manager(store, clock, http).access_token(cid)
    assert token == "access-1"
    assert identity.refresh_tokens_sent() == ["refresh-0"]
    assert identity.forms[0]["client_id"] == "client-abc"  # a PKCE app has no secret
    # Read back through a second connection to the file: the pair is durable, not cached.
    other = await open_store(db_path)
    try:
        stored = await load_connection(other, cid)
    finally:
        await other.close()
    assert stored is not None
    assert stored.access_token == SecretStr("access-1")
    assert stored.refresh_token == SecretStr("refresh-1")
    assert stored.previous_refresh_token == SecretStr("refresh-0")
    assert stored.rotated_at == clock.now()
    assert stored.refresh_started_at is None
    assert stored.access_expires_at == clock.now() + timedelta(seconds=1800)


async def test_the_new_token_is_not_handed_out_when_its_commit_fails(
    store, clock, token_route, monkeypatch
):
    cid = await seed(store, clock, seconds_left=-1)

    async def disk_full(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(token_store, "commit_rotation", disk_full)
    async with httpx.AsyncClient() as http:
        with pytest.raises(OSError, match="disk full"):
            await manager(store, clock, http).access_token(cid)
    stored = await load_connection(store, cid)
    assert stored is not None
    assert stored.refresh_token == SecretStr("refresh-0")
    assert stored.refresh_pending


@pytest.mark.parametrize(
    "failure",
    ["answer_lost_after_rotation", "connect_error", "server_error", "garbled_200"],
)
async def test_a_lost_answer_is_retried_with_the_same_refresh_token(
    store, clock, identity, token_route, failure
):
    if failure == "answer_lost_after_rotation":
        identity.lose_answers = 1
    elif failure == "connect_error":
        identity.scripted = [httpx.ConnectError("refused")]
    elif failure == "server_error":
        identity.scripted = [httpx.Response(503, text="Service Unavailable")]
    else:
        identity.scripted = [httpx.Response(200, text="<html>proxy</html>")]
    cid = await seed(store, clock, seconds_left=-1)
    async with httpx.AsyncClient() as http:
        token = await manager(store, clock, http).access_token(cid)
    assert identity.refresh_tokens_sent() == ["refresh-0", "refresh-0"]
    assert token == f"access-{identity.serial}"
    stored = await load_connection(store, cid)
    assert stored is not None
    assert stored.status == "connected"
    assert stored.refresh_token == SecretStr(identity.current_refresh)
    assert stored.previous_refresh_token == SecretStr("refresh-0")


async def test_ten_concurrent_callers_with_an_expired_token_cause_one_refresh(
    store, clock, token_route
):
    cid = await seed(store, clock, seconds_left=-1)
    results: list[str] = []
    async with httpx.AsyncClient() as http:
        tokens = manager(store, clock, http)

        async def call() -> None:
            results.append(await tokens.access_token(cid))

        async with anyio.create_task_group() as group:
            for _ in range(10):
                group.start_soon(call)
    assert token_route.call_count == 1
    assert results == ["access-1"] * 10


async def test_a_second_manager_on_the_same_store_uses_the_committed_token(
    store, clock, token_route
):
    cid = await seed(store, clock, seconds_left=-1)
    async with httpx.AsyncClient() as http:
        assert await manager(store, clock, http).access_token(cid) == "access-1"
        assert await manager(store, clock, http).access_token(cid) == "access-1"
    assert token_route.call_count == 1


async def test_concurrent_forced_refreshes_after_a_401_refresh_once(store, clock, token_route):
    cid = await seed(store, clock, seconds_left=900)
    async with httpx.AsyncClient() as http:
        tokens = manager(store, clock, http)
        assert await tokens.access_token(cid) == "access-0"
        results: list[str] = []

        async def rejected() -> None:
            results.append(await tokens.access_token(cid, force_refresh=True))

        async with anyio.create_task_group() as group:
            for _ in range(3):
                group.start_soon(rejected)
    assert token_route.call_count == 1
    assert results == ["access-1"] * 3


async def test_invalid_grant_needs_reconnect_raises_an_alert_and_never_loops(
    store, clock, identity, token_route
):
    cid = await seed(store, clock, seconds_left=-1, refresh="refresh-revoked")
    async with httpx.AsyncClient() as http:
        tokens = manager(store, clock, http)
        with pytest.raises(XeroAuthError) as first:
            await tokens.access_token(cid)
        assert first.value.needs_reconnect
        assert "xerowatch connect" in str(first.value)
        with pytest.raises(XeroAuthError) as second:
            await tokens.access_token(cid)
        assert second.value.needs_reconnect
        # A new manager (a restarted daemon) also fails fast.
        with pytest.raises(XeroAuthError):
            await manager(store, clock, http).access_token(cid, force_refresh=True)
    assert token_route.call_count == 1
    stored = await load_connection(store, cid)
    assert stored is not None
    assert stored.status == "needs_reconnect"
    assert "invalid_grant" in (stored.status_reason or "")
    [alert] = await open_alerts(store, type_="xero_needs_reconnect")
    assert alert.fix == "run `xerowatch connect`"
    assert alert.record == cid


async def test_a_crash_between_a_refresh_answer_and_its_commit_recovers_without_asking_the_admin_to_reconnect(  # noqa: E501
    db_path, clock, identity, token_route, monkeypatch
):
    store = await open_store(db_path)
    cid = await seed(store, clock, seconds_left=-1)

    class ProcessKilled(Exception):
        """Stands in for SIGKILL between the token endpoint's answer and the commit."""

    async def process_dies(*args, **kwargs):
        raise ProcessKilled

    monkeypatch.setattr(token_store, "commit_rotation", process_dies)
    async with httpx.AsyncClient() as http:
        with pytest.raises(ProcessKilled):
            await manager(store, clock, http).access_token(cid)
    await store.close()
    monkeypatch.undo()
    assert identity.current_refresh == "refresh-1"  # Xero rotated; the answer never landed

    clock.advance(5 * 60)  # the daemon restarts a few minutes later
    store = await open_store(db_path)
    try:
        async with httpx.AsyncClient() as http:
            token = await manager(store, clock, http).access_token(cid)
        stored = await load_connection(store, cid)
        alerts = await open_alerts(store)
    finally:
        await store.close()
    assert token == "access-2"
    assert identity.refresh_tokens_sent() == ["refresh-0", "refresh-0"]
    assert stored is not None
    assert stored.status == "connected"
    assert stored.refresh_token == SecretStr("refresh-2")
    assert not stored.refresh_pending
    assert alerts == []


async def test_an_interrupted_refresh_is_resumed_at_once_even_with_a_valid_access_token(
    store, clock, identity, token_route, monkeypatch
):
    """A forced refresh that crashed must be retried now, inside the 30-minute grace."""
    cid = await seed(store, clock, seconds_left=1500)
    real_commit = token_store.commit_rotation

    async def crash_once(*args, **kwargs):
        monkeypatch.setattr(token_store, "commit_rotation", real_commit)
        raise RuntimeError("crash")

    monkeypatch.setattr(token_store, "commit_rotation", crash_once)
    async with httpx.AsyncClient() as http:
        with pytest.raises(RuntimeError):
            await manager(store, clock, http).access_token(cid, force_refresh=True)
        clock.advance(60)
        assert await manager(store, clock, http).access_token(cid) == "access-2"
    assert identity.refresh_tokens_sent() == ["refresh-0", "refresh-0"]


async def test_after_the_grace_period_a_lost_rotation_needs_reconnect(
    store, clock, identity, token_route, monkeypatch
):
    cid = await seed(store, clock, seconds_left=-1)

    async def crash(*args, **kwargs):
        raise RuntimeError("crash")

    monkeypatch.setattr(token_store, "commit_rotation", crash)
    async with httpx.AsyncClient() as http:
        with pytest.raises(RuntimeError):
            await manager(store, clock, http).access_token(cid)
        monkeypatch.undo()
        clock.advance(31 * 60)
        with pytest.raises(XeroAuthError) as err:
            await manager(store, clock, http).access_token(cid)
    assert err.value.needs_reconnect


async def test_identity_outage_with_a_still_valid_token_serves_the_old_token(
    store, clock, identity, token_route
):
    cid = await seed(store, clock, seconds_left=30)
    identity.scripted = [httpx.Response(503) for _ in range(4)]
    async with httpx.AsyncClient() as http:
        tokens = manager(store, clock, http)
        assert await tokens.access_token(cid) == "access-0"
        clock.advance(60)  # now expired: the outage must surface
        identity.scripted = [httpx.Response(503) for _ in range(4)]
        with pytest.raises(XeroTransientError):
            await tokens.access_token(cid)
    assert token_route.call_count == 8
    stored = await load_connection(store, cid)
    assert stored is not None
    assert stored.status == "connected"


async def test_a_rejected_client_raises_an_alert_but_keeps_the_connection(
    store, clock, identity, token_route
):
    identity.scripted = [httpx.Response(400, json={"error": "invalid_client"})]
    cid = await seed(store, clock, seconds_left=-1)
    async with httpx.AsyncClient() as http:
        with pytest.raises(XeroAuthError) as err:
            await manager(store, clock, http).access_token(cid)
    assert not err.value.needs_reconnect
    assert "invalid_client" in str(err.value)
    [alert] = await open_alerts(store, type_="xero_token_rejected")
    assert "client_id" in alert.fix


async def test_an_unknown_connection_is_a_needs_reconnect_error(store, clock, token_route):
    async with httpx.AsyncClient() as http:
        with pytest.raises(XeroAuthError) as err:
            await manager(store, clock, http).access_token("no-such-connection")
    assert err.value.needs_reconnect
    assert token_route.call_count == 0


async def test_store_authorization_refuses_a_grant_without_offline_access(store, clock):
    answer = TokenResponse.model_validate(
        {"access_token": "access-9", "expires_in": 1800, "scope": "accounting.contacts"}
    )
    async with httpx.AsyncClient() as http:
        with pytest.raises(XeroAuthError, match="offline_access"):
            await manager(store, clock, http).store_authorization(answer)


async def test_store_authorization_stores_a_connection(store, clock):
    answer = TokenResponse.model_validate(
        {
            "access_token": "access-9",
            "refresh_token": "refresh-9",
            "expires_in": 1800,
            "scope": ["offline_access", "accounting.contacts"],
        }
    )
    async with httpx.AsyncClient() as http:
        tokens = manager(store, clock, http)
        cid = await tokens.store_authorization(answer)
        assert await tokens.access_token(cid) == "access-9"
    stored = await load_connection(store, cid)
    assert stored is not None
    assert (stored.auth_mode, stored.scopes) == (
        "authorization_code",
        "offline_access accounting.contacts",
    )


async def test_tokens_never_reach_logs_reprs_or_errors(store, clock, identity, token_route, caplog):
    # aiosqlite logs SQL parameters at DEBUG; logs.setup_logging keeps it at WARNING.
    caplog.set_level(logging.DEBUG, logger="xerowatch")
    identity.lose_answers = 1
    cid = await seed(store, clock, seconds_left=-1)
    async with httpx.AsyncClient() as http:
        tokens = manager(store, clock, http)
        await tokens.access_token(cid)
        stored = await load_connection(store, cid)
        identity.current_refresh = "something-else"  # the next refresh gets invalid_grant
        clock.advance(3600)
        with pytest.raises(XeroAuthError) as err:
            await tokens.access_token(cid)
    alerts = await open_alerts(store)
    visible = " ".join(
        [caplog.text, repr(stored), repr(tokens), str(err.value), *(a.message for a in alerts)]
    )
    for secret in ("access-0", "access-2", "refresh-0", "refresh-2"):
        assert secret not in visible


CUSTOM = XeroSettings(
    auth_mode="custom_connection",
    client_id=CLIENT_ID,
    client_secret=SecretStr(CLIENT_SECRET),
    max_retries=2,
)


async def test_custom_connection_uses_client_credentials_and_renews_before_expiry(
    store, clock, identity, token_route
):
    async with httpx.AsyncClient() as http:
        tokens = manager(store, clock, http, CUSTOM)
        cid = await tokens.connect_client_credentials()
        assert await tokens.access_token(cid) == "access-1"  # cached: no second grant
        clock.advance(1800 - 61)
        assert await tokens.access_token(cid) == "access-1"
        clock.advance(2)  # 59 s left: renew
        assert await tokens.access_token(cid) == "access-2"
        # Connecting again reuses the one custom connection.
        assert await tokens.connect_client_credentials() == cid
    assert token_route.call_count == 3
    expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert set(identity.auth_headers) == {f"Basic {expected}"}
    for form in identity.forms:
        assert form["grant_type"] == "client_credentials"
        assert "client_secret" not in form
        assert "offline_access" not in form["scope"].split()
        assert "accounting.contacts" in form["scope"].split()
    stored = await load_connection(store, cid)
    assert stored is not None
    assert stored.auth_mode == "custom_connection"
    assert stored.refresh_token is None


async def test_custom_connection_with_revoked_credentials_needs_reconnect_once(
    store, clock, identity, token_route
):
    async with httpx.AsyncClient() as http:
        tokens = manager(store, clock, http, CUSTOM)
        cid = await tokens.connect_client_credentials()
        clock.advance(1800)
        identity.scripted = [httpx.Response(401, json={"error": "invalid_client"})]
        with pytest.raises(XeroAuthError) as err:
            await tokens.access_token(cid)
        assert err.value.needs_reconnect
        assert "client_secret" in str(err.value)
        with pytest.raises(XeroAuthError):
            await tokens.access_token(cid)
    assert token_route.call_count == 2


async def test_custom_connection_without_a_secret_is_a_config_error(store, clock):
    settings = XeroSettings(auth_mode="custom_connection", client_id=CLIENT_ID)
    async with httpx.AsyncClient() as http:
        with pytest.raises(ConfigError, match="client_secret"):
            await manager(store, clock, http, settings).connect_client_credentials()
