"""One refresher per connection across processes: two managers on two store connections."""

from __future__ import annotations

import socket
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
import httpx
import pytest
import respx
from pydantic import SecretStr

from tests.xero.fake_identity import CLIENT_ID, TOKEN_URL, FakeXeroIdentity
from xerowatch.clock import FakeClock
from xerowatch.config import XeroSettings
from xerowatch.store.alerts import open_alerts
from xerowatch.store.db import Store, open_store
from xerowatch.store.token_store import StoreTokens
from xerowatch.store.tokens import (
    IssuedTokens,
    claim_refresh,
    create_connection,
    load_connection,
    mark_refresh_started,
)
from xerowatch.xero.auth import XeroTokenManager
from xerowatch.xero.errors import XeroAuthError, XeroTransientError

SETTINGS = XeroSettings(client_id=CLIENT_ID, max_retries=3)
SPEED = 100.0
REAL_TIME_GUARD_S = 5.0  # only so that a broken implementation fails instead of hanging


class SpedUpClock(FakeClock):
    """Real time, SPEED times faster, that signals when anyone sleeps.

    Not a FakeClock's jumps: there, a manager polling for another's refresh would run virtual
    time ahead while the other "process" waits for real disk writes, and its claim would expire
    in no real time at all. Here both see time pass alike, as two processes do.
    """

    def __init__(self) -> None:
        super().__init__()
        self._origin = time.monotonic()
        self._epoch = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
        self.slept = anyio.Event()

    def monotonic(self) -> float:
        return (time.monotonic() - self._origin) * SPEED

    def now(self) -> datetime:
        return self._epoch + timedelta(seconds=self.monotonic())

    async def sleep(self, seconds: float) -> None:
        self.slept.set()
        await anyio.sleep(max(0.0, seconds) / SPEED)


@pytest.fixture
def clock() -> SpedUpClock:
    return SpedUpClock()


@pytest.fixture
def identity(clock: FakeClock) -> FakeXeroIdentity:
    return FakeXeroIdentity(clock)


@pytest.fixture
async def stores(tmp_path: Path) -> AsyncIterator[tuple[Store, Store]]:
    """Two connections to one store file: what the daemon and a CLI command each hold."""
    daemon = await open_store(tmp_path / "x.db")
    cli = await open_store(tmp_path / "x.db")
    yield daemon, cli
    await cli.close()
    await daemon.close()


@pytest.fixture
def slow_token_route(identity: FakeXeroIdentity, clock: SpedUpClock) -> Iterator[respx.Route]:
    """The token endpoint holds its first answer until a second grant arrives or the other
    process has started waiting, so that both managers really overlap."""
    arrived: list[httpx.Request] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        arrived.append(request)
        if len(arrived) == 1:
            with anyio.move_on_after(REAL_TIME_GUARD_S):
                await clock.slept.wait()
        else:
            clock.slept.set()
        return identity.handler(request)

    with respx.mock(assert_all_mocked=True, assert_all_called=False) as mock:
        yield mock.post(TOKEN_URL).mock(side_effect=handler)


async def seed(
    store: Store, clock: FakeClock, *, seconds_left: float, refresh: str = "refresh-0"
) -> str:
    tokens = IssuedTokens(
        access_token=SecretStr("access-0"),
        access_expires_at=clock.now() + timedelta(seconds=seconds_left),
        refresh_token=SecretStr(refresh),
        scopes="offline_access accounting.contacts",
    )
    return await create_connection(
        store, provider="xero", auth_mode="authorization_code", tokens=tokens, now=clock.now()
    )


async def test_two_processes_with_an_expired_token_send_one_refresh(
    stores, clock, identity, slow_token_route
):
    daemon_store, cli_store = stores
    cid = await seed(daemon_store, clock, seconds_left=-1)
    results: dict[str, str] = {}
    async with httpx.AsyncClient() as daemon_http, httpx.AsyncClient() as cli_http:
        daemon = XeroTokenManager(
            store=StoreTokens(daemon_store), settings=SETTINGS, http=daemon_http, clock=clock
        )
        cli = XeroTokenManager(
            store=StoreTokens(cli_store), settings=SETTINGS, http=cli_http, clock=clock
        )

        async def call(name: str, tokens: XeroTokenManager) -> None:
            results[name] = await tokens.access_token(cid)

        async with anyio.create_task_group() as group:
            group.start_soon(call, "daemon", daemon)
            group.start_soon(call, "cli", cli)
    assert slow_token_route.call_count == 1
    assert identity.refresh_tokens_sent() == ["refresh-0"]
    assert results == {"daemon": "access-1", "cli": "access-1"}
    stored = await load_connection(cli_store, cid)
    assert stored is not None
    assert stored.refresh_token == SecretStr(identity.current_refresh)
    assert not stored.refresh_pending


async def outcomes(*calls: Callable[[], Awaitable[str]]) -> list[str | BaseException]:
    """Run calls concurrently; each one's token, or the exception it raised."""
    results: list[str | BaseException] = [""] * len(calls)

    async def run(index: int) -> None:
        try:
            results[index] = await calls[index]()
        except Exception as exc:  # collected for the assertions
            results[index] = exc

    async with anyio.create_task_group() as group:
        for index in range(len(calls)):
            group.start_soon(run, index)
    return results


async def test_invalid_grant_seen_by_one_process_fails_the_other_without_a_second_request(
    stores, clock, identity, slow_token_route
):
    daemon_store, cli_store = stores
    cid = await seed(daemon_store, clock, seconds_left=-1, refresh="refresh-revoked")
    async with httpx.AsyncClient() as http:
        daemon = XeroTokenManager(
            store=StoreTokens(daemon_store), settings=SETTINGS, http=http, clock=clock
        )
        cli = XeroTokenManager(
            store=StoreTokens(cli_store), settings=SETTINGS, http=http, clock=clock
        )
        results = await outcomes(lambda: daemon.access_token(cid), lambda: cli.access_token(cid))
    assert slow_token_route.call_count == 1
    for result in results:
        assert isinstance(result, XeroAuthError) and result.needs_reconnect
    [alert] = await open_alerts(cli_store, type_="xero_needs_reconnect")
    assert alert.count == 1


async def test_when_the_refresher_gives_up_the_other_process_retries_the_same_refresh_token(
    stores, clock, identity, slow_token_route
):
    daemon_store, cli_store = stores
    cid = await seed(daemon_store, clock, seconds_left=-1)
    identity.scripted = [httpx.Response(503) for _ in range(SETTINGS.max_retries + 1)]
    async with httpx.AsyncClient() as http:
        daemon = XeroTokenManager(
            store=StoreTokens(daemon_store), settings=SETTINGS, http=http, clock=clock
        )
        cli = XeroTokenManager(
            store=StoreTokens(cli_store), settings=SETTINGS, http=http, clock=clock
        )
        results = await outcomes(lambda: daemon.access_token(cid), lambda: cli.access_token(cid))
    # The first refresher's answers were all lost; the other one, waiting, took over.
    assert sorted(map(type, results), key=str) == sorted([XeroTransientError, str], key=str)
    assert "access-1" in results
    assert identity.refresh_tokens_sent() == ["refresh-0"] * (SETTINGS.max_retries + 2)
    stored = await load_connection(daemon_store, cid)
    assert stored is not None
    assert stored.refresh_token == SecretStr("refresh-1")
    assert not stored.refresh_pending


async def test_a_claim_left_by_a_crashed_process_is_taken_over_when_its_lease_ends(
    stores, clock, identity, slow_token_route
):
    daemon_store, cli_store = stores
    cid = await seed(daemon_store, clock, seconds_left=-1)
    # The daemon claimed the refresh, sent it, and was killed before the answer came back.
    claimed_at = clock.now()  # the lease runs from the claim, not from after the writes below
    dead = await claim_refresh(
        daemon_store, cid, holder="killed-daemon", now=claimed_at, lease_s=20
    )
    await mark_refresh_started(daemon_store, cid, clock.now())
    await daemon_store.close()
    assert dead.claimed
    lease_end = claimed_at + timedelta(seconds=20)
    async with httpx.AsyncClient() as http:
        cli = XeroTokenManager(
            store=StoreTokens(cli_store), settings=SETTINGS, http=http, clock=clock
        )
        token = await cli.access_token(cid)
    assert token == "access-1"
    assert identity.refresh_tokens_sent() == ["refresh-0"]
    assert lease_end <= clock.now() < lease_end + timedelta(seconds=60)


async def test_a_claim_of_a_process_of_this_host_that_has_exited_is_taken_over_at_once(
    stores, clock, identity
):
    daemon_store, cli_store = stores
    cid = await seed(daemon_store, clock, seconds_left=-1)
    exited = await anyio.run_process([sys.executable, "-c", "import os; print(os.getpid())"])
    holder = f"{socket.gethostname()}/pid{int(exited.stdout.decode())}-0123456789ab"
    # The daemon claimed the refresh and was SIGKILLed; its lease still runs for 90 s.
    await claim_refresh(daemon_store, cid, holder=holder, now=clock.now(), lease_s=90)
    await mark_refresh_started(daemon_store, cid, clock.now())
    lease_end = clock.now() + timedelta(seconds=90)
    with respx.mock(assert_all_mocked=True) as mock:
        mock.post(TOKEN_URL).mock(side_effect=identity.handler)
        async with httpx.AsyncClient() as http:
            cli = XeroTokenManager(
                store=StoreTokens(cli_store), settings=SETTINGS, http=http, clock=clock
            )
            token = await cli.access_token(cid)
    assert token == "access-1"
    assert identity.refresh_tokens_sent() == ["refresh-0"]
    assert clock.now() < lease_end - timedelta(seconds=60)


async def test_a_process_finding_another_refreshing_serves_its_still_valid_token_at_once(
    stores, clock, identity, slow_token_route
):
    daemon_store, cli_store = stores
    cid = await seed(daemon_store, clock, seconds_left=30)
    await claim_refresh(daemon_store, cid, holder="the-daemon", now=clock.now(), lease_s=90)
    await mark_refresh_started(daemon_store, cid, clock.now())
    async with httpx.AsyncClient() as http:
        cli = XeroTokenManager(
            store=StoreTokens(cli_store), settings=SETTINGS, http=http, clock=clock
        )
        assert await cli.access_token(cid) == "access-0"
    assert slow_token_route.call_count == 0
    assert not clock.slept.is_set()


async def test_every_retry_of_a_slow_refresh_is_sent_under_a_live_claim(tmp_path):
    """Retries can outlast one lease; the claim is renewed before each, never left to expire."""
    clock = FakeClock()  # one manager: virtual time may jump
    identity = FakeXeroIdentity(clock)
    settings = XeroSettings(client_id=CLIENT_ID, max_retries=7, timeout_seconds=1)
    store = await open_store(tmp_path / "x.db")
    cid = await seed(store, clock, seconds_left=-1)
    seen: list[tuple[str | None, bool]] = []
    identity.scripted = [httpx.Response(503) for _ in range(settings.max_retries)]

    async def handler(request: httpx.Request) -> httpx.Response:
        row = await store.fetchone(
            "SELECT refresh_holder, refresh_lease_until FROM oauth_tokens WHERE connection_id = ?",
            (cid,),
        )
        assert row is not None
        until = row["refresh_lease_until"]
        live = until is not None and datetime.fromisoformat(until) > clock.now()
        seen.append((row["refresh_holder"], live))
        return identity.handler(request)

    try:
        with respx.mock(assert_all_mocked=True) as mock:
            mock.post(TOKEN_URL).mock(side_effect=handler)
            async with httpx.AsyncClient() as http:
                tokens = XeroTokenManager(
                    store=StoreTokens(store), settings=settings, http=http, clock=clock
                )
                assert await tokens.access_token(cid) == "access-1"
    finally:
        await store.close()
    assert clock.monotonic() > 60  # longer than one lease: 1 + 30 + 30 s
    assert len(seen) == settings.max_retries + 1
    holders = {holder for holder, _ in seen}
    assert len(holders) == 1 and None not in holders
    assert all(live for _, live in seen)
