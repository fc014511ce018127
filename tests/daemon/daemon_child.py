"""A real daemon process for the signal tests: `python -m tests.daemon.daemon_child CONFIG`.

It runs `DaemonRunner` with signal handlers installed and one loop whose iterations take a
while, printing markers on stdout so the test can signal it mid-iteration.
"""

from __future__ import annotations

import sys
from pathlib import Path

import anyio

from xerowatch.clock import SystemClock
from xerowatch.config import load_settings
from xerowatch.daemon.runner import DaemonRunner, LoopServices
from xerowatch.daemon.supervisor import LoopSpec
from xerowatch.logs import setup_logging
from xerowatch.store.db import open_store

ITERATION_SECONDS = 0.3


def say(line: str) -> None:
    print(line, flush=True)


async def serve(config: Path) -> int:
    settings = load_settings(config)
    store = await open_store(settings.store.path)
    count = 0

    async def work() -> float | None:
        nonlocal count
        count += 1
        say(f"iteration-start {count}")
        await anyio.sleep(ITERATION_SECONDS)
        say(f"iteration-end {count}")
        return None

    def loops(context: LoopServices) -> list[LoopSpec]:
        say(f"generation poll_seconds={context.settings.sync.poll_seconds}")
        return [LoopSpec("work", work, interval=0.05)]

    try:
        runner = DaemonRunner(
            settings=settings,
            store=store,
            clock=SystemClock(),
            loops_factory=loops,
            settings_loader=lambda: load_settings(config),
        )
        code = await runner.serve()
    finally:
        await store.close()
    say(f"exit {code}")
    return code


def main() -> None:
    """Run until signalled; exit with the runner's code."""
    setup_logging(level="INFO")
    sys.exit(anyio.run(serve, Path(sys.argv[1])))


if __name__ == "__main__":
    main()
