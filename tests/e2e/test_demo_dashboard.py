"""`make demo` as a newcomer runs it: the dashboard on a terminal, `q`, exit 0, nothing left."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import socket
import struct
import subprocess
import sys
import termios
import time
import tomllib
import urllib.request
from pathlib import Path

ANSI = re.compile(
    r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b."
)


def _read(fd: int, seconds: float) -> str:
    chunks: list[bytes] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            if chunks:
                break
            continue
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    return ANSI.sub("", b"".join(chunks).decode("utf-8", "replace"))


def test_make_demo_shows_the_dashboard_and_q_exits_0_leaving_no_listener(tmp_path: Path) -> None:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    demo_dir = tmp_path / "demo"
    proc = subprocess.Popen(
        [sys.executable, "-m", "xerowatch", "demo", "--learners", "20", "--dir", str(demo_dir)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env={**os.environ, "TERM": "xterm-256color", "PYTHONUNBUFFERED": "1"},
        close_fds=True,
    )
    os.close(slave)
    screen = ""
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            screen += _read(master, 1.0)
            if "embedded" in screen and "Demo RTO" in screen and "connected" in screen:
                break
        assert "embedded" in screen and "Demo RTO" in screen, screen[-2000:]
        port = tomllib.loads((demo_dir / "xerowatch.toml").read_text())["daemon"]["http_port"]
        # the embedded daemon serves webhooks, /metrics and /healthz while the dashboard runs
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as health:
            assert health.status == 200
        os.write(master, b"q")
        code = proc.wait(timeout=30)
        rest = _read(master, 2.0)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    assert code == 0, rest
    assert "demo stopped (exit code 0)" in rest
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError:
        pass
    else:
        raise AssertionError(f"something still listens on the demo's port {port}")
