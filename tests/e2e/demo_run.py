"""`xerowatch demo --headless …` in a child process: read its status lines until one says the
work is done, then Ctrl-C it, as a user at the terminal would."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class DemoRun:
    """What a headless demo printed before and after its Ctrl-C, and how it ended."""

    seen: list[str]
    """The lines read before Ctrl-C (the last one met `done`, unless the deadline came first)."""
    rest: str
    """Everything printed after Ctrl-C."""
    returncode: int

    @property
    def output(self) -> str:
        """All it printed."""
        return "".join(self.seen) + self.rest


def run_demo_until(args: list[str], done: Callable[[str], bool], *, within_s: float) -> DemoRun:
    """`xerowatch demo --headless ARGS`: read lines until `done(line)` (or its output ends, or
    `within_s` passes), then send SIGINT and wait up to 15 s for a clean stop."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "xerowatch", "demo", "--headless", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    seen: list[str] = []
    try:
        assert proc.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            if not selector.select(timeout=1):
                continue
            line = proc.stdout.readline()
            if not line:
                break
            seen.append(line)
            if done(line):
                break
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return DemoRun(seen, rest, proc.returncode)
