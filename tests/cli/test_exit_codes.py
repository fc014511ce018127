"""Every documented exit code holds for the real process, not only for CliRunner."""

from __future__ import annotations

import socket
from pathlib import Path

import anyio
import pytest

from tests.cli.proc import xerowatch
from xerowatch.clock import SystemClock
from xerowatch.daemon.lease import DaemonLease
from xerowatch.store.db import open_store

CREDENTIALS = '[xero]\nclient_id = "app"\n[wisenet]\napi_key = "key"\n'


def _config(tmp_path: Path, extra: str = "") -> Path:
    config = tmp_path / "xerowatch.toml"
    config.write_text(f'[store]\npath = "{tmp_path / "xerowatch.db"}"\n{extra}', encoding="utf-8")
    return config


def test_second_run_while_the_lease_is_held_exits_3(tmp_path: Path) -> None:
    config = _config(tmp_path, CREDENTIALS)

    async def hold() -> None:
        store = await open_store(tmp_path / "xerowatch.db")
        await DaemonLease(store, SystemClock(), pid=4242, host="other-box").acquire()
        await store.close()

    anyio.run(hold)
    proc = xerowatch("run", config=config)
    assert proc.returncode == 3, proc.stderr
    assert "pid 4242 on host other-box" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_run_with_its_http_port_taken_exits_1(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        http = f"[daemon]\nhttp_enabled = true\nhttp_port = {port}\n"
        config = _config(tmp_path, CREDENTIALS + http)
        proc = xerowatch("run", config=config)
    assert proc.returncode == 1, proc.stderr
    assert str(port) in proc.stderr
    assert "Traceback" not in proc.stderr


def test_usage_error_exits_2_and_help_exits_0(tmp_path: Path) -> None:
    assert xerowatch("--help").returncode == 0
    bad = xerowatch("no-such-command")
    assert bad.returncode == 2
    assert "No such command" in bad.stderr


@pytest.mark.parametrize("command", [("run",), ("sync", "--once"), ("status",)])
def test_a_misspelt_time_zone_is_refused_at_load_with_exit_2(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    config = _config(tmp_path, CREDENTIALS + 'timezone = "Australia/Sidney"\n')
    proc = xerowatch(*command, config=config)
    assert proc.returncode == 2, proc.stderr
    [line] = proc.stderr.splitlines()
    assert line.startswith("error: config wisenet.timezone: unknown time zone 'Australia/Sidney'")
    assert "Australia/Sydney" in line and "XEROWATCH_WISENET__TIMEZONE" in line


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('[xero]\napi_url = "api.xero.com/api.xro/2.0"\n', "xero.api_url"),
        ('[xero]\nidentity_url = "not a url"\n', "xero.identity_url"),
        ('[wisenet]\nbase_url = "ftp://wisenet/v1"\n', "wisenet.base_url"),
        ('[file_source]\ntimezone = "Mars/Olympus"\n', "file_source.timezone"),
    ],
)
def test_values_that_cannot_work_are_refused_at_load(tmp_path: Path, toml: str, key: str) -> None:
    proc = xerowatch("status", config=_config(tmp_path, toml))
    assert proc.returncode == 2, proc.stderr
    [line] = proc.stderr.splitlines()
    assert line.startswith(f"error: config {key}: ")


def test_a_bad_log_level_is_one_line_and_exit_2(tmp_path: Path) -> None:
    proc = xerowatch("--log-level", "LOUD", "status", config=_config(tmp_path))
    assert proc.returncode == 2
    [line] = proc.stderr.splitlines()
    assert line.startswith("error: ") and "'LOUD' is not one of" in line
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('[xero]\nclient_id = "app"\n[wisenet]\n', "wisenet.api_key"),
        ('[xero]\n[wisenet]\napi_key = "k"\n', "xero.client_id"),
        (
            '[xero]\nclient_id = "app"\nauth_mode = "custom_connection"\n'
            '[wisenet]\napi_key = "k"\n',
            "xero.client_secret",
        ),
        (
            '[xero]\nclient_id = "app"\n[wisenet]\nauth_mode = "oauth"\n',
            "wisenet.oauth_client_id",
        ),
    ],
)
@pytest.mark.parametrize("command", [("run",), ("sync", "--once")])
def test_a_missing_secret_for_the_auth_mode_is_refused_before_any_call(
    tmp_path: Path, toml: str, key: str, command: tuple[str, ...]
) -> None:
    proc = xerowatch(*command, config=_config(tmp_path, toml))
    assert proc.returncode == 2, proc.stderr
    [line] = proc.stderr.splitlines()
    assert line.startswith(f"error: config {key} ")
    assert not (tmp_path / "xerowatch.db").exists()  # refused before the store was touched
