"""Time as a dependency: the real clock, and a virtual one for tests and simulators."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol

import anyio
import anyio.lowlevel


class Clock(Protocol):
    """Wall time (aware, UTC), a monotonic counter, and sleeping."""

    def now(self) -> datetime:
        """Return the current time as an aware UTC datetime."""
        ...

    def monotonic(self) -> float:
        """Return seconds on a clock that never goes backwards."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Sleep for `seconds` of this clock's time."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """Return the current UTC time."""
        return datetime.now(UTC)

    def monotonic(self) -> float:
        """Return `time.monotonic()`."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """Sleep for real."""
        await anyio.sleep(max(0.0, seconds))


class FakeClock:
    """Virtual time: `sleep` jumps the clock forward instead of waiting.

    Concurrent sleepers do not compound: a sleep started at t for s seconds moves the clock to
    max(now, t + s), so five tasks each sleeping 10 s advance it by 10 s, not 50 s.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._start = start or datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
        self._elapsed = 0.0

    def now(self) -> datetime:
        """Return the virtual UTC time."""
        return self._start + timedelta(seconds=self._elapsed)

    def monotonic(self) -> float:
        """Return virtual seconds since the clock was made."""
        return self._elapsed

    def advance(self, seconds: float) -> None:
        """Move virtual time forward."""
        self._elapsed += max(0.0, seconds)

    async def sleep(self, seconds: float) -> None:
        """Advance to the sleeper's wake time, then let other tasks run."""
        wake = self._elapsed + max(0.0, seconds)
        await anyio.lowlevel.checkpoint()
        self._elapsed = max(self._elapsed, wake)
        await anyio.lowlevel.checkpoint()
