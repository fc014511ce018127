"""A discrete-event virtual clock: concurrent sleepers overlap as they would in real time.

`FakeClock.sleep` jumps the clock at once, so two tasks sleeping one after the other in the
same stretch of virtual time add up; that is right for one task at a time and wrong for
concurrent requests. Here a sleep waits, and a driver (run it in a task group for as long as
the clock is used) moves time to the earliest wake-up only once every other task is blocked.
A task waiting on a thread (aiosqlite) counts as blocked, so time may pass during store work;
measure phases whose concurrent part makes no store calls.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools

import anyio

from xerowatch.clock import FakeClock

_IDLE_POLL_SECONDS = 0.0005
"""Real seconds the driver waits when nothing sleeps and nothing can run (a thread is busy)."""


class EventClock(FakeClock):
    """Virtual time in which concurrent sleeps overlap; run `drive()` alongside its users."""

    def __init__(self) -> None:
        super().__init__()
        self._wakes: list[tuple[float, int, anyio.Event]] = []
        self._order = itertools.count()

    async def sleep(self, seconds: float) -> None:
        """Wait until virtual time reaches now + `seconds`."""
        event = anyio.Event()
        wake = self.monotonic() + max(0.0, seconds)
        heapq.heappush(self._wakes, (wake, next(self._order), event))
        await event.wait()

    async def drive(self) -> None:
        """Forever: once every other task waits, wake the earliest sleepers at their time."""
        while True:
            await asyncio.sleep(0)
            if not _others_blocked():
                continue
            if not self._wakes:
                await asyncio.sleep(_IDLE_POLL_SECONDS)
                continue
            wake = self._wakes[0][0]
            self.advance(wake - self.monotonic())
            while self._wakes and self._wakes[0][0] <= wake:
                heapq.heappop(self._wakes)[2].set()


def _others_blocked() -> bool:
    """True when every task but this one waits on an unfinished future."""
    me = asyncio.current_task()
    for task in asyncio.all_tasks():
        if task is me:
            continue
        waiter = getattr(task, "_fut_waiter", None)  # asyncio's own record of what it awaits
        if waiter is None or waiter.done():
            return False
    return True
