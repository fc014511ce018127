"""A CLI and the daemon refreshing the *Wisenet* token at once, in two real processes.

The loopback Wisenet simulator rotates strictly: every refresh spends the refresh token it
was sent, and a spent one is refused with invalid_grant. Its access tokens live 30 s, inside
the 60 s refresh margin, so every request of both processes wants a refresh: without the
cross-process refresh claim they send the same refresh token and one of them loses the
connection. With it, the loser of each race waits and picks up the winner's token.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from xerowatch.clock import SystemClock
from xerowatch.oauth.token_client import TokenResponse
from xerowatch.sim.server import serve_in_thread
from xerowatch.sim.wisenet import WisenetSim
from xerowatch.sim.wisenet.oauth import SIM_CLIENT_ID, TOKEN_PATH
from xerowatch.source.wisenet.oauth import store_authorization
from xerowatch.store.db import open_store
from xerowatch.store.token_store import StoreTokens
from xerowatch.store.tokens import StoredConnection, list_connections

ROUNDS = 25
REPO = Path(__file__).resolve().parents[2]
CHILD_TIMEOUT_S = 120  # only so that a hung child fails the test instead of hanging it


@pytest.fixture
def sim() -> Iterator[tuple[WisenetSim, str]]:
    wisenet = WisenetSim(per_second=10_000)
    wisenet.oauth.access_ttl_s = 30  # below the 60 s margin: every request wants a refresh
    with serve_in_thread(wisenet.app) as server:
        yield wisenet, server.url


def write_config(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "xerowatch.toml"
    path.write_text(
        f"""
[store]
path = "{tmp_path / "x.db"}"
[source]
kind = "wisenet"
[wisenet]
base_url = "{url}/v1"
auth_mode = "oauth"
oauth_client_id = "{SIM_CLIENT_ID}"
oauth_authorize_url = "{url}/oauth/authorize"
oauth_token_url = "{url}{TOKEN_PATH}"
oauth_scopes = "learners.read invoices.write offline_access"
requests_per_second = 1000
timeout_seconds = 10
""",
        encoding="utf-8",
    )
    return path


async def seed(db: Path, sim: WisenetSim) -> None:
    """Store the pair a finished `wisenet-connect` would have stored."""
    store = await open_store(db)
    try:
        answer = TokenResponse.model_validate(sim.oauth.grant())
        await store_authorization(StoreTokens(store), answer, now=SystemClock().now())
    finally:
        await store.close()


async def stored(db: Path) -> StoredConnection:
    store = await open_store(db)
    try:
        (connection,) = await list_connections(store, provider="wisenet")
    finally:
        await store.close()
    return connection


def start(config: Path, role: str, go: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.source.wisenet_refresh_child",
            str(config),
            role,
            str(ROUNDS),
            str(go),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_cli_and_the_daemon_refreshing_the_wisenet_token_never_lose_it(
    tmp_path: Path, sim: tuple[WisenetSim, str]
) -> None:
    wisenet, url = sim
    config = write_config(tmp_path, url)
    anyio.run(seed, tmp_path / "x.db", wisenet)
    go = tmp_path / "go"
    daemon = start(config, "daemon", go)
    cli = start(config, "cli", go)
    deadline = time.monotonic() + CHILD_TIMEOUT_S
    while not all((tmp_path / f"{role}.ready").exists() for role in ("daemon", "cli")):
        assert daemon.poll() is None and cli.poll() is None, "a child exited before the race"
        assert time.monotonic() < deadline, "the children did not start"
        time.sleep(0.01)
    go.touch()  # both are up: let them race
    outputs = {}
    for role, child in (("daemon", daemon), ("cli", cli)):
        out, err = child.communicate(timeout=CHILD_TIMEOUT_S)
        outputs[role] = (child.returncode, out.strip(), err)

    for role in ("daemon", "cli"):
        code, out, err = outputs[role]
        assert (code, out) == (0, f"{role} done {ROUNDS}"), err
    outcomes = [outcome for _, outcome in wisenet.oauth.refreshes]
    sent = [token for token, _ in wisenet.oauth.refreshes]
    # No refresh token was ever sent twice, so none was refused, and tokens really rotated.
    assert set(outcomes) == {"rotated"}
    assert len(sent) == len(set(sent)) >= 2
    # The store holds the one live refresh token: the connection survives the race.
    connection = await_stored(tmp_path / "x.db")
    assert connection.status == "connected"
    assert not connection.refresh_pending
    assert connection.refresh_holder is None
    assert connection.refresh_token is not None
    assert {connection.refresh_token.get_secret_value()} == wisenet.oauth.live_refresh_tokens
    assert all(r.status != 401 for r in wisenet.requests)
    assert wisenet.count("/learnersAU/1") == 2 * ROUNDS


def await_stored(db: Path) -> StoredConnection:
    return anyio.run(stored, db)
