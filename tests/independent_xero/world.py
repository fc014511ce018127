"""The sync engine wired to the independent fake: settings, a connected runtime, helpers."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from pydantic import SecretStr

from tests.independent_xero.fake import FakeXero
from tests.spec import SpecUnavailable, load_openapi, validate_request
from tests.sync.memory_source import MemorySource
from xerowatch.clock import FakeClock
from xerowatch.config import Settings, StoreSettings, SyncSettings, XeroSettings
from xerowatch.sync.engine import CycleSummary
from xerowatch.wiring import Runtime, connect_custom_connection, open_runtime

Handler = Callable[[httpx.Request], httpx.Response]


def spec_check() -> Callable[[httpx.Request], None] | None:
    """Validate requests against the official spec when a copy is at hand."""
    try:
        load_openapi()
    except SpecUnavailable:
        return None
    return validate_request


def parity_settings(store_path: Path, xero: FakeXero, **sync: object) -> Settings:
    """Settings for a custom connection to the fake (its addresses are Xero's real ones)."""
    return Settings(
        store=StoreSettings(path=store_path),
        xero=XeroSettings(
            auth_mode="custom_connection",
            client_id=xero.client_id,
            client_secret=SecretStr(xero.client_secret),
            api_url=xero.urls.api_url,
            identity_url=xero.urls.identity_url,
            connections_url=xero.urls.connections_url,
            max_retries=4,
        ),
        sync=SyncSettings.model_validate(sync),
    )


@dataclass
class World:
    """The engine, connected to the independent fake, with an in-memory source."""

    xero: FakeXero
    rt: Runtime
    source: MemorySource
    clock: FakeClock

    @property
    def tenant_id(self) -> str:
        """The fake's organisation."""
        return self.xero.tenant_id

    async def cycle(self) -> CycleSummary:
        """Run one engine cycle."""
        return await self.rt.engine.run_cycle()

    def writes(self) -> int:
        """Contact write calls the fake has seen."""
        return self.xero.calls("POST /Contacts") + self.xero.calls("PUT /Contacts")

    def contact_id(self, ref: str) -> str:
        """The ContactID the engine gave a learner in Xero."""
        [contact] = [c for c in self.xero.contacts.all() if c.get("ContactNumber") == ref]
        return str(contact["ContactID"])

    def written(self) -> Counter[tuple[str, str]]:
        """Transactions written back to the source, by kind and status."""
        return Counter((tx.kind, tx.status) for tx in self.source.written)


@asynccontextmanager
async def open_world(
    store_dir: Path, xero: FakeXero, clock: FakeClock, handler: Handler | None = None
) -> AsyncIterator[World]:
    """Open a runtime against the fake (optionally through a wrapping handler) and connect."""
    source = MemorySource()
    transport = httpx.MockTransport(handler or xero.handler)
    settings = parity_settings(store_dir / "parity.db", xero)
    async with open_runtime(settings, clock=clock, xero_transport=transport, source=source) as rt:
        [tenant] = await connect_custom_connection(rt)
        assert tenant.tenant_id == xero.tenant_id
        yield World(xero, rt, source, clock)
