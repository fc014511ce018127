"""Build the configured source system (`[source] kind`) for the composition root."""

from __future__ import annotations

from contextlib import AsyncExitStack

import httpx

from xerowatch import __version__
from xerowatch.clock import Clock
from xerowatch.config import Settings
from xerowatch.source.connectwise.accounting import ConnectWiseAccounting
from xerowatch.source.connectwise.client import ConnectWiseClient
from xerowatch.source.connectwise.source import ConnectWiseSource
from xerowatch.source.files import FileSource
from xerowatch.source.port import SourcePort
from xerowatch.source.wisenet.auth import ApiKeyAuth, WisenetAuth
from xerowatch.source.wisenet.budget_ledger import StoreBudgetLedger
from xerowatch.source.wisenet.factory import build_wisenet_source
from xerowatch.source.wisenet.oauth import OAuthAuth
from xerowatch.store.db import Store
from xerowatch.store.token_store import StoreTokens


def make_source(
    settings: Settings, store: Store, clock: Clock, stack: AsyncExitStack
) -> SourcePort:
    """The Wisenet API, the CSV files or ConnectWise; its HTTP client closes with `stack`."""
    if settings.source.kind == "connectwise":
        cw = settings.connectwise
        cw_http = httpx.AsyncClient(
            timeout=cw.timeout_seconds, headers={"User-Agent": f"xerowatch/{__version__}"}
        )
        stack.push_async_callback(cw_http.aclose)
        client = ConnectWiseClient(cw, clock=clock, http=cw_http)
        return ConnectWiseSource(ConnectWiseAccounting(client, cw, clock))
    if settings.source.kind == "file":
        return FileSource(settings.file_source, clock)
    wisenet = settings.wisenet
    http = httpx.AsyncClient(
        timeout=wisenet.timeout_seconds, headers={"User-Agent": f"xerowatch/{__version__}"}
    )
    stack.push_async_callback(http.aclose)
    auth: WisenetAuth
    if wisenet.auth_mode == "oauth":
        auth = OAuthAuth(store=StoreTokens(store), settings=wisenet, http=http, clock=clock)
    else:
        auth = ApiKeyAuth(wisenet.api_key)
    ledger = StoreBudgetLedger(store)
    return build_wisenet_source(wisenet, clock=clock, auth=auth, http=http, ledger=ledger)
