"""The composition root: builds store, Xero client, source and engine from the settings."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import httpx

from xerowatch import __version__
from xerowatch.clock import Clock, SystemClock
from xerowatch.config import Settings
from xerowatch.source.factory import make_source
from xerowatch.source.port import SourcePort
from xerowatch.store import alerts
from xerowatch.store.db import Store, open_store
from xerowatch.store.tenants import Tenant, tenants_of_connection, upsert_tenants
from xerowatch.store.token_store import StoreTokens
from xerowatch.sync.backoff import JobBackoff
from xerowatch.sync.context import SOURCE_WORDS, CallCounter, EngineContext
from xerowatch.sync.engine import SyncEngine
from xerowatch.sync.quota_journal import StoreWindowJournal, restore_windows
from xerowatch.xero.auth import XeroTokenManager
from xerowatch.xero.client import XeroClient
from xerowatch.xero.connections import XeroConnectionsClient
from xerowatch.xero.quota import QuotaLimits, QuotaScheduler
from xerowatch.xero.transport import CallRecord, XeroTransport


class StoreAlertSink:
    """Lets the Xero transport raise event alerts in the store."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def __call__(self, type_: str, message: str, *, fix: str, tenant_id: str) -> None:
        """Record the alert."""
        await alerts.raise_alert(self._store, type_, message, fix=fix, tenant_id=tenant_id)


@dataclass
class Runtime:
    """Everything a command, the daemon or a test needs, built once."""

    settings: Settings
    store: Store
    clock: Clock
    http: httpx.AsyncClient
    tokens: XeroTokenManager
    quota: QuotaScheduler
    xero: XeroClient
    source: SourcePort
    engine: SyncEngine
    calls: CallCounter


SourceFactory = Callable[[Settings, Store, Clock, AsyncExitStack], SourcePort]


def build_source(
    settings: Settings, store: Store, clock: Clock, stack: AsyncExitStack
) -> SourcePort:
    """Build the configured source system client."""
    return make_source(settings, store, clock, stack)


async def connect_custom_connection(rt: Runtime) -> list[Tenant]:
    """Custom connection: take a client_credentials token and store the organisation it reaches."""
    connection_id = await rt.tokens.connect_client_credentials()
    client = XeroConnectionsClient(http=rt.http, settings=rt.settings.xero, tokens=rt.tokens)
    found = await client.list_connections(connection_id)
    await upsert_tenants(rt.store, connection_id, [c.to_tenant_info() for c in found])
    return await tenants_of_connection(rt.store, connection_id)


@asynccontextmanager
async def open_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    xero_transport: httpx.AsyncBaseTransport | None = None,
    source: SourcePort | None = None,
    store: Store | None = None,
    on_call: Callable[[CallRecord], None] | None = None,
) -> AsyncIterator[Runtime]:
    """Open the store and clients; close everything on exit."""
    clock = clock or SystemClock()
    async with AsyncExitStack() as stack:
        if store is None:
            store = await open_store(settings.store.path, quick_check=True)
            stack.push_async_callback(store.close)
        http = httpx.AsyncClient(
            transport=xero_transport,
            timeout=httpx.Timeout(settings.xero.timeout_seconds, connect=10.0),
            limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
            headers={"User-Agent": f"xerowatch/{__version__}"},
        )
        stack.push_async_callback(http.aclose)
        tokens = XeroTokenManager(
            store=StoreTokens(store), settings=settings.xero, http=http, clock=clock
        )
        quota = QuotaScheduler(
            QuotaLimits.from_settings(settings.xero), clock, StoreWindowJournal(store)
        )
        # A call can last a timeout per attempt; a restarted process charges unanswered ones.
        await restore_windows(store, quota, max_call_s=settings.xero.timeout_seconds + 10.0)
        calls = CallCounter()

        def count(call: CallRecord) -> None:
            calls.record(call)
            if on_call is not None:
                on_call(call)

        transport = XeroTransport(
            http=http,
            api_url=settings.xero.api_url,
            tokens=tokens,
            quota=quota,
            clock=clock,
            max_retries=settings.xero.max_retries,
            alerts=StoreAlertSink(store),
            on_call=count,
        )
        xero = XeroClient(transport)
        if source is None:
            source = build_source(settings, store, clock, stack)
            stack.push_async_callback(source.aclose)
        store.source_label = SOURCE_WORDS.get(source.name, store.source_label)
        ctx = EngineContext(
            store=store,
            xero=xero,
            source=source,
            settings=settings.sync,
            clock=clock,
            calls=calls,
            backoff=JobBackoff(max_attempts=settings.sync.max_attempts),
        )
        yield Runtime(
            settings=settings,
            store=store,
            clock=clock,
            http=http,
            tokens=tokens,
            quota=quota,
            xero=xero,
            source=source,
            engine=SyncEngine(ctx),
            calls=calls,
        )
