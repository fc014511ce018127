"""The Xero HTTP transport: auth headers, quota slots, retries and typed errors."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import httpx

from xerowatch import __version__
from xerowatch.clock import Clock
from xerowatch.xero.quota import Lane, QuotaScheduler


@dataclass(frozen=True)
class TenantRef:
    """Which Xero organisation a call is for, and the connection whose token reaches it."""

    tenant_id: str
    connection_id: str


class TokenSource(Protocol):
    """Supplies a valid access token for a connection."""

    async def access_token(self, connection_id: str, *, force_refresh: bool = False) -> str:
        """Return an access token, refreshing first when asked or when it is about to expire."""
        ...


class AlertSink(Protocol):
    """Raises an operator alert."""

    async def __call__(self, type_: str, message: str, *, fix: str, tenant_id: str) -> None:
        """Record the alert."""
        ...


@dataclass(frozen=True)
class CallRecord:
    """One HTTP attempt, for per-endpoint counts, history and metrics."""

    method: str
    endpoint: str
    status: int | None
    tenant_id: str
    attempt: int
    correlation_id: str | None
    started_at: datetime
    duration_s: float


@dataclass(frozen=True)
class XeroResponse:
    """A successful Xero response with its parsed body."""

    status: int
    headers: httpx.Headers
    body: Any
    correlation_id: str | None


def endpoint_name(method: str, path: str) -> str:
    """Name a call by method and path template, e.g. `GET /Invoices/{id}/OnlineInvoice`."""
    return f"{method.upper()} {path.split('?')[0]}"


class XeroTransport:
    """Sends Xero API requests through the quota scheduler (skeleton: work in progress)."""

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        api_url: str,
        tokens: TokenSource,
        quota: QuotaScheduler,
        clock: Clock,
        max_retries: int = 6,
        alerts: AlertSink | None = None,
        on_call: Callable[[CallRecord], None] | None = None,
    ) -> None:
        self._http = http
        self._api_url = api_url.rstrip("/")
        self._tokens = tokens
        self._quota = quota
        self._clock = clock
        self._max_retries = max_retries
        self._alerts = alerts
        self._on_call = on_call

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
        """Send one logical request (with retries) and return the parsed response."""
        async with self._quota.slot(tenant.tenant_id, lane):
            token = await self._tokens.access_token(tenant.connection_id)
            sent = {
                "Authorization": f"Bearer {token}",
                "xero-tenant-id": tenant.tenant_id,
                "Accept": "application/json",
                "User-Agent": f"xerowatch/{__version__}",
                **(headers or {}),
            }
            if idempotency_key:
                sent["Idempotency-Key"] = idempotency_key
            response = await self._http.request(
                method, self._api_url + path, params=params, json=json, headers=sent
            )
            return XeroResponse(
                status=response.status_code,
                headers=response.headers,
                body=response.json() if response.content else None,
                correlation_id=response.headers.get("Xero-Correlation-Id"),
            )
