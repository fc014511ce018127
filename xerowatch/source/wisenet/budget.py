"""Wisenet request budget: at most 10 requests in any second, and a rolling daily quota.

The rate limit is a sliding window (a log of the last N send times) rather than a token bucket
with a burst of N: a full bucket followed by its refill puts up to 2N requests into one second,
which a server counting per second answers with 429s.

Wisenet does not say when its daily quota resets, so the quota is counted over a rolling 24 hours:
whatever the server's boundary, the requests it has counted "today" are never more than the
requests made in the last 24 hours. A share of the quota is kept back for write-backs: polls stop
first, write-backs stop just before the quota runs out.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Literal

import anyio

from xerowatch.clock import Clock
from xerowatch.source.port import SourceBudget, SourceError

Purpose = Literal["read", "write"]

DAY_SECONDS = 86_400
_BUCKET_SECONDS = 60  # request counts are kept per minute of the rolling window


class RequestBudget:
    """Paces requests to `requests_per_second` and refuses them before the daily quota runs out."""

    def __init__(
        self,
        clock: Clock,
        *,
        daily_quota: int,
        requests_per_second: float,
        write_reserve_share: float = 0.1,
        min_poll_seconds: float = 1.0,
    ) -> None:
        if not 0.0 <= write_reserve_share < 1.0:
            raise ValueError("write_reserve_share must be in [0, 1)")
        self._clock = clock
        self.daily_quota = daily_quota
        self.rate = requests_per_second
        self.write_reserve = math.ceil(daily_quota * write_reserve_share)
        self._min_poll_seconds = min_poll_seconds
        self._window_size = max(1, int(requests_per_second))
        self._window_seconds = self._window_size / requests_per_second
        self._sent: deque[float] = deque()  # monotonic send times within the last window
        self._lock = anyio.Lock()
        self._minutes: deque[tuple[int, int]] = deque()  # (minute index, requests in it)
        self._used = 0
        self._poll_cost = 2.0  # learners page + audit log, until polls are observed

    @property
    def used(self) -> int:
        """Requests made in the last 24 hours."""
        self._expire()
        return self._used

    async def acquire(self, purpose: Purpose = "read") -> None:
        """Wait for room in the rate window, then count one request; SourceError if over budget."""
        async with self._lock:
            self._check_quota(purpose)
            while True:
                now = self._clock.monotonic()
                while self._sent and now - self._sent[0] >= self._window_seconds:
                    self._sent.popleft()
                if len(self._sent) < self._window_size:
                    break
                # The floor keeps float rounding from producing sleeps too small to move time.
                await self._clock.sleep(max(1e-3, self._window_seconds - (now - self._sent[0])))
            self._sent.append(self._clock.monotonic())
            self._count()

    def record_poll(self, requests: int) -> None:
        """Tell the budget what one poll cost, to refine the suggested poll interval."""
        if requests > 0:
            self._poll_cost = 0.8 * self._poll_cost + 0.2 * requests

    def snapshot(self) -> SourceBudget:
        """Return used requests and the poll interval that spreads the rest over 24 hours."""
        return SourceBudget(
            daily_quota=self.daily_quota,
            used_today=self.used,
            suggested_poll_seconds=self._suggested_poll_seconds(),
        )

    def _suggested_poll_seconds(self) -> float:
        cost = max(1.0, self._poll_cost)
        available = self.daily_quota - self.write_reserve - self.used
        if available >= cost:
            # Every request stays in the window for 24 h: this pace never exhausts the reads.
            return max(self._min_poll_seconds, cost * DAY_SECONDS / available)
        return max(self._min_poll_seconds, self._seconds_until_freed(math.ceil(cost - available)))

    def _seconds_until_freed(self, needed: int) -> float:
        now = self._clock.monotonic()
        freed = 0
        for minute, count in self._minutes:
            freed += count
            if freed >= needed:
                return (minute + 1) * _BUCKET_SECONDS + DAY_SECONDS - now
        return float(DAY_SECONDS)

    def _check_quota(self, purpose: Purpose) -> None:
        used = self.used
        limit = self.daily_quota if purpose == "write" else self.daily_quota - self.write_reserve
        if used + 1 <= limit:
            return
        wait_hours = self._seconds_until_freed(used + 1 - limit) / 3600
        if purpose == "write":
            raise SourceError(
                f"Wisenet daily quota spent: {used} of {self.daily_quota} requests used in the "
                f"last 24 h; write-backs resume in about {wait_hours:.1f} h",
                transient=True,
            )
        raise SourceError(
            f"Wisenet daily budget for polling spent: {used} of {self.daily_quota} requests used "
            f"in the last 24 h and the last {self.write_reserve} are kept for write-backs; polling "
            f"resumes in about {wait_hours:.1f} h (raise [wisenet] daily_quota on a Full licence)",
            transient=True,
        )

    def _count(self) -> None:
        minute = int(self._clock.monotonic() // _BUCKET_SECONDS)
        if self._minutes and self._minutes[-1][0] == minute:
            self._minutes[-1] = (minute, self._minutes[-1][1] + 1)
        else:
            self._minutes.append((minute, 1))
        self._used += 1

    def _expire(self) -> None:
        # A minute leaves the window once its last possible second is 24 h old.
        last_expired = int((self._clock.monotonic() - DAY_SECONDS) // _BUCKET_SECONDS) - 1
        while self._minutes and self._minutes[0][0] <= last_expired:
            self._used -= self._minutes.popleft()[1]
