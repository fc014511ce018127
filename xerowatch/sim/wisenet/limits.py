"""The simulator's Wisenet limits: 10 requests per second and a calendar-day quota."""

from __future__ import annotations

from collections import deque
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from xerowatch.clock import Clock


class SimLimits:
    """Sliding one-second window plus a per-local-day counter (accepted requests only)."""

    def __init__(
        self, clock: Clock, zone: ZoneInfo, *, per_second: int = 10, daily_quota: int = 10_000
    ) -> None:
        self._clock = clock
        self._zone = zone
        self.per_second = per_second
        self.daily_quota = daily_quota
        self._recent: deque[float] = deque()
        self._day: date | None = None
        self.used_today = 0

    def check(self) -> tuple[str, float] | None:
        """Count a request, or return (problem, retry-after seconds) when it must get a 429."""
        now = self._clock.monotonic()
        while self._recent and now - self._recent[0] >= 1.0:
            self._recent.popleft()
        local_now = self._clock.now().astimezone(self._zone)
        if self._day != local_now.date():
            self._day, self.used_today = local_now.date(), 0
        if self.used_today >= self.daily_quota:
            midnight = datetime.combine(local_now.date() + timedelta(days=1), time(), self._zone)
            return "daily quota exceeded", (midnight - local_now).total_seconds()
        if len(self._recent) >= self.per_second:
            return "rate limit exceeded", max(0.0, 1.0 - (now - self._recent[0]))
        self._recent.append(now)
        self.used_today += 1
        return None
