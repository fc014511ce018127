"""The daemon's live state (quota, source budget, loops), published for attached dashboards.

The daemon writes it at most once a second and only when it changed, so a dashboard in
another process is as current as an embedded one without a second channel between them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from xerowatch.store import runtime_state
from xerowatch.store.db import Store

LIVE_KEY = "daemon_live"


@dataclass(frozen=True)
class LiveTenantQuota:
    """One organisation's Xero quota as the daemon's scheduler sees it."""

    tenant_id: str
    in_flight: int
    minute_used: int
    minute_limit: int
    day_used: int
    day_limit: int
    day_resets_at: str | None = None
    parked_until: str | None = None
    paused_until: str | None = None
    last_problem: str | None = None


@dataclass(frozen=True)
class LiveSourceBudget:
    """The source system's request budget for today."""

    name: str
    used_today: int
    daily_quota: int


@dataclass(frozen=True)
class LiveLoop:
    """One supervised loop's health."""

    name: str
    tenant_id: str
    alive: bool
    running: bool
    last_ok_at: str | None
    failures: int
    last_error: str | None


@dataclass(frozen=True)
class LiveState:
    """Everything the daemon publishes about itself; `taken_at` is when it was read."""

    taken_at: str
    app_minute_used: int = 0
    app_minute_limit: int = 0
    tenants: dict[str, LiveTenantQuota] = field(default_factory=dict)
    source: LiveSourceBudget | None = None
    loops: dict[str, LiveLoop] = field(default_factory=dict)

    def same_as(self, other: LiveState | None) -> bool:
        """True when nothing but the time of reading differs."""
        if other is None:
            return False
        return _without_time(self) == _without_time(other)


def _without_time(state: LiveState) -> dict[str, Any]:
    data = asdict(state)
    data.pop("taken_at")
    return data


def from_json(data: Any) -> LiveState | None:
    """Parse a published state; None when absent or unreadable (an older daemon's shape)."""
    if not isinstance(data, dict):
        return None
    try:
        source = data.get("source")
        return LiveState(
            taken_at=str(data["taken_at"]),
            app_minute_used=int(data.get("app_minute_used", 0)),
            app_minute_limit=int(data.get("app_minute_limit", 0)),
            tenants={k: LiveTenantQuota(**v) for k, v in dict(data.get("tenants", {})).items()},
            source=LiveSourceBudget(**source) if isinstance(source, dict) else None,
            loops={k: LiveLoop(**v) for k, v in dict(data.get("loops", {})).items()},
        )
    except (KeyError, TypeError, ValueError):
        return None


async def publish(store: Store, state: LiveState) -> None:
    """Store the daemon's live state."""
    await runtime_state.put(store, LIVE_KEY, asdict(state))


async def read(store: Store) -> LiveState | None:
    """The live state last published, if any."""
    return from_json(await runtime_state.get(store, LIVE_KEY))


async def clear(store: Store) -> None:
    """Forget the live state (the daemon stopped: its figures are no longer live)."""
    await store.execute("DELETE FROM runtime_state WHERE key = ?", (LIVE_KEY,))
