"""Small helpers shared by the daemon tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import anyio

HANG_GUARD_SECONDS = 5.0


async def wait_until(condition: Callable[[], bool]) -> None:
    """Yield to other tasks until `condition()` holds (the deadline only guards against hangs)."""
    with anyio.fail_after(HANG_GUARD_SECONDS):
        while not condition():  # noqa: ASYNC110 (polls state other tasks change; no event exists)
            await anyio.sleep(0.001)


class StillClock:
    """A clock whose sleeps never end on their own: only a wake or a cancel ends a pause."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        return datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

    def monotonic(self) -> float:
        return 0.0

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await anyio.sleep_forever()
