"""A real daemon process under real signals: SIGHUP reloads, SIGTERM mid-iteration exits 0."""

from __future__ import annotations

import os
import select
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HANG_GUARD_SECONDS = 15.0
STOP_LIMIT_SECONDS = 10.0


class ChildOutput:
    """Reads a child's stdout line by line, straight from the pipe (no hidden buffering)."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        self._fd = proc.stdout.fileno()
        self._buffer = b""
        self.lines: list[str] = []

    def until(self, wanted: Callable[[str], bool]) -> str:
        deadline = time.monotonic() + HANG_GUARD_SECONDS
        while time.monotonic() < deadline:
            while b"\n" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\n", 1)
                line = raw.decode()
                self.lines.append(line)
                if wanted(line):
                    return line
            ready, _, _ = select.select([self._fd], [], [], 0.1)
            if ready:
                chunk = os.read(self._fd, 4096)
                if not chunk:
                    break
                self._buffer += chunk
        raise AssertionError(f"child never printed the expected line; got {self.lines}")

    def rest(self) -> list[str]:
        while chunk := os.read(self._fd, 4096):
            self._buffer += chunk
        self.lines.extend(line.decode() for line in self._buffer.splitlines())
        self._buffer = b""
        return self.lines


@pytest.fixture
def notify_socket() -> Iterator[tuple[str, socket.socket]]:
    name = f"xerowatch-test-{uuid.uuid4().hex}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    sock.setblocking(False)
    yield "@" + name, sock
    sock.close()


def write_config(path: Path, db: Path, poll_seconds: int) -> None:
    path.write_text(f'[store]\npath = "{db}"\n\n[sync]\npoll_seconds = {poll_seconds}\n')


def received(sock: socket.socket) -> list[str]:
    messages = []
    while True:
        try:
            messages.append(sock.recv(4096).decode())
        except BlockingIOError:
            return messages


def test_sighup_reloads_and_sigterm_mid_iteration_finishes_it_and_exits_0(
    tmp_path: Path, notify_socket: tuple[str, socket.socket]
) -> None:
    address, sock = notify_socket
    db, config = tmp_path / "daemon.db", tmp_path / "xerowatch.toml"
    write_config(config, db, poll_seconds=60)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XEROWATCH_", "WATCHDOG_"))}
    env.update(NOTIFY_SOCKET=address, PYTHONPATH=str(REPO))
    with (tmp_path / "stderr.log").open("wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.daemon.daemon_child", str(config)],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=stderr,
        )
    try:
        out = ChildOutput(proc)
        out.until(lambda line: line == "generation poll_seconds=60.0")
        out.until(lambda line: line.startswith("iteration-start"))

        write_config(config, db, poll_seconds=30)
        proc.send_signal(signal.SIGHUP)
        out.until(lambda line: line == "generation poll_seconds=30.0")
        in_flight = out.until(lambda line: line.startswith("iteration-start")).split()[1]
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=STOP_LIMIT_SECONDS)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    lines = out.rest()
    log = (tmp_path / "stderr.log").read_text()
    assert code == 0, log
    assert lines[-1] == "exit 0"
    # The reload let the first generation's iteration end before the new loops started.
    reload_at = lines.index("generation poll_seconds=30.0")
    before = lines[:reload_at]
    assert [x.split()[1] for x in before if x.startswith("iteration-start")] == [
        x.split()[1] for x in before if x.startswith("iteration-end")
    ]
    # SIGTERM arrived mid-iteration: that iteration finished, no new one started.
    after_term = lines[lines.index(f"iteration-start {in_flight}") + 1 :]
    assert f"iteration-end {in_flight}" in after_term
    assert not any(x.startswith("iteration-start") for x in after_term)
    # systemd heard the whole lifecycle, in order.
    states = [m.split("\n")[0] for m in received(sock) if not m.startswith(("STATUS", "WATCHDOG"))]
    assert states == ["READY=1", "RELOADING=1", "READY=1", "STOPPING=1"]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM daemon_lease").fetchone()[0] == 0
    assert "SIGTERM: stopping" in log
