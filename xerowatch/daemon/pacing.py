"""Pull pacing: routine and early (woken) transaction pulls share one slice of the daily limit."""

from __future__ import annotations

from xerowatch.config import Settings

PULL_SHARE_OF_DAY = 0.4
"""Routine transaction pulls may use this share of the daily limit (the rest: writes, resyncs)."""
STREAMS_PER_PULL = 5
EARLY_PULLS_WINDOW_S = 3600.0
"""Pulls may run early (woken by webhooks or pushes) up to this many seconds' worth of budget."""
MIN_EARLY_PULL_GAP_S = 30.0
"""Early pulls start at least this far apart: 5 streams → at most 10 of a minute's 60 calls."""


def pull_interval(settings: Settings) -> float:
    """Seconds between routine pulls so they stay within their share of the daily limit.

    Each pull costs one call per stream even when nothing changed: 5,000/day → every 216 s,
    1,000/day (Starter) → every 18 minutes. Webhooks wake a pull early, within `PullPacer`.
    """
    budget = settings.xero.daily_limit * PULL_SHARE_OF_DAY
    return max(60.0, STREAMS_PER_PULL * 86_400 / budget)


class PullPacer:
    """A token bucket for one tenant's pulls: one token per pull, one back every `interval`.

    Holds at most an hour's worth of pulls (at least 3), so a burst of webhooks is followed
    within `MIN_EARLY_PULL_GAP_S`, and a storm of them falls back to one pull per `interval`:
    over any stretch of time the pulls stay within `burst` plus their share of the day, and
    they never take more than a sixth of a minute's calls from the writes.
    """

    def __init__(self, interval: float, now: float) -> None:
        self.interval = interval
        self.burst = max(3, int(EARLY_PULLS_WINDOW_S // interval))
        self._tokens = float(self.burst)
        self._at = now
        self._last_pull: float | None = None

    def retune(self, interval: float) -> None:
        """Adopt a new interval (a reload changed the daily limit); tokens carry over."""
        self.interval = interval
        self.burst = max(3, int(EARLY_PULLS_WINDOW_S // interval))
        self._tokens = min(self._tokens, float(self.burst))

    def wait(self, now: float) -> float:
        """Seconds until a pull may run (0: now)."""
        self._refill(now)
        too_soon = 0.0
        if self._last_pull is not None:
            too_soon = self._last_pull + MIN_EARLY_PULL_GAP_S - now
        return max(0.0, too_soon, (1.0 - self._tokens) * self.interval)

    def spend(self, now: float) -> None:
        """Count a pull that ran (a failed one is spaced by the supervisor's backoff instead)."""
        self._refill(now)
        self._tokens = max(0.0, self._tokens - 1.0)
        self._last_pull = now

    def _refill(self, now: float) -> None:
        self._tokens = min(self.burst, self._tokens + max(0.0, now - self._at) / self.interval)
        self._at = now
