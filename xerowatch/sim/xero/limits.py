"""Xero's four rate limits: per-tenant minute, day and concurrency, and the app-wide minute.

Windows are fixed (not sliding) and offset from the wall clock by `minute_window_offset_s`, so a
client that assumes limits reset on the minute is caught out. Calls refused with 429 are not
counted against any window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from xerowatch.clock import Clock
from xerowatch.sim.xero.config import XeroSimConfig

MINUTE = 60.0
DAY = 86_400.0


@dataclass
class _Window:
    index: int = -1
    count: int = 0


@dataclass(frozen=True)
class Breach:
    """A refused call: which limit (`X-Rate-Limit-Problem`) and seconds until it resets."""

    problem: str
    retry_after: int


class RateLimiter:
    """Counts calls per window and refuses those over a limit."""

    def __init__(self, config: XeroSimConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self._minute: dict[str, _Window] = {}
        self._day: dict[str, _Window] = {}
        self._app = _Window()
        self._in_flight: dict[str, int] = {}

    def _position(self, length: float) -> tuple[int, float]:
        """(window index, seconds until the window ends) for a window length."""
        elapsed = self.clock.now().timestamp() - self.config.minute_window_offset_s
        index = math.floor(elapsed / length)
        return index, (index + 1) * length - elapsed

    def _current(self, window: _Window, length: float) -> _Window:
        index, _ = self._position(length)
        if window.index != index:
            window.index, window.count = index, 0
        return window

    def _retry_after(self, length: float) -> int:
        return max(1, math.ceil(self._position(length)[1]))

    def acquire(self, tenant_id: str) -> Breach | None:
        """Count one call for the tenant and mark it in flight, or return the breached limit."""
        minute = self._current(self._minute.setdefault(tenant_id, _Window()), MINUTE)
        day = self._current(self._day.setdefault(tenant_id, _Window()), DAY)
        app = self._current(self._app, MINUTE)
        if self._in_flight.get(tenant_id, 0) >= self.config.concurrent_limit:
            return Breach("concurrent", 1)
        if day.count >= self.config.day_limit:
            return Breach("day", self._retry_after(DAY))
        if minute.count >= self.config.minute_limit:
            return Breach("minute", self._retry_after(MINUTE))
        if app.count >= self.config.app_minute_limit:
            return Breach("appminute", self._retry_after(MINUTE))
        minute.count += 1
        day.count += 1
        app.count += 1
        self._in_flight[tenant_id] = self._in_flight.get(tenant_id, 0) + 1
        return None

    def release(self, tenant_id: str) -> None:
        """Mark one call of the tenant finished."""
        self._in_flight[tenant_id] = max(0, self._in_flight.get(tenant_id, 0) - 1)

    def in_flight(self, tenant_id: str) -> int:
        """Calls of the tenant currently being answered."""
        return self._in_flight.get(tenant_id, 0)

    def headers(self, tenant_id: str | None) -> dict[str, str]:
        """The X-*Limit-Remaining headers as of now."""
        app = self._current(self._app, MINUTE)
        headers = {"X-AppMinLimit-Remaining": str(max(0, self.config.app_minute_limit - app.count))}
        if tenant_id is not None:
            minute = self._current(self._minute.setdefault(tenant_id, _Window()), MINUTE)
            day = self._current(self._day.setdefault(tenant_id, _Window()), DAY)
            headers["X-MinLimit-Remaining"] = str(max(0, self.config.minute_limit - minute.count))
            headers["X-DayLimit-Remaining"] = str(max(0, self.config.day_limit - day.count))
        return headers
