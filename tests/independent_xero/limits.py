"""Xero's rate limits as fixed windows on the shared clock: minute, day and app-minute counters.

Xero's windows are fixed and start per tenant at their own moment (notes §1), so each window
here opens with the first call after the previous one closed. A call over a limit is answered
429 with `X-Rate-Limit-Problem` and `Retry-After` (seconds until that window closes) and is not
counted; every accepted call is answered with the three `X-*Limit-Remaining` headers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from xerowatch.clock import Clock

MINUTE_S = 60.0
DAY_S = 86_400.0


@dataclass(frozen=True)
class RateLimits:
    """Per-tenant minute and day limits and the per-app minute limit."""

    per_minute: int = 60
    per_day: int = 5000
    app_per_minute: int = 10_000


@dataclass
class _Window:
    """One fixed window: when it opened and how many calls it holds."""

    length_s: float
    limit: int
    opened_at: float | None = None
    used: int = 0

    def roll(self, now: float) -> None:
        if self.opened_at is None or now >= self.opened_at + self.length_s:
            self.opened_at, self.used = now, 0

    def full(self) -> bool:
        return self.used >= self.limit

    def seconds_left(self, now: float) -> int:
        opened = now if self.opened_at is None else self.opened_at
        return max(1, math.ceil(opened + self.length_s - now))

    def remaining(self) -> int:
        return max(0, self.limit - self.used)


@dataclass(frozen=True)
class Admission:
    """The limiter's verdict on one call and the headers its answer carries."""

    allowed: bool
    headers: dict[str, str]
    problem: str | None = None


@dataclass
class RateLimiter:
    """Counts calls against fixed windows of the injected clock."""

    clock: Clock
    limits: RateLimits = field(default_factory=RateLimits)
    refused: list[str] = field(default_factory=list)
    """The X-Rate-Limit-Problem of every 429 answered, in order."""

    def __post_init__(self) -> None:
        self._minute = _Window(MINUTE_S, self.limits.per_minute)
        self._day = _Window(DAY_S, self.limits.per_day)
        self._app = _Window(MINUTE_S, self.limits.app_per_minute)

    def admit(self) -> Admission:
        """Count one call, or refuse it if a window is full."""
        now = self.clock.monotonic()
        for window in (self._minute, self._day, self._app):
            window.roll(now)
        # Day first: a spent day must park the client, a minute 429 would only pause it.
        for problem, window in (
            ("day", self._day),
            ("minute", self._minute),
            ("appminute", self._app),
        ):
            if window.full():
                self.refused.append(problem)
                headers = self._remaining()
                headers["X-Rate-Limit-Problem"] = problem
                headers["Retry-After"] = str(window.seconds_left(now))
                return Admission(False, headers, problem)
        for window in (self._minute, self._day, self._app):
            window.used += 1
        return Admission(True, self._remaining())

    def _remaining(self) -> dict[str, str]:
        return {
            "X-MinLimit-Remaining": str(self._minute.remaining()),
            "X-DayLimit-Remaining": str(self._day.remaining()),
            "X-AppMinLimit-Remaining": str(self._app.remaining()),
        }
