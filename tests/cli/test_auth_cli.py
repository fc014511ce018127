"""`xerowatch connect`, `connections`, `disconnect` through click, as an admin would use them."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import anyio
import pytest
import respx
from click.testing import CliRunner
from pydantic import SecretStr

from tests.xero.fake_identity import (
    CLIENT_ID,
    CLIENT_SECRET,
    CONNECTIONS_URL,
    TOKEN_URL,
    FakeXeroIdentity,
    connections_body,
)
from xerowatch.cli import cli, main
from xerowatch.clock import FakeClock
from xerowatch.store.db import Store, open_store
from xerowatch.store.tenants import TenantInfo, get_tenant, list_tenants, upsert_tenants
from xerowatch.store.tokens import (
    IssuedTokens,
    create_connection,
    list_connections,
    mark_needs_reconnect,
)
from xerowatch.xero import login

REPO = Path(__file__).resolve().parents[2]
CONN_A, TENANT_A = "7cb59f93-2964-421d-bb5e-a0f7a4572a44", "fe79f7dd-b6d4-4a92-ba7b-538af6289c58"
CONN_B, TENANT_B = "0b5e0a3c-5a4e-4d4c-9d61-3b1a2b7c8d9e", "3c0d6b6e-7f5a-4c1e-a2b3-c4d5e6f7a8b9"
REDIRECT = "https://xerowatch.example.com/callback"
T = TypeVar("T")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith("XEROWATCH_"):
            monkeypatch.delenv(name)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def write_config(tmp_path: Path, **xero: str) -> Path:
    settings = {"client_id": CLIENT_ID, "redirect_uri": REDIRECT, **xero}
    lines = ["[store]", f'path = "{tmp_path / "x.db"}"', "[xero]", "max_retries = 1"]
    lines += [f'{key} = "{value}"' for key, value in settings.items()]
    path = tmp_path / "xerowatch.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def seed_store(db: Path, *, broken: bool = False) -> str:
    async def body() -> str:
        store = await open_store(db)
        try:
            now = datetime.now(UTC)
            tokens = IssuedTokens(
                SecretStr("access-secret"),
                now + timedelta(minutes=20),
                SecretStr("refresh-secret"),
                "offline_access accounting.contacts",
            )
            cid = await create_connection(
                store, provider="xero", auth_mode="authorization_code", tokens=tokens, now=now
            )
            await upsert_tenants(
                store,
                cid,
                [
                    TenantInfo(TENANT_A, "Alpha Academy", "ORGANISATION", CONN_A),
                    TenantInfo(TENANT_B, "Beta College", "ORGANISATION", CONN_B),
                ],
            )
            if broken:
                await mark_needs_reconnect(store, cid, "invalid_grant", now=now)
            return cid
        finally:
            await store.close()

    return anyio.run(body)


def read_store(db: Path, func: Callable[[Store], Awaitable[T]]) -> T:
    async def body() -> T:
        store = await open_store(db)
        try:
            return await func(store)
        finally:
            await store.close()

    return anyio.run(body)


def test_help_lists_the_auth_commands() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for command in ("connect", "connections", "disconnect"):
        assert command in result.output


def test_connect_help_explains_the_ssh_flow() -> None:
    result = CliRunner().invoke(cli, ["connect", "--help"])
    assert result.exit_code == 0
    assert "paste" in result.output
    assert "--tenant" in result.output and "--all-tenants" in result.output


def test_connections_json_lists_the_seeded_tenants_without_secrets(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    cid = seed_store(tmp_path / "x.db")
    result = CliRunner().invoke(cli, ["--config", str(config), "connections", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["tenant_id"], r["name"], r["status"]) for r in rows] == [
        (TENANT_A, "Alpha Academy", "connected"),
        (TENANT_B, "Beta College", "connected"),
    ]
    assert rows[0]["connection_id"] == cid
    assert rows[0]["xero_connection_id"] == CONN_A
    assert "secret" not in result.output


def test_connections_table_points_at_the_fix_for_a_broken_authorisation(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    seed_store(tmp_path / "x.db", broken=True)
    result = CliRunner().invoke(cli, ["--config", str(config), "connections"])
    assert result.exit_code == 0, result.output
    header, first, second = result.stdout.splitlines()[:3]
    assert header.split() == ["TENANT", "ID", "NAME", "TYPE", "STATUS", "AUTH"]
    assert TENANT_A in first and "needs_reconnect" in first
    assert TENANT_B in second
    assert "run `xerowatch connect`" in result.stdout


def test_connections_on_an_empty_store_says_what_to_do(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    result = CliRunner().invoke(cli, ["--config", str(config), "connections"])
    assert result.exit_code == 0
    assert "run `xerowatch connect`" in result.stdout


def test_a_bad_config_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[xero]\nauth_mode = "password"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("XEROWATCH_")}
    done = subprocess.run(
        [sys.executable, "-m", "xerowatch", "--config", str(bad), "connections"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith("error: config xero.auth_mode")


def test_connect_without_a_client_id_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, client_id="")
    monkeypatch.setattr(sys, "argv", ["xerowatch", "--config", str(config), "connect"])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 2
    [line] = capsys.readouterr().err.splitlines()
    assert "xero.client_id" in line and "XEROWATCH_XERO__CLIENT_ID" in line


def mock_xero(identity: FakeXeroIdentity) -> respx.MockRouter:
    router = respx.mock(assert_all_mocked=True, assert_all_called=False)
    router.post(TOKEN_URL).mock(side_effect=identity.handler)
    router.get(CONNECTIONS_URL).respond(
        200,
        json=connections_body((CONN_A, TENANT_A, "Alpha Academy"), (CONN_B, TENANT_B, "Beta")),
    )
    return router


def test_connect_with_a_pasted_redirect_and_a_numbered_choice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(tmp_path)
    monkeypatch.setattr(login, "new_state", lambda: "state-1")
    identity = FakeXeroIdentity(FakeClock())
    pasted = [
        f"{REDIRECT}?code=the-code&state=forged",  # from an older attempt: asked again
        f"{REDIRECT}?code=the-code&scope=offline_access&state=state-1",
        "7",  # not offered: asked again
        "2",
    ]
    with mock_xero(identity):
        result = CliRunner().invoke(
            cli, ["--config", str(config), "connect"], input="\n".join(pasted) + "\n"
        )
    assert result.exit_code == 0, result.output
    assert "https://login.xero.com/identity/connect/authorize?" in result.stdout
    assert "state does not match" in result.stderr
    assert "1. Alpha Academy" in result.stdout and "2. Beta" in result.stdout
    assert f"Connected Beta ({TENANT_B})." in result.stdout
    [form] = identity.forms
    assert (form["grant_type"], form["code"]) == ("authorization_code", "the-code")
    tenants = read_store(tmp_path / "x.db", list_tenants)
    assert [t.tenant_id for t in tenants] == [TENANT_B]
    assert "access-1" not in result.output and "refresh-1" not in result.output


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def browser_returns(url: str) -> threading.Thread:
    """Play the browser: retry until the listener is up, then follow the redirect once."""

    def visit() -> None:
        for _ in range(200):
            try:
                with urllib.request.urlopen(url, timeout=5) as answer:
                    answer.read()
                return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.02)

    thread = threading.Thread(target=visit, daemon=True)
    thread.start()
    return thread


def test_connect_receives_the_browser_callback_on_the_loopback_listener(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    redirect = f"http://127.0.0.1:{free_port()}/callback"
    config = write_config(tmp_path, redirect_uri=redirect)
    monkeypatch.setattr(login, "new_state", lambda: "state-9")
    identity = FakeXeroIdentity(FakeClock())
    browser = browser_returns(f"{redirect}?code=the-code&state=state-9")
    with mock_xero(identity) as router:
        router.route(host="127.0.0.1").pass_through()
        result = CliRunner().invoke(
            cli, ["--config", str(config), "connect", "--tenant", TENANT_A], input=""
        )
    browser.join(timeout=10)
    assert result.exit_code == 0, result.output
    assert f"Waiting for the browser to return to {redirect}" in result.stdout
    assert f"Connected Alpha Academy ({TENANT_A})." in result.stdout
    assert [t.tenant_id for t in read_store(tmp_path / "x.db", list_tenants)] == [TENANT_A]


def test_connect_with_an_unknown_tenant_flag_stores_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(tmp_path)
    monkeypatch.setattr(login, "new_state", lambda: "s")
    with mock_xero(FakeXeroIdentity(FakeClock())):
        result = CliRunner().invoke(
            cli,
            ["--config", str(config), "connect", "--tenant", "nope"],
            input=f"{REDIRECT}?code=the-code&state=s\n",
        )
    assert result.exit_code == 1
    assert "not reachable through this authorisation: nope" in result.output
    assert read_store(tmp_path / "x.db", lambda s: list_connections(s)) == []


def test_connect_a_custom_connection_with_all_tenants(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(tmp_path, auth_mode="custom_connection")
    monkeypatch.setenv("XEROWATCH_XERO__CLIENT_SECRET", CLIENT_SECRET)
    identity = FakeXeroIdentity(FakeClock())
    with mock_xero(identity):
        result = CliRunner().invoke(cli, ["--config", str(config), "connect", "--all-tenants"])
    assert result.exit_code == 0, result.output
    assert "authorize?" not in result.stdout
    assert [f["grant_type"] for f in identity.forms] == ["client_credentials"]
    tenants = read_store(tmp_path / "x.db", list_tenants)
    assert {t.tenant_id for t in tenants} == {TENANT_A, TENANT_B}


def test_disconnect_deletes_the_xero_connection_and_deactivates_the_tenant(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path)
    seed_store(tmp_path / "x.db")
    with respx.mock(assert_all_mocked=True) as router:
        route = router.delete(f"{CONNECTIONS_URL}/{CONN_A}").respond(204)
        result = CliRunner().invoke(
            cli, ["--config", str(config), "disconnect", TENANT_A], input="y\n"
        )
    assert result.exit_code == 0, result.output
    assert f"Disconnected Alpha Academy ({TENANT_A})." in result.stdout
    assert route.calls.last.request.headers["Authorization"] == "Bearer access-secret"
    tenant = read_store(tmp_path / "x.db", lambda s: get_tenant(s, TENANT_A))
    assert tenant is not None and tenant.active is False
    again = CliRunner().invoke(cli, ["--config", str(config), "disconnect", TENANT_A, "--yes"])
    assert again.exit_code == 0
    assert "already disconnected" in again.stdout


def test_disconnect_with_a_broken_authorisation_still_stops_syncing(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    seed_store(tmp_path / "x.db", broken=True)
    with respx.mock(assert_all_mocked=True):  # no route: any request would fail the test
        result = CliRunner().invoke(cli, ["--config", str(config), "disconnect", TENANT_B, "-y"])
    assert result.exit_code == 0, result.output
    assert "Connected apps" in result.stderr
    tenant = read_store(tmp_path / "x.db", lambda s: get_tenant(s, TENANT_B))
    assert tenant is not None and tenant.active is False


def test_disconnect_of_an_unknown_tenant_says_where_to_look(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    result = CliRunner().invoke(cli, ["--config", str(config), "disconnect", "nope", "-y"])
    assert result.exit_code == 1
    assert "xerowatch connections --all" in result.output
