"""The quota scheduler's model: limits, snapshots, the sliding minute, and the restart journal."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from xerowatch.config import XeroSettings

WINDOW_S = 60.0
_EPSILON_S = 1e-3  # wake just after a call leaves the window, never a float-rounding hair before


@dataclass(frozen=True)
class QuotaLimits:
    """The limits the scheduler enforces (Xero's defaults)."""

    concurrent: int = 5
    per_minute: int = 60
    per_day: int = 5000
    app_per_minute: int = 10_000
    reserve_share: float = 0.2

    @classmethod
    def from_settings(cls, s: XeroSettings) -> QuotaLimits:
        """Build limits from the `[xero]` settings section."""
        return cls(
            concurrent=s.concurrent_limit,
            per_minute=s.minute_limit,
            per_day=s.daily_limit,
            app_per_minute=s.app_minute_limit,
            reserve_share=s.reserve_share,
        )

    @property
    def day_reserve(self) -> int:
        """Daily calls kept for OPERATOR and INCREMENTAL work."""
        return round(self.per_day * self.reserve_share)

    @property
    def background_minute_room(self) -> int:
        """Calls of a minute BACKGROUND work may use; the rest stays free for foreground work."""
        return self.per_minute - round(self.per_minute * self.reserve_share)


@dataclass(frozen=True)
class TenantQuotaState:
    """One tenant's quota as seen by the scheduler, for the dashboard and metrics."""

    tenant_id: str
    in_flight: int
    minute_used: int
    minute_remaining: int
    day_used: int
    day_remaining: int
    day_resets_at: datetime | None
    parked_until: datetime | None
    paused_until: datetime | None
    last_problem: str | None


@dataclass(frozen=True)
class QuotaSnapshot:
    """All tenants' quota plus the app-wide minute budget at one instant."""

    tenants: dict[str, TenantQuotaState]
    app_minute_used: int
    app_minute_remaining: int
    taken_at: datetime


@dataclass(frozen=True)
class RecentCalls:
    """A tenant's calls still charged to its minute, in wall time, so a restart can resume them."""

    ended: tuple[datetime, ...] = ()
    """When each answered call finished (those of the last minute)."""
    started: tuple[datetime, ...] = ()
    """When each unanswered call started (in flight, or cut off by a crash)."""
    paused_until: datetime | None = None
    """The end of a pause Xero asked for (a minute 429), if one is running."""


class WindowJournal(Protocol):
    """Keeps each tenant's recent calls where a restarted process can read them back."""

    async def save(self, tenant_id: str, recent: RecentCalls) -> None:
        """Record the tenant's recent calls (awaited before each call is sent)."""
        ...


class _SlidingMinute:
    """Calls charged to a per-minute limit: those in flight plus those that ended < 60 s ago.

    A call is charged until 60 s after it *finished*, so however long the network took, two calls
    a limit apart reach Xero ≥ 60 s apart and no fixed window, whenever it starts, holds more.
    """

    def __init__(self) -> None:
        self.in_flight = 0
        self._ended: deque[float] = deque()

    def used(self, now: float) -> int:
        while self._ended and self._ended[0] <= now - WINDOW_S:
            self._ended.popleft()
        return self.in_flight + len(self._ended)

    def start(self) -> None:
        self.in_flight += 1

    def finish(self, now: float) -> None:
        self.in_flight -= 1
        self._ended.append(now)

    def charge(self, calls: int, now: float) -> None:
        """Count calls someone else made (Xero says fewer remain than we know of)."""
        self._ended.extend([now] * calls)

    def ended_since(self, moment: float) -> list[float]:
        """The end times still in the window after `moment`."""
        return [t for t in self._ended if t > moment]

    def restore(self, moments: list[float]) -> None:
        """Charge calls that ended at these (earlier) moments, keeping the window in order."""
        self._ended = deque(sorted([*self._ended, *moments]))

    def delay(self, limit: int, now: float) -> float | None:
        """Seconds until one more call fits (0: now; None: only a call finishing frees room)."""
        excess = self.used(now) - limit + 1
        if excess <= 0:
            return 0.0
        if excess > len(self._ended):
            return None
        return self._ended[excess - 1] + WINDOW_S - now + _EPSILON_S
