"""A `XeroClient` over the real `XeroTransport` and quota scheduler, with HTTP mocked by respx.

Shared by the client tests and the contract tests: every request the client builds goes through
the production transport (headers, auth, quota) and is captured as a real `httpx.Request`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid5

import httpx
import respx

from xerowatch.clock import FakeClock
from xerowatch.xero.client import XeroClient
from xerowatch.xero.quota import Lane, QuotaLimits, QuotaScheduler
from xerowatch.xero.transport import TenantRef, XeroResponse, XeroTransport

API = "https://api.xero.com/api.xro/2.0"
TENANT = TenantRef("8f2c1e53-8a3b-4f3e-9d53-7c1f0b7e2a10", "connection-1")
ID_NAMESPACE = UUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8")


def stable_id(label: str) -> UUID:
    """A deterministic UUID for a test label."""
    return uuid5(ID_NAMESPACE, label)


@dataclass
class StaticTokens:
    """Always the same access token (auth is tested with the transport, not here)."""

    async def access_token(self, connection_id: str, *, force_refresh: bool = False) -> str:
        """Return the fixed token."""
        return "test-access-token"


@dataclass
class LaneSpy:
    """Wraps the transport and remembers the lane of each request."""

    inner: XeroTransport
    lanes: list[Lane] = field(default_factory=list)

    async def request(
        self,
        method: str,
        path: str,
        *,
        tenant: TenantRef,
        lane: Lane,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> XeroResponse:
        """Record the lane, then delegate."""
        self.lanes.append(lane)
        return await self.inner.request(
            method,
            path,
            tenant=tenant,
            lane=lane,
            params=params,
            json=json,
            headers=headers,
            idempotency_key=idempotency_key,
        )


@dataclass
class ClientRig:
    """The client, its transport, the respx router and the virtual clock."""

    client: XeroClient
    spy: LaneSpy
    router: respx.MockRouter
    clock: FakeClock

    @property
    def requests(self) -> list[httpx.Request]:
        """Every request sent so far, in order."""
        return [call.request for call in self.router.calls]


@asynccontextmanager
async def client_rig() -> AsyncIterator[ClientRig]:
    """A fresh rig: virtual clock, default Xero limits, every URL under the API mocked."""
    clock = FakeClock()
    quota = QuotaScheduler(QuotaLimits(), clock)
    with respx.mock(base_url=API, assert_all_called=False) as router:
        async with httpx.AsyncClient() as http:
            transport = XeroTransport(
                http=http,
                api_url=API,
                tokens=StaticTokens(),
                quota=quota,
                clock=clock,
                max_retries=2,
            )
            spy = LaneSpy(transport)
            yield ClientRig(XeroClient(spy), spy, router, clock)


def contact_json(index: int, **extra: Any) -> dict[str, Any]:
    """A contact as Xero returns it."""
    body = {
        "ContactID": str(stable_id(f"contact-{index}")),
        "ContactNumber": f"WN-{index}",
        "Name": f"Learner {index}",
        "ContactStatus": "ACTIVE",
        "UpdatedDateUTC": "/Date(1762074000000+0000)/",
    }
    body.update(extra)
    return body


def page_body(
    collection: str,
    items: list[dict[str, Any]],
    *,
    page: int,
    page_size: int,
    item_count: int | None,
) -> dict[str, Any]:
    """A list answer with Xero's envelope and, when `item_count` is given, `pagination`."""
    body: dict[str, Any] = {
        "Id": "0f1a4c1e-2b7d-4b43-9f5e-1b1f5d2c7a11",
        "Status": "OK",
        "ProviderName": "xerowatch tests",
        "DateTimeUTC": "/Date(1762074000000)/",
        collection: items,
    }
    if item_count is not None:
        body["pagination"] = {
            "page": page,
            "pageSize": page_size,
            "pageCount": -(-item_count // page_size),
            "itemCount": item_count,
        }
    return body


def paged_responder(
    collection: str,
    all_items: list[dict[str, Any]],
    *,
    with_pagination: bool = True,
) -> Any:
    """A respx side effect serving `all_items` by the request's page and pageSize."""

    def respond(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        size = int(request.url.params.get("pageSize", "100"))
        items = all_items[(page - 1) * size : page * size]
        count = len(all_items) if with_pagination else None
        body = page_body(collection, items, page=page, page_size=size, item_count=count)
        return httpx.Response(200, json=body)

    return respond
