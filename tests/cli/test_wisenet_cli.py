"""`xerowatch wisenet-connect` and `wisenet-status` through click, as an admin on SSH uses them."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar
from urllib.parse import parse_qs, urlsplit

import anyio
import httpx
import pytest
import respx
from click.testing import CliRunner, Result
from pydantic import SecretStr

from xerowatch.cli import cli, main, wisenet_cmds
from xerowatch.clock import FakeClock
from xerowatch.config import WisenetSettings
from xerowatch.oauth.token_client import TokenResponse
from xerowatch.source.wisenet.oauth import OAuthAuth, store_authorization
from xerowatch.store.db import Store, open_store
from xerowatch.store.token_store import StoreTokens
from xerowatch.store.tokens import StoredConnection, list_connections, mark_needs_reconnect

AUTHORIZE_URL = "https://auth.wisenet.test/oauth/authorize"
TOKEN_URL = "https://auth.wisenet.test/oauth/token"
SCOPES = "learners.read invoices.write offline_access"
PASTE_REDIRECT = "https://xerowatch.example.com/wisenet/callback"
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # FakeClock's default start
EXPIRES = START + timedelta(hours=1)
T = TypeVar("T")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith("XEROWATCH_"):
            monkeypatch.delenv(name)
    yield


@pytest.fixture
def state(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(wisenet_cmds, "new_state", lambda: "state-1")
    return "state-1"


def write_config(tmp_path: Path, **wisenet: str) -> Path:
    settings = {
        "auth_mode": "oauth",
        "api_key": "kept-key",
        "oauth_client_id": "client-1",
        "oauth_authorize_url": AUTHORIZE_URL,
        "oauth_token_url": TOKEN_URL,
        "oauth_scopes": SCOPES,
        **wisenet,
    }
    lines = ["[store]", f'path = "{tmp_path / "x.db"}"', "[wisenet]", "daily_quota = 1000"]
    lines += [f'{key} = "{value}"' for key, value in settings.items()]
    path = tmp_path / "xerowatch.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def with_store(db: Path, func: Callable[[Store], Awaitable[T]]) -> T:
    async def body() -> T:
        store = await open_store(db)
        try:
            return await func(store)
        finally:
            await store.close()

    return anyio.run(body)


def wisenet_connections(db: Path) -> list[StoredConnection]:
    return with_store(db, lambda store: list_connections(store, provider="wisenet"))


class FakeTokenEndpoint:
    """Wisenet's token endpoint: issues numbered token pairs and records every form."""

    def __init__(self, *, refuse_codes: bool = False) -> None:
        self.forms: list[dict[str, str]] = []
        self.refuse_codes = refuse_codes

    def handler(self, request: httpx.Request) -> httpx.Response:
        form = {key: values[0] for key, values in parse_qs(request.content.decode()).items()}
        self.forms.append(form)
        if self.refuse_codes and form["grant_type"] == "authorization_code":
            return httpx.Response(400, json={"error": "invalid_grant"})
        n = len(self.forms)
        return httpx.Response(
            200,
            json={
                "access_token": f"w-access-{n}",
                "refresh_token": f"w-refresh-{n}",
                "expires_at": int((EXPIRES + timedelta(hours=n - 1)).timestamp()),
                "scope": "learners.read invoices.write offline_access",
            },
        )


def connect(config: Path, endpoint: FakeTokenEndpoint, pasted: list[str], *extra: str) -> Result:
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as router:
        router.post(TOKEN_URL).mock(side_effect=endpoint.handler)
        return CliRunner().invoke(
            cli,
            ["--config", str(config), "wisenet-connect", *extra],
            input="".join(f"{line}\n" for line in pasted),
        )


def printed_authorize_query(output: str) -> dict[str, str]:
    [url] = [word for word in output.split() if word.startswith(AUTHORIZE_URL)]
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def test_help_lists_the_wisenet_commands() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert "wisenet-connect" in result.output and "wisenet-status" in result.output


def test_pasted_redirect_with_a_wrong_state_is_asked_again_then_tokens_are_stored(
    tmp_path: Path, state: str
) -> None:
    endpoint = FakeTokenEndpoint()
    pasted = [
        f"{PASTE_REDIRECT}?code=the-code&state=forged",  # another attempt's redirect
        "",
        f"{PASTE_REDIRECT}?code=the-code&state={state}",
    ]
    result = connect(
        write_config(tmp_path), endpoint, pasted, "--no-listen", "--redirect-uri", PASTE_REDIRECT
    )
    assert result.exit_code == 0, result.output
    assert "state does not match" in result.stderr and "Paste it again" in result.stderr
    assert "Waiting for the browser" not in result.stdout
    query = printed_authorize_query(result.stdout)
    [form] = endpoint.forms
    verifier_hash = hashlib.sha256(form["code_verifier"].encode()).digest()
    assert query == {
        "response_type": "code",
        "client_id": "client-1",
        "redirect_uri": PASTE_REDIRECT,
        "scope": SCOPES,
        "state": state,
        "code_challenge": base64.urlsafe_b64encode(verifier_hash).rstrip(b"=").decode(),
        "code_challenge_method": "S256",
    }
    assert {k: v for k, v in form.items() if k != "code_verifier"} == {
        "grant_type": "authorization_code",
        "code": "the-code",
        "redirect_uri": PASTE_REDIRECT,
        "client_id": "client-1",
    }
    [conn] = wisenet_connections(tmp_path / "x.db")
    assert conn.access_token == SecretStr("w-access-1")
    assert conn.refresh_token == SecretStr("w-refresh-1")
    assert (conn.status, conn.access_expires_at) == ("connected", EXPIRES)
    assert "Connected xerowatch to Wisenet: client client-1 authorised at auth.wisenet.test" in (
        result.stdout
    )
    assert "Access token expires 2026-11-02 10:00 UTC" in result.stdout
    for secret in ("w-access-1", "w-refresh-1", form["code_verifier"]):
        assert secret not in result.output


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def browser_returns(url: str, answers: list[httpx.Response]) -> threading.Thread:
    """Play the browser: retry until the listener is up, then follow the redirect once."""

    def visit() -> None:
        for _ in range(250):
            try:
                answers.append(httpx.get(url, timeout=5))
                return
            except httpx.ConnectError:
                time.sleep(0.02)

    thread = threading.Thread(target=visit, daemon=True)
    thread.start()
    return thread


def test_the_browser_callback_arrives_on_the_loopback_listener(tmp_path: Path, state: str) -> None:
    redirect = f"http://127.0.0.1:{free_port()}/wisenet/callback"
    endpoint = FakeTokenEndpoint()
    answers: list[httpx.Response] = []
    browser = browser_returns(f"{redirect}?code=loop-code&state={state}", answers)
    with respx.mock(assert_all_mocked=True) as router:
        router.post(TOKEN_URL).mock(side_effect=endpoint.handler)
        router.route(host="127.0.0.1").pass_through()
        result = CliRunner().invoke(
            cli,
            [
                "--config",
                str(write_config(tmp_path)),
                "wisenet-connect",
                "--redirect-uri",
                redirect,
            ],
            input="",  # nothing typed: only the browser can finish
        )
    browser.join(timeout=10)
    assert result.exit_code == 0, result.output
    assert f"Waiting for the browser to return to {redirect}" in result.stdout
    [answer] = answers
    assert answer.status_code == 200
    assert "received Wisenet&#x27;s authorisation" in answer.text
    assert [(f["code"], f["redirect_uri"]) for f in endpoint.forms] == [("loop-code", redirect)]
    assert len(wisenet_connections(tmp_path / "x.db")) == 1


def test_stored_tokens_are_used_and_refreshed_by_oauth_auth(tmp_path: Path, state: str) -> None:
    endpoint = FakeTokenEndpoint()
    pasted = [f"{PASTE_REDIRECT}?code=c&state={state}"]
    config = write_config(tmp_path)
    result = connect(config, endpoint, pasted, "--no-listen", "--redirect-uri", PASTE_REDIRECT)
    assert result.exit_code == 0, result.output
    settings = WisenetSettings(
        auth_mode="oauth",
        api_key=SecretStr("kept-key"),
        oauth_client_id="client-1",
        oauth_token_url=TOKEN_URL,
    )
    clock = FakeClock(START)

    async def use(store: Store) -> list[dict[str, str]]:
        async with httpx.AsyncClient() as http:
            auth = OAuthAuth(store=StoreTokens(store), settings=settings, http=http, clock=clock)
            first = await auth.headers()
            clock.advance(3600)  # the stored access token has expired
            return [first, await auth.headers()]

    with respx.mock(assert_all_mocked=True) as router:
        router.post(TOKEN_URL).mock(side_effect=endpoint.handler)
        first, second = with_store(tmp_path / "x.db", use)
    assert first == {"Authorization": "Bearer w-access-1", "x-api-key": "kept-key"}
    assert second == {"Authorization": "Bearer w-access-2", "x-api-key": "kept-key"}
    assert [(f["grant_type"], f.get("refresh_token")) for f in endpoint.forms] == [
        ("authorization_code", None),
        ("refresh_token", "w-refresh-1"),
    ]
    [conn] = wisenet_connections(tmp_path / "x.db")
    assert conn.refresh_token == SecretStr("w-refresh-2")


def test_a_broken_connection_is_reconnected_in_place(tmp_path: Path, state: str) -> None:
    config = write_config(tmp_path)
    pasted = [f"{PASTE_REDIRECT}?code=c&state={state}"]
    assert connect(config, FakeTokenEndpoint(), pasted, "--no-listen").exit_code == 0
    [before] = wisenet_connections(tmp_path / "x.db")
    with_store(
        tmp_path / "x.db",
        lambda s: mark_needs_reconnect(s, before.connection_id, "invalid_grant", now=START),
    )
    result = connect(config, FakeTokenEndpoint(), pasted, "--no-listen")
    assert result.exit_code == 0, result.output
    assert "Reconnected xerowatch to Wisenet" in result.stdout
    [after] = wisenet_connections(tmp_path / "x.db")
    assert (after.connection_id, after.status) == (before.connection_id, "connected")


def test_a_denial_in_the_redirect_stores_nothing(tmp_path: Path, state: str) -> None:
    pasted = [f"{PASTE_REDIRECT}?error=access_denied&state={state}"]
    endpoint = FakeTokenEndpoint()
    result = connect(write_config(tmp_path), endpoint, pasted, "--no-listen")
    assert result.exit_code == 1
    assert "Wisenet did not authorise xerowatch: access_denied" in result.output
    assert endpoint.forms == []
    assert wisenet_connections(tmp_path / "x.db") == []


def test_a_refused_code_explains_what_to_check_and_stores_nothing(
    tmp_path: Path, state: str
) -> None:
    pasted = [f"{PASTE_REDIRECT}?code=old&state={state}"]
    result = connect(
        write_config(tmp_path), FakeTokenEndpoint(refuse_codes=True), pasted, "--no-listen"
    )
    assert result.exit_code == 1
    assert "invalid_grant" in result.output and "--redirect-uri" in result.output
    assert wisenet_connections(tmp_path / "x.db") == []


def test_end_of_input_without_a_listener_is_a_clear_failure(tmp_path: Path, state: str) -> None:
    result = connect(write_config(tmp_path), FakeTokenEndpoint(), [], "--no-listen")
    assert result.exit_code == 1
    assert "no redirect URL was pasted" in result.output


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ({"auth_mode": "api_key"}, "wisenet.auth_mode"),
        ({"oauth_client_id": ""}, "wisenet.oauth_client_id"),
        ({"oauth_authorize_url": ""}, "wisenet.oauth_authorize_url"),
        ({"oauth_token_url": " "}, "wisenet.oauth_token_url"),
        ({"oauth_scopes": ""}, "wisenet.oauth_scopes"),
    ],
)
def test_missing_oauth_config_is_one_line_naming_the_key_and_exit_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    override: dict[str, str],
    key: str,
) -> None:
    config = write_config(tmp_path, **override)
    monkeypatch.setattr(sys, "argv", ["xerowatch", "--config", str(config), "wisenet-connect"])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 2
    captured = capsys.readouterr()
    [line] = captured.err.splitlines()
    assert key in line and "XEROWATCH_WISENET__" in line
    assert captured.out == ""
    assert not (tmp_path / "x.db").exists()


def test_ctrl_c_while_waiting_aborts_cleanly(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("XEROWATCH_")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "xerowatch",
            "--config",
            str(config),
            "wisenet-connect",
            "--no-listen",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    try:
        assert proc.stdout is not None
        seen = ""
        while "press Enter" not in seen:
            line = proc.stdout.readline()
            assert line, f"exited early: {proc.stderr.read() if proc.stderr else ''}"
            seen += line
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130
    assert "Cancelled: no Wisenet tokens were stored." in err
    assert "Traceback" not in err
    assert wisenet_connections(tmp_path / "x.db") == []


def seed(db: Path, *, broken: bool = False) -> None:
    async def body(store: Store) -> None:
        tokens = TokenResponse(
            access_token=SecretStr("seeded-access"),
            refresh_token=SecretStr("seeded-refresh"),
            expires_at=EXPIRES,
            scope="learners.read",
        )
        cid = await store_authorization(StoreTokens(store), tokens, now=START)
        if broken:
            await mark_needs_reconnect(store, cid, "invalid_grant", now=START)

    with_store(db, body)


def status(config: Path, *extra: str) -> Result:
    with respx.mock(assert_all_mocked=True):  # any call to Wisenet would fail the test
        return CliRunner().invoke(cli, ["--config", str(config), "wisenet-status", *extra])


def test_status_json_before_and_after_connecting(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    empty = status(config, "--json")
    assert empty.exit_code == 0, empty.output
    assert json.loads(empty.stdout)["status"] == "not_connected"
    seed(tmp_path / "x.db")
    result = status(config, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    [conn] = wisenet_connections(tmp_path / "x.db")
    assert report == {
        "auth_mode": "oauth",
        "status": "connected",
        "status_reason": None,
        "connection_id": conn.connection_id,
        "access_token_expires_at": EXPIRES.isoformat(),
        "access_token_expired": datetime.now(UTC) >= EXPIRES,
        "refresh_pending": False,
        "refresh_token_rotated_at": None,
        "scopes": "learners.read",
        "api_key_configured": True,
        "budget": {"daily_quota": 1000, "read_reserve": 200, "requests_per_second": 10.0},
    }
    assert "seeded" not in result.output


def test_status_text_points_at_the_fix(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    seed(tmp_path / "x.db", broken=True)
    result = status(config)
    assert result.exit_code == 0, result.output
    assert "Wisenet OAuth: needs reconnect (invalid_grant)." in result.stdout
    assert "Run `xerowatch wisenet-connect` to authorise." in result.stdout
    assert (
        "1000 requests per rolling 24 h (the last 200 kept for reading learners)" in result.stdout
    )
    api_key_mode = status(write_config(tmp_path, auth_mode="api_key"))
    assert 'auth_mode = "api_key"' in api_key_mode.stdout
