"""Retry policy for outbox jobs: exponential backoff with jitter, capped, then dead."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class JobBackoff:
    """Delay before attempt n+1 of a transiently failed job; None once attempts are spent.

    Sidekiq's curve (attempt**4 + 15 s, plus jitter) is the model: quick at first, then hours —
    but capped, so a learner is never left for days without an operator seeing it go dead.
    """

    max_attempts: int = 8
    cap_seconds: float = 6 * 3600.0
    jitter: float = 0.25

    def delay(self, attempts: int, *, rng: random.Random | None = None) -> float | None:
        """Seconds to wait after `attempts` failed attempts, or None when the job is dead."""
        if attempts >= self.max_attempts:
            return None
        base = min(self.cap_seconds, float(attempts**4 + 15))
        spread = (rng or random).uniform(0.0, self.jitter) * base
        return min(self.cap_seconds, base + spread)

    def next_attempt(self, attempts: int, now: datetime) -> datetime | None:
        """The time of the next attempt, or None when the job is dead."""
        delay = self.delay(attempts)
        return None if delay is None else now + timedelta(seconds=delay)
