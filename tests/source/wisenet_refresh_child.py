"""A process using the Wisenet OAuth token as the daemon or a CLI command does.

`python -m tests.source.wisenet_refresh_child CONFIG ROLE ROUNDS GO_FILE`: builds the source
through the production factory (`make_source`), touches ROLE.ready beside GO_FILE, waits until
GO_FILE exists (so two children start together), then makes ROUNDS API requests, each
refreshing the token when it is due. Prints "ROLE done N" and exits 0, or one line naming the
failure and exits 1.
"""

from __future__ import annotations

import sys
import time
from contextlib import AsyncExitStack
from pathlib import Path

import anyio

from xerowatch.clock import SystemClock
from xerowatch.config import load_settings
from xerowatch.source.factory import make_source
from xerowatch.source.port import SourceError
from xerowatch.store.db import open_store

GO_TIMEOUT_S = 30.0


async def run(config: Path, role: str, rounds: int, go: Path) -> int:
    settings = load_settings(config)
    store = await open_store(settings.store.path)
    try:
        async with AsyncExitStack() as stack:
            source = make_source(settings, store, SystemClock(), stack)
            await anyio.Path(go.with_name(f"{role}.ready")).touch()
            deadline = time.monotonic() + GO_TIMEOUT_S
            while not await anyio.Path(go).exists():
                if time.monotonic() > deadline:
                    print(f"{role} never saw {go}", flush=True)
                    return 1
                await anyio.sleep(0.01)
            for _ in range(rounds):
                await source.get_learner("1")  # a real request carrying the Bearer token
    except SourceError as exc:
        print(f"{role} failed: {exc}", flush=True)
        return 1
    finally:
        await store.close()
    print(f"{role} done {rounds}", flush=True)
    return 0


if __name__ == "__main__":
    config, role, rounds, go = sys.argv[1:5]
    sys.exit(anyio.run(run, Path(config), role, int(rounds), Path(go)))
