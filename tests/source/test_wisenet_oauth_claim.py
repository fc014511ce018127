"""Wisenet's refresh claim across store connections: wait for the refresher, take its token."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
import respx
from pydantic import SecretStr

from xerowatch.clock import FakeClock
from xerowatch.config import WisenetSettings
from xerowatch.source.port import SourceAuthError
from xerowatch.source.wisenet.oauth import OAuthAuth
from xerowatch.store.db import Store, open_store
from xerowatch.store.token_store import StoreTokens
from xerowatch.store.tokens import (
    IssuedTokens,
    claim_refresh,
    commit_rotation,
    create_connection,
    load_connection,
    mark_needs_reconnect,
    mark_refresh_started,
)

TOKEN_URL = "https://auth.wisenet.test/oauth/token"
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SETTINGS = WisenetSettings(
    auth_mode="oauth",
    oauth_client_id="client-1",
    oauth_authorize_url="https://auth.wisenet.test/authorize",
    oauth_token_url=TOKEN_URL,
    oauth_scopes="learners.read offline_access",
)


class OtherProcessFinishes(FakeClock):
    """Virtual time in which the other process's refresh lands while this one first waits."""

    def __init__(self) -> None:
        super().__init__(NOW)
        self.finish: Callable[[], Awaitable[None]] | None = None
        self.sleeps = 0

    async def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        if self.finish is not None:
            finish, self.finish = self.finish, None
            await finish()
        await super().sleep(seconds)


@pytest.fixture
async def stores(tmp_path: Path) -> AsyncIterator[tuple[Store, Store]]:
    """Two connections to one store file: the daemon's and a CLI command's."""
    daemon = await open_store(tmp_path / "x.db")
    cli = await open_store(tmp_path / "x.db")
    yield daemon, cli
    await cli.close()
    await daemon.close()


async def seed(store: Store, clock: FakeClock, *, seconds_left: float) -> str:
    tokens = IssuedTokens(
        access_token=SecretStr("access-1"),
        access_expires_at=clock.now() + timedelta(seconds=seconds_left),
        refresh_token=SecretStr("refresh-1"),
        scopes="learners.read offline_access",
    )
    return await create_connection(
        store, provider="wisenet", auth_mode="oauth", tokens=tokens, now=clock.now()
    )


@respx.mock
async def test_a_process_waits_for_the_others_refresh_and_uses_its_token(stores) -> None:
    daemon_store, cli_store = stores
    clock = OtherProcessFinishes()
    cid = await seed(daemon_store, clock, seconds_left=-1)
    # The daemon claimed the refresh and sent refresh-1; its answer is about to land.
    await claim_refresh(daemon_store, cid, holder="the-daemon", now=clock.now(), lease_s=60)
    await mark_refresh_started(daemon_store, cid, clock.now())

    async def daemon_commits() -> None:
        answer = IssuedTokens(
            access_token=SecretStr("access-2"),
            access_expires_at=clock.now() + timedelta(hours=1),
            refresh_token=SecretStr("refresh-2"),
            scopes="learners.read offline_access",
        )
        await commit_rotation(
            daemon_store, cid, answer, used_refresh_token=SecretStr("refresh-1"), now=clock.now()
        )

    clock.finish = daemon_commits
    token = respx.post(TOKEN_URL).respond(400, json={"error": "invalid_grant"})
    async with httpx.AsyncClient() as http:
        cli = OAuthAuth(store=StoreTokens(cli_store), settings=SETTINGS, http=http, clock=clock)
        headers = await cli.headers()
    assert headers == {"Authorization": "Bearer access-2"}
    assert token.call_count == 0  # refresh-1 is spent: sending it would lose the connection
    assert clock.sleeps >= 1
    stored = await load_connection(cli_store, cid)
    assert stored is not None and stored.status == "connected"
    assert stored.refresh_token == SecretStr("refresh-2")


@respx.mock
async def test_a_claim_left_by_a_crashed_process_is_taken_over_with_the_same_token(
    stores,
) -> None:
    daemon_store, cli_store = stores
    clock = FakeClock(NOW)
    cid = await seed(daemon_store, clock, seconds_left=-1)
    await claim_refresh(daemon_store, cid, holder="killed-daemon", now=clock.now(), lease_s=40)
    await mark_refresh_started(daemon_store, cid, clock.now())
    token = respx.post(TOKEN_URL).respond(
        json={"access_token": "access-2", "refresh_token": "refresh-2", "expires_in": 3600}
    )
    async with httpx.AsyncClient() as http:
        cli = OAuthAuth(store=StoreTokens(cli_store), settings=SETTINGS, http=http, clock=clock)
        assert await cli.headers() == {"Authorization": "Bearer access-2"}
    assert token.call_count == 1
    form = parse_qs(token.calls.last.request.content.decode())
    assert form["refresh_token"] == ["refresh-1"]  # the lost answer's grant, retried
    assert clock.now() >= NOW + timedelta(seconds=40)  # only once the lease ran out


@respx.mock
async def test_a_reconnect_needed_seen_by_the_other_process_fails_without_a_request(
    stores,
) -> None:
    daemon_store, cli_store = stores
    clock = OtherProcessFinishes()
    cid = await seed(daemon_store, clock, seconds_left=-1)
    await claim_refresh(daemon_store, cid, holder="the-daemon", now=clock.now(), lease_s=60)

    async def daemon_is_refused() -> None:
        await mark_needs_reconnect(daemon_store, cid, "invalid_grant", now=clock.now())

    clock.finish = daemon_is_refused
    token = respx.post(TOKEN_URL).respond(500)
    async with httpx.AsyncClient() as http:
        cli = OAuthAuth(store=StoreTokens(cli_store), settings=SETTINGS, http=http, clock=clock)
        with pytest.raises(SourceAuthError, match="needs reconnecting"):
            await cli.headers()
    assert token.call_count == 0
