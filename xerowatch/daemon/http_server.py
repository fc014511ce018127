"""uvicorn embedded in the daemon's task group; the daemon, not uvicorn, owns the signals."""

from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import Iterator

import uvicorn
from starlette.types import ASGIApp

log = logging.getLogger(__name__)


class HttpBindError(Exception):
    """The HTTP server could not listen on its address."""


class _EmbeddedServer(uvicorn.Server):
    """uvicorn.Server without its signal handlers (they would replace the daemon's)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Install nothing: the daemon runner handles SIGTERM/SIGINT/SIGHUP."""
        yield


class HttpServer:
    """Binds first (so errors are one clear line), then serves until `stop()`."""

    def __init__(self, app: ASGIApp, host: str, port: int, *, graceful_seconds: int = 3) -> None:
        self._host = host
        self._port = port
        self._sock: socket.socket | None = None
        self._bound: tuple[str, int] | None = None
        config = uvicorn.Config(
            app,
            lifespan="off",
            log_config=None,
            access_log=False,
            server_header=False,
            timeout_graceful_shutdown=graceful_seconds,
        )
        self._server = _EmbeddedServer(config)

    @property
    def address(self) -> tuple[str, int]:
        """The bound host and port (the real port when 0 was asked for)."""
        return self._bound or (self._host, self._port)

    def bind(self) -> None:
        """Bind and listen; connections queue until `serve()` accepts them."""
        try:
            infos = socket.getaddrinfo(
                self._host, self._port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
            )
            family, socktype, proto, _, address = infos[0]
            sock = socket.socket(family, socktype, proto)
        except OSError as exc:
            raise HttpBindError(
                f"cannot listen on {self._host}:{self._port}: {exc} — check daemon.http_host"
            ) from None
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
            sock.listen(128)
        except OSError as exc:
            sock.close()
            raise HttpBindError(
                f"cannot listen on {self._host}:{self._port}: {exc.strerror or exc} — stop what "
                "uses the port or set daemon.http_port / daemon.http_host"
            ) from None
        sock.setblocking(False)
        self._sock = sock
        host, port = sock.getsockname()[:2]
        self._bound = (str(host), int(port))

    async def serve(self) -> None:
        """Serve requests until `stop()`, then drain connections for the graceful timeout."""
        if self._sock is None:
            self.bind()
        assert self._sock is not None
        host, port = self.address
        log.info("HTTP server listening on %s:%d", host, port)
        await self._server.serve(sockets=[self._sock])

    def stop(self) -> None:
        """Ask the server to stop accepting and finish in-flight requests."""
        self._server.should_exit = True
