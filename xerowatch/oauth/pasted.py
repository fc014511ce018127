"""The redirect's second way back: the URL an admin pastes at the terminal.

`receive_code` waits for the loopback listener and the pasted URL at once; the first wins.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Protocol

import anyio

from xerowatch.oauth.errors import AuthorizationDenied, AuthorizationError
from xerowatch.oauth.loopback import first_of, loopback_address, loopback_listener
from xerowatch.oauth.pkce import parse_redirect


class Echo(Protocol):
    """Shows one line to the admin (`err`: on standard error); `click.echo` is one."""

    def __call__(self, message: str, *, err: bool = False) -> None:
        """Show `message`."""
        ...


class StdinLines:
    """Lines typed at the terminal, read by one daemon thread so waiting can be cancelled.

    A single reader for the whole command: a read abandoned when the browser callback wins
    must not swallow the next answer (the tenant choice).
    """

    def __init__(self) -> None:
        self._queue: asyncio.Queue[str | None] | None = None

    async def next(self) -> str | None:
        """Return the next line without its newline, or None at end of input."""
        if self._queue is None:
            self._queue = asyncio.Queue()
            self._start(self._queue, asyncio.get_running_loop())
        line = await self._queue.get()
        if line is None:
            self._queue.put_nowait(None)  # stay at end of input for later readers
        return line

    @staticmethod
    def _start(queue: asyncio.Queue[str | None], loop: asyncio.AbstractEventLoop) -> None:
        stream = sys.stdin

        def pump() -> None:
            while True:
                try:
                    raw = stream.readline()
                except (OSError, ValueError):
                    raw = ""
                line = raw.rstrip("\r\n") if raw else None
                try:
                    loop.call_soon_threadsafe(queue.put_nowait, line)
                except RuntimeError:  # the loop is gone: the command has finished
                    return
                if line is None:
                    return

        threading.Thread(target=pump, name="xerowatch-stdin", daemon=True).start()


async def receive_code(
    redirect_uri: str,
    state: str,
    lines: StdinLines,
    *,
    listen: bool,
    provider: str,
    echo: Echo,
) -> str:
    """Wait for the loopback callback or a pasted redirect URL, whichever comes first.

    `echo` tells the admin what is awaited.
    """
    address = loopback_address(redirect_uri) if listen else None
    async with AsyncExitStack() as stack:
        sources: list[Callable[[], Awaitable[str]]] = []
        if address is not None:
            host, port, _ = address
            try:
                callback = await stack.enter_async_context(
                    loopback_listener(redirect_uri, state, provider=provider)
                )
            except OSError as exc:
                echo(
                    f"Cannot listen on {host}:{port} ({exc.strerror or exc}); "
                    "paste the redirect URL instead.",
                    err=True,
                )
            else:
                sources.append(callback.wait_for_code)
                echo(f"Waiting for the browser to return to {redirect_uri} ...")
        echo(
            "Or paste the URL the browser was sent to (copy the address bar, even if the page "
            "shows an error) and press Enter:"
        )
        listening = bool(sources)
        sources.append(
            lambda: _pasted_code(state, lines, keep_waiting=listening, provider=provider, echo=echo)
        )
        return await first_of(*sources)


async def _pasted_code(
    state: str, lines: StdinLines, *, keep_waiting: bool, provider: str, echo: Echo
) -> str:
    while True:
        line = await lines.next()
        if line is None:
            if keep_waiting:  # no terminal input; the browser callback may still come
                await anyio.sleep_forever()
            raise AuthorizationError("no redirect URL was pasted")
        if not line.strip():
            continue
        try:
            return parse_redirect(line, expected_state=state, provider=provider)
        except AuthorizationDenied:
            raise
        except AuthorizationError as exc:
            echo(f"{exc.message}. Paste it again:", err=True)
