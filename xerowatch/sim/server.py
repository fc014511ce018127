"""Serve an ASGI app (a simulator) with uvicorn in a background thread, on a free port."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import uvicorn
from starlette.types import ASGIApp

_START_TIMEOUT_S = 10.0


@dataclass
class RunningServer:
    """A started server: its base URL and port, and how to stop it."""

    url: str
    port: int
    _server: uvicorn.Server = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    def stop(self) -> None:
        """Ask uvicorn to exit and wait for its thread (idempotent)."""
        self._server.should_exit = True
        self._thread.join(timeout=_START_TIMEOUT_S)


@contextmanager
def serve_in_thread(
    app: ASGIApp, host: str = "127.0.0.1", port: int = 0
) -> Iterator[RunningServer]:
    """Run `app` under uvicorn in a daemon thread until the block exits; port 0 picks a free one."""
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", lifespan="off", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{host}:{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + _START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"uvicorn did not start on {host}:{port}")
        time.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()[1]
    running = RunningServer(f"http://{host}:{bound}", bound, server, thread)
    try:
        yield running
    finally:
        running.stop()
