"""One daemon per store: an exclusive lease row in `daemon_lease`, kept alive by heartbeats."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from xerowatch.clock import Clock
from xerowatch.store import daemon_lease
from xerowatch.store.daemon_lease import LeaseClaim, LeaseInfo
from xerowatch.store.db import Store

log = logging.getLogger(__name__)

DEFAULT_LEASE_NAME = "daemon"


class LeaseHeldError(Exception):
    """Another live daemon holds the store's lease."""

    def __init__(self, holder: LeaseInfo, store_path: Path, now: datetime, stale_after: float):
        self.holder = holder
        super().__init__(
            f"another xerowatch daemon is running on store {store_path}: "
            f"{holder.describe(now)}; stop it first (a crashed daemon's lease expires "
            f"{stale_after:.0f} s after its last heartbeat)"
        )


class LeaseLostError(Exception):
    """Our lease row is gone or belongs to someone else (we were presumed dead)."""


def pid_alive(pid: int) -> bool:
    """Return True if a process with this PID exists on this host (in our PID namespace)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


class DaemonLease:
    """Acquire, heartbeat and release the store's daemon lease.

    A lease is taken over when its heartbeat is older than `stale_after`, or at once when its
    holder ran on this host and that process no longer exists (so a systemd restart after a
    crash does not have to wait for the lease to go stale).
    """

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        name: str = DEFAULT_LEASE_NAME,
        stale_after: float = 30.0,
        heartbeat_every: float = 5.0,
        pid: int | None = None,
        host: str | None = None,
        is_pid_alive: Callable[[int], bool] = pid_alive,
    ) -> None:
        if heartbeat_every * 2 > stale_after:
            raise ValueError("heartbeat_every must be at most half of stale_after")
        self._store = store
        self._clock = clock
        self.name = name
        self.stale_after = stale_after
        self.heartbeat_every = heartbeat_every
        self.pid = os.getpid() if pid is None else pid
        self.host = host or socket.gethostname()
        self.holder = f"{self.host}:{self.pid}:{uuid.uuid4().hex[:12]}"
        self._claim = LeaseClaim(name=name, holder=self.holder, pid=self.pid, host=self.host)
        self._is_pid_alive = is_pid_alive

    async def current(self) -> LeaseInfo | None:
        """Return the lease as stored, or None when nobody holds it."""
        return await daemon_lease.get(self._store, self.name)

    async def live_holder(self) -> LeaseInfo | None:
        """The daemon holding the lease, if it is alive by the rules `acquire` applies."""
        current = await self.current()
        if current is None or self._takeover_reason(current, self._clock.now()) is not None:
            return None
        return current

    async def acquire(self) -> LeaseInfo | None:
        """Take the lease; return the previous holder if we took it over from one.

        Raises `LeaseHeldError` (naming PID and host) when a live daemon holds it.
        """
        now = self._clock.now()

        def vet(previous: LeaseInfo) -> None:
            reason = self._takeover_reason(previous, now)
            if reason is None:
                raise LeaseHeldError(previous, self._store.path, now, self.stale_after)
            log.warning("taking over the daemon lease from %s: %s", previous.holder, reason)

        previous = await daemon_lease.take(self._store, self._claim, now, vet=vet)
        if previous is not None and previous.holder != self.holder:
            return previous
        return None

    async def heartbeat(self) -> None:
        """Refresh our heartbeat; raise `LeaseLostError` if the lease is no longer ours."""
        if not await daemon_lease.heartbeat(self._store, self._claim, self._clock.now()):
            current = await self.current()
            who = current.describe(self._clock.now()) if current else "nobody"
            raise LeaseLostError(
                f"the daemon lease on {self._store.path} was taken over (now held by {who}); "
                "this daemon stops so that only one writes to the store"
            )

    async def release(self) -> bool:
        """Give the lease up if we hold it; return whether a row was removed."""
        return await daemon_lease.release(self._store, self._claim)

    def _takeover_reason(self, previous: LeaseInfo, now: datetime) -> str | None:
        age = (now - previous.heartbeat_at).total_seconds()
        if age > self.stale_after:
            return f"its last heartbeat was {age:.0f} s ago (stale after {self.stale_after:.0f} s)"
        if previous.host == self.host:
            if previous.pid == self.pid:
                return f"its pid {previous.pid} is now ours, so that process has exited"
            if not self._is_pid_alive(previous.pid):
                return f"its process (pid {previous.pid}) no longer exists on this host"
        return None
