"""The redirect's way back: a tiny loopback listener, or the URL the admin pastes, first wins.

Built for an admin on SSH: the redirect arrives either on the loopback listener (when the
registered redirect URI is http://localhost or 127.0.0.1) or as the URL the admin pastes back
from the browser's address bar, whichever comes first.
"""

from __future__ import annotations

import html
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import anyio
import anyio.abc

from xerowatch.oauth.errors import AuthorizationError, StateMismatchError
from xerowatch.oauth.pkce import parse_redirect

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
_MAX_REQUEST_HEAD = 16 * 1024


def loopback_address(redirect_uri: str) -> tuple[str, int, str] | None:
    """Return (host, port, path) to listen on when the redirect URI is a loopback http URL."""
    split = urlsplit(redirect_uri)
    host = split.hostname or ""
    if split.scheme != "http" or host not in LOOPBACK_HOSTS:
        return None
    return host, split.port if split.port is not None else 80, split.path or "/"


class LoopbackCallback:
    """Answers browser requests on the loopback listener until a valid redirect arrives."""

    def __init__(self, path: str, expected_state: str, port: int, provider: str) -> None:
        self.path = path
        self.provider = provider
        self.port = port
        self._expected_state = expected_state
        self._done = anyio.Event()
        self._code: str | None = None
        self._error: AuthorizationError | None = None

    async def wait_for_code(self) -> str:
        """Wait for the browser's redirect; return its code or raise why it failed."""
        await self._done.wait()
        if self._error is not None:
            raise self._error
        assert self._code is not None
        return self._code

    async def handle(self, stream: anyio.abc.ByteStream) -> None:
        """Serve one HTTP request from the browser."""
        async with stream:
            try:
                with anyio.fail_after(10):
                    head = await _read_head(stream)
                status, body = self._answer(head)
                await stream.send(_http_response(status, body))
            except (
                TimeoutError,
                OSError,
                ValueError,
                anyio.EndOfStream,
                anyio.BrokenResourceError,
            ):
                return

    def _answer(self, head: bytes) -> tuple[str, str]:
        request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = request_line.split(" ")
        if len(parts) != 3 or parts[0] != "GET":
            return "405 Method Not Allowed", f"Only the {self.provider} redirect is served here."
        target = urlsplit(parts[1])
        if target.path != self.path:
            return "404 Not Found", "Not found."
        if self._done.is_set():
            return "409 Conflict", "This authorisation is already finished; close this tab."
        try:
            code = parse_redirect(
                parts[1], expected_state=self._expected_state, provider=self.provider
            )
        except StateMismatchError as exc:
            return "400 Bad Request", str(exc.message)
        except AuthorizationError as exc:
            self._error = exc
            self._done.set()
            return "400 Bad Request", exc.message + ". Return to the terminal."
        self._code = code
        self._done.set()
        done = f"xerowatch received {self.provider}'s authorisation. You can close this tab."
        return "200 OK", done


async def _read_head(stream: anyio.abc.ByteStream) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        data += await stream.receive()
        if len(data) > _MAX_REQUEST_HEAD:
            raise ValueError("request head too large")
    return data


def _http_response(status: str, message: str) -> bytes:
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>xerowatch</title></head>"
        f"<body><p>{html.escape(message)}</p></body></html>"
    ).encode()
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n"
        f"Content-Length: {len(page)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n"
    )
    return head.encode("latin-1") + page


@asynccontextmanager
async def loopback_listener(
    redirect_uri: str, expected_state: str, *, provider: str
) -> AsyncIterator[LoopbackCallback]:
    """Listen on the redirect URI's loopback address while the body runs.

    Raises OSError when the port cannot be bound, and ValueError for a non-loopback URI.
    """
    address = loopback_address(redirect_uri)
    if address is None:
        raise ValueError(f"{redirect_uri} is not an http loopback URI")
    host, port, path = address
    listener = await anyio.create_tcp_listener(local_host=host, local_port=port)
    bound = listener.extra(anyio.abc.SocketAttribute.local_port)  # noqa: S610 (anyio, not Django)
    callback = LoopbackCallback(path, expected_state, bound, provider)
    async with listener, anyio.create_task_group() as group:
        group.start_soon(listener.serve, callback.handle)
        try:
            yield callback
        finally:
            group.cancel_scope.cancel()


async def first_of(*sources: Callable[[], Awaitable[str]]) -> str:
    """Run the sources concurrently; return the first result (or raise the first error)."""
    if not sources:
        raise ValueError("no source to wait for")
    outcomes: list[str | Exception] = []
    async with anyio.create_task_group() as group:

        async def run(source: Callable[[], Awaitable[str]]) -> None:
            try:
                outcome: str | Exception = await source()
            except Exception as exc:
                outcome = exc
            if not outcomes:
                outcomes.append(outcome)
            group.cancel_scope.cancel()

        for source in sources:
            group.start_soon(run, source)
    first = outcomes[0]
    if isinstance(first, Exception):
        raise first
    return first
