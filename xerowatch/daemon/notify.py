"""systemd's notify protocol over $NOTIFY_SOCKET (READY, STATUS, WATCHDOG, STOPPING), no deps."""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable, Mapping

from xerowatch.clock import Clock
from xerowatch.logs import redact

log = logging.getLogger(__name__)

StatusText = Callable[[], Awaitable[str]]
"""Returns the one-line status systemd shows, e.g. "1,234 synced · 3 alerts · 41/60 this minute"."""


def _socket_address(raw: str) -> str | None:
    """Translate $NOTIFY_SOCKET into a connectable address ('@name' = abstract namespace)."""
    if raw.startswith("@"):
        return "\0" + raw[1:]
    if raw.startswith("/"):
        return raw
    return None  # e.g. vsock: addresses, which this daemon does not need


class SystemdNotifier:
    """Sends sd_notify messages; every method is a silent no-op when not run by systemd."""

    def __init__(self, address: str | None, *, watchdog_usec: int | None = None) -> None:
        self._address = address
        self._watchdog_usec = watchdog_usec
        self._sock: socket.socket | None = None
        self._warned = False

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> SystemdNotifier:
        """Build from NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID (defaults to os.environ)."""
        env = os.environ if environ is None else environ
        raw = env.get("NOTIFY_SOCKET", "")
        address = _socket_address(raw) if raw else None
        if raw and address is None:
            log.warning("NOTIFY_SOCKET=%s is not a unix socket path; systemd notify disabled", raw)
        watchdog: int | None = None
        usec = env.get("WATCHDOG_USEC", "")
        watchdog_pid = env.get("WATCHDOG_PID", "")
        if usec.isdigit() and int(usec) > 0 and watchdog_pid in ("", str(os.getpid())):
            watchdog = int(usec)
        return cls(address, watchdog_usec=watchdog)

    @property
    def enabled(self) -> bool:
        """True when there is a socket to talk to."""
        return self._address is not None

    @property
    def watchdog_interval(self) -> float | None:
        """Seconds between WATCHDOG=1 pings (half of WATCHDOG_USEC), or None if not requested."""
        if self._watchdog_usec is None or not self.enabled:
            return None
        return self._watchdog_usec / 2_000_000

    def notify(self, *assignments: str) -> bool:
        """Send `KEY=value` lines in one datagram; return whether it was sent."""
        if self._address is None or not assignments:
            return False
        payload = "\n".join(line.replace("\n", " ") for line in assignments).encode("utf-8")
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
                self._sock.setblocking(False)
            self._sock.sendto(payload, self._address)
        except OSError as exc:
            if not self._warned:  # once: a missing socket would otherwise log on every ping
                log.warning("cannot notify systemd at %r: %s", self._address, exc)
                self._warned = True
            return False
        return True

    def ready(self, status: str | None = None) -> bool:
        """Tell systemd start-up is complete."""
        lines = ["READY=1"] + ([f"STATUS={redact(status)}"] if status else [])
        return self.notify(*lines)

    def status(self, text: str) -> bool:
        """Update the status line `systemctl status` shows."""
        return self.notify(f"STATUS={redact(text)}")

    def watchdog(self) -> bool:
        """Ping the watchdog."""
        return self.notify("WATCHDOG=1")

    def reloading(self) -> bool:
        """Tell systemd a configuration reload started (send `ready()` when done)."""
        usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        return self.notify("RELOADING=1", f"MONOTONIC_USEC={usec}")

    def stopping(self) -> bool:
        """Tell systemd shutdown started."""
        return self.notify("STOPPING=1", "STATUS=stopping")

    def close(self) -> None:
        """Close the socket."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None


async def ping_systemd(
    notifier: SystemdNotifier,
    clock: Clock,
    status_text: StatusText,
    *,
    status_every: float = 10.0,
) -> None:
    """Forever: ping the watchdog every WATCHDOG_USEC/2 and refresh STATUS.

    The ping proves the event loop is responsive; a wedged loop stops pinging and systemd
    restarts the service. Failing sync work does not stop the pings: a restart would not help
    an unreachable Xero, and the alerts say what is wrong.
    """
    if not notifier.enabled:
        return
    watchdog = notifier.watchdog_interval
    period = min(status_every, watchdog) if watchdog else status_every
    last_status = ""
    while True:
        if watchdog:
            notifier.watchdog()
        try:
            text = await status_text()
        except Exception as exc:
            log.warning("status line unavailable: %s", redact(str(exc)))
        else:
            if text != last_status:
                notifier.status(text)
                last_status = text
        await clock.sleep(period)
