"""The write-back backlog and when the source's daily quota lets it be done.

The forecast reads what the Wisenet budget saves in the store (its request counts per minute of
the last 24 hours and its limits), so `status`, `status --json` and the dashboard show the same
figure whether or not a daemon is running.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from xerowatch.store import runtime
from xerowatch.store.db import Store

SOURCE_BUDGET_KEY = "wisenet_budget"
"""runtime_state key of the source budget's saved state (see source/wisenet/budget.py)."""
_DAY_MINUTES = 24 * 60
_DAY_SECONDS = 86_400.0


@dataclass(frozen=True)
class BacklogForecast:
    """Write-backs waiting, and how many days of the source's quota they need."""

    to_write: int
    write_limit: int | None = None
    """Requests in 24 h after which write-backs stop (None: the source has no quota)."""
    used: list[tuple[float, int]] = field(default_factory=list)
    """(seconds ago, requests) the source budget counted in the last 24 hours, per minute."""

    @property
    def used_24h(self) -> int:
        """Requests counted in the last 24 hours."""
        return sum(count for _, count in self.used)

    @property
    def room_now(self) -> int:
        """Write-backs the rolling day still allows now."""
        return max(0, (self.write_limit or 0) - self.used_24h)

    @property
    def days(self) -> float | None:
        """Days until the quota has let the whole backlog through (None: no quota known).

        The quota is a rolling 24 hours: what is free now goes now, and every request frees its
        place 24 hours after it was made, so the rest goes as the day's requests age out.
        """
        if not self.write_limit:
            return None
        left = self.to_write - self.room_now
        if left <= 0:
            return 0.0
        frees = [(_DAY_SECONDS - ago, count) for ago, count in self.used]
        frees.append((_DAY_SECONDS, self.room_now))  # what goes now frees a day from now
        heapq.heapify(frees)
        while True:
            at, count = heapq.heappop(frees)
            sent = min(count, left)
            left -= sent
            if left <= 0:
                return max(0.0, at) / _DAY_SECONDS
            if sent:
                heapq.heappush(frees, (at + _DAY_SECONDS, sent))

    def describe(self) -> str:
        """ "17,767 to write, done in ~2.2 days at your quota (8,000 write-backs a day)"."""
        if self.to_write == 0:
            return "nothing to write back"
        text = f"{self.to_write:,} to write"
        days = self.days
        if days is None:
            return text
        if days == 0:
            return f"{text}, done today at your quota"
        if days < 1 / 24:
            return f"{text}, done in ~{max(1, round(days * 1440))} min at your quota"
        return (
            f"{text}, done in ~{max(days, 0.1):.1f} days at your quota "
            f"({self.write_limit:,} write-backs a day)"
        )

    def to_json(self) -> dict[str, Any]:
        """The figures and the sentence, for `status --json`."""
        days = self.days
        return {
            "to_write": self.to_write,
            "write_limit_per_day": self.write_limit,
            "used_24h": self.used_24h,
            "room_now": self.room_now,
            "days": round(days, 2) if days is not None else None,
            "forecast": self.describe(),
        }


async def read_backlog(store: Store, now: datetime, to_write: int) -> BacklogForecast:
    """The forecast for `to_write` write-backs from the source budget's saved state."""
    state = await runtime.get(store, SOURCE_BUDGET_KEY)
    if not isinstance(state, dict):
        return BacklogForecast(to_write)
    limit = state.get("write_limit")
    if type(limit) is not int or limit <= 0:
        return BacklogForecast(to_write)
    return BacklogForecast(to_write, limit, _used_since(state, now))


def _used_since(state: dict[str, Any], now: datetime) -> list[tuple[float, int]]:
    """(seconds ago, requests) of the saved per-minute counts of the last 24 hours."""
    seconds = now.timestamp()
    minute_now = int(seconds // 60)
    used: list[tuple[float, int]] = []
    for item in state.get("minutes") or []:
        readable = isinstance(item, list) and len(item) == 2
        if readable and all(type(v) is int for v in item) and item[0] >= minute_now - _DAY_MINUTES:
            # A minute's requests leave the window 24 h after that minute ends.
            used.append((max(0.0, seconds - (item[0] + 1) * 60), item[1]))
    return used
