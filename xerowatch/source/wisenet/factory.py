"""Build a `WisenetSource` from settings: auth by mode, one shared budget, one HTTP client."""

from __future__ import annotations

import httpx

from xerowatch.clock import Clock
from xerowatch.config import WisenetSettings
from xerowatch.source.wisenet.auth import ApiKeyAuth, WisenetAuth
from xerowatch.source.wisenet.budget import BudgetLedger, RequestBudget
from xerowatch.source.wisenet.client import WisenetClient
from xerowatch.source.wisenet.source import WisenetSource


def build_wisenet_source(
    settings: WisenetSettings,
    *,
    clock: Clock,
    auth: WisenetAuth | None = None,
    http: httpx.AsyncClient | None = None,
    ledger: BudgetLedger | None = None,
) -> WisenetSource:
    """Assemble client, budget and source; `auth` defaults to the API key from settings.

    An injected `http` client stays the caller's to close; otherwise the source closes its own.
    With a `ledger` the day's request count survives restarts.
    """
    budget = RequestBudget(
        clock,
        daily_quota=settings.daily_quota,
        requests_per_second=settings.requests_per_second,
        read_reserve_share=settings.read_reserve_share,
        ledger=ledger,
    )
    client = WisenetClient(
        base_url=settings.base_url,
        auth=auth or ApiKeyAuth(settings.api_key),
        budget=budget,
        clock=clock,
        http=http,
        timeout_seconds=settings.timeout_seconds,
    )
    return WisenetSource(settings, client=client, clock=clock)
