"""Build a `WisenetSource` from settings: auth by mode, one shared budget, one HTTP client."""

from __future__ import annotations

import httpx

from xerowatch.clock import Clock
from xerowatch.config import WisenetSettings
from xerowatch.source.port import SourceError
from xerowatch.source.wisenet.auth import ApiKeyAuth, WisenetAuth
from xerowatch.source.wisenet.budget import RequestBudget
from xerowatch.source.wisenet.client import WisenetClient
from xerowatch.source.wisenet.source import WisenetSource


def api_key_auth(settings: WisenetSettings) -> ApiKeyAuth:
    """The x-api-key provider, or a clear SourceError when no key is configured."""
    key = settings.api_key
    if key is None or not key.get_secret_value().strip():
        raise SourceError(
            "no Wisenet API key: set [wisenet] api_key or XEROWATCH_WISENET__API_KEY "
            "(LRM > Settings > Integration > API Keys)",
            transient=False,
        )
    return ApiKeyAuth(key)


def build_wisenet_source(
    settings: WisenetSettings,
    *,
    clock: Clock,
    auth: WisenetAuth | None = None,
    http: httpx.AsyncClient | None = None,
) -> WisenetSource:
    """Assemble client, budget and source; `auth` defaults to the API key from settings."""
    budget = RequestBudget(
        clock,
        daily_quota=settings.daily_quota,
        requests_per_second=settings.requests_per_second,
    )
    client = WisenetClient(
        base_url=settings.base_url,
        auth=auth or api_key_auth(settings),
        budget=budget,
        clock=clock,
        http=http,
        timeout_seconds=settings.timeout_seconds,
    )
    return WisenetSource(settings, client=client, clock=clock)
