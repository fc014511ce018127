"""Every documented exit code holds for the real process, not only for CliRunner."""

from __future__ import annotations

import socket
from pathlib import Path

import anyio

from tests.cli.proc import xerowatch
from xerowatch.clock import SystemClock
from xerowatch.daemon.lease import DaemonLease
from xerowatch.store.db import open_store


def _config(tmp_path: Path, extra: str = "") -> Path:
    config = tmp_path / "xerowatch.toml"
    config.write_text(f'[store]\npath = "{tmp_path / "xerowatch.db"}"\n{extra}', encoding="utf-8")
    return config


def test_second_run_while_the_lease_is_held_exits_3(tmp_path: Path) -> None:
    config = _config(tmp_path)

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
        config = _config(tmp_path, f"[daemon]\nhttp_enabled = true\nhttp_port = {port}\n")
        proc = xerowatch("run", config=config)
    assert proc.returncode == 1, proc.stderr
    assert str(port) in proc.stderr
    assert "Traceback" not in proc.stderr


def test_usage_error_exits_2_and_help_exits_0(tmp_path: Path) -> None:
    assert xerowatch("--help").returncode == 0
    bad = xerowatch("no-such-command")
    assert bad.returncode == 2
    assert "No such command" in bad.stderr
