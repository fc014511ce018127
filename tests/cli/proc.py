"""Run the real `xerowatch` entry point in a child process, as systemd or a user would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def xerowatch(
    *args: str, config: Path | None = None, timeout: float = 60, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m xerowatch [--config CONFIG] ARGS…`, output captured as text."""
    argv = [sys.executable, "-m", "xerowatch"]
    if config is not None:
        argv += ["--config", str(config)]
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("XEROWATCH_")}
    full_env.update(env or {})
    return subprocess.run(
        [*argv, *args], capture_output=True, text=True, check=False, timeout=timeout, env=full_env
    )


@contextmanager
def running_daemon(config: Path) -> Iterator[subprocess.Popen[str]]:
    """`xerowatch run` as a child process, ready (its loops up) until the block ends."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("XEROWATCH_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "xerowatch", "--config", str(config), "run"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**env, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stderr is not None
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            assert line, "the daemon exited before it was ready"
            if "daemon ready" in line:
                break
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
