"""The Xero HTTP transport: auth headers, quota slots, retries, typed errors and call records."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import httpx

from xerowatch import __version__
from xerowatch.clock import Clock
from xerowatch.logs import redact
from xerowatch.xero.errors import TokenRejected, XeroAuthError, XeroRateLimited, XeroUnavailable
from xerowatch.xero.idempotency import validate_key
from xerowatch.xero.quota import DAY_PROBE_S, Lane, QuotaScheduler
from xerowatch.xero.retry import error_for, parse_body, rate_limit_error, retrying

log = logging.getLogger(__name__)

API_URL_KEY = "[xero] api_url"

# Second-level path words that are names, not ids (from the spec's paths).
_NAMED_SUBPATHS = {
    "Reports": frozenset(
        {
            "TenNinetyNine",
            "AgedPayablesByContact",
            "AgedReceivablesByContact",
            "BalanceSheet",
            "BankSummary",
            "BudgetSummary",
            "ExecutiveSummary",
            "ProfitAndLoss",
            "TrialBalance",
        }
    ),
    "Organisation": frozenset({"Actions"}),
    "InvoiceReminders": frozenset({"Settings"}),
}
DAY_LIMIT_FIX = (
    "Nothing to do right away: xerowatch resumes this organisation when Xero resets its daily "
    "limit, and other organisations keep syncing. If it happens often, lower bulk work "
    "(xero.reserve_share keeps budget for operators and incremental syncs) or move the "
    "organisation to a Xero plan with a higher daily limit (Starter allows 1,000 calls a day)."
)


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
    """Name a call by method and path template, e.g. `GET /Invoices/{id}/OnlineInvoice`.

    Xero paths alternate collection and id (`/Invoices/{id}/Attachments/{id}`); the few named
    second-level paths (`/Reports/BalanceSheet`, `/Organisation/Actions`) are kept.
    """
    segments = [part for part in path.split("?", 1)[0].split("/") if part]
    named: list[str] = []
    for position, segment in enumerate(segments):
        is_name = position % 2 == 0 or (
            position == 1 and segment in _NAMED_SUBPATHS.get(segments[0], frozenset())
        )
        named.append(segment if is_name else "{id}")
    return f"{method.upper()} /{'/'.join(named)}"


@dataclass
class _Call:
    """One logical request, across its attempts."""

    method: str
    path: str
    tenant: TenantRef
    lane: Lane
    params: Mapping[str, str] | None
    json: Any
    headers: Mapping[str, str] | None
    idempotency_key: str | None
    attempts: int = 0
    force_refresh: bool = False
    token_refreshed: bool = False

    @property
    def what(self) -> str:
        return f"{endpoint_name(self.method, self.path)} for tenant {self.tenant.tenant_id}"


class XeroTransport:
    """Sends Xero API requests through the quota scheduler, with retries and typed errors."""

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
        if max_retries < 0:
            raise ValueError("max_retries must be ≥ 0")
        self._http = http
        self._api_url = api_url.rstrip("/")
        self._tokens = tokens
        self._quota = quota
        self._clock = clock
        self._max_retries = max_retries
        self._alerts = alerts
        self._on_call = on_call
        self._day_alerted_until: dict[str, float] = {}

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
        """Send one logical request (retrying transient failures) and return the response.

        Raises XeroValidationError (400), XeroAuthError (401 after one forced token refresh,
        403), XeroNotFound (404), XeroRateLimited (day limit, reserve, or 429s that outlived the
        retries), XeroTransientError (timeouts, connection errors, 5xx after the retries).
        """
        if not path.startswith("/"):
            raise ValueError(f"path must start with '/': {path!r}")
        if idempotency_key is not None:
            validate_key(idempotency_key)  # IdempotencyKeyError (a ValueError) before any call
        call = _Call(method.upper(), path, tenant, lane, params, json, headers, idempotency_key)
        try:
            try:
                return await self._with_retries(call)
            except TokenRejected:
                call.force_refresh = call.token_refreshed = True
                return await self._with_retries(call)
        except XeroRateLimited as exc:
            if exc.problem == "day":
                await self._alert_day_limit(tenant.tenant_id, exc)
            raise

    async def _with_retries(self, call: _Call) -> XeroResponse:
        async for attempt in retrying(
            max_retries=self._max_retries, sleep=self._clock.sleep, what=call.what
        ):
            with attempt:
                return await self._attempt(call)
        raise AssertionError("unreachable: tenacity returns or re-raises")  # pragma: no cover

    async def _attempt(self, call: _Call) -> XeroResponse:
        tenant_id = call.tenant.tenant_id
        connection_id = call.tenant.connection_id
        # A refresh (or a lost authorisation) happens before the slot: it neither holds one
        # nor is charged as a Xero call. Inside, the token is the cached one unless the wait
        # for the slot outlived it.
        await self._tokens.access_token(connection_id, force_refresh=call.force_refresh)
        call.force_refresh = False
        async with self._quota.slot(tenant_id, call.lane):
            token = await self._tokens.access_token(connection_id)
            call.attempts += 1
            started_at, started = self._clock.now(), self._clock.monotonic()
            sent: httpx.Response | None = None
            url = self._api_url + call.path
            try:
                sent = response = await self._http.request(
                    call.method,
                    url,
                    params=call.params,
                    json=call.json,
                    headers=self._headers(call, token),
                )
            except httpx.TimeoutException as exc:
                raise XeroUnavailable(
                    f"{call.method} {url} timed out ({type(exc).__name__})",
                    config_key=API_URL_KEY,
                ) from None
            except httpx.TransportError as exc:
                reason = redact(str(exc))[:200] or type(exc).__name__
                raise XeroUnavailable(
                    f"cannot reach Xero at {url}: {reason}", config_key=API_URL_KEY
                ) from None
            finally:
                self._record(call, sent, started_at, self._clock.monotonic() - started)
            self._quota.observe(tenant_id, response.headers)
            if response.status_code == 429:
                limited = rate_limit_error(response, now=self._clock.now())
                self._quota.on_rate_limited(tenant_id, limited.problem, limited.retry_after)
                raise limited
        if response.is_success:
            return XeroResponse(
                status=response.status_code,
                headers=response.headers,
                body=parse_body(response),
                correlation_id=response.headers.get("xero-correlation-id"),
            )
        error = error_for(response, parse_body(response), now=self._clock.now())
        if isinstance(error, TokenRejected) and call.token_refreshed:
            raise XeroAuthError(
                f"{error.message}, even after a token refresh: reconnect the Xero connection",
                needs_reconnect=True,
                status=401,
                correlation_id=error.correlation_id,
            )
        raise error

    def _headers(self, call: _Call, token: str) -> httpx.Headers:
        # httpx.Headers replaces case-insensitively: a caller's `Xero-Tenant-Id` (or
        # `authorization`) must not ride along next to ours and reach another organisation.
        headers = httpx.Headers(call.headers or {})
        headers["Authorization"] = f"Bearer {token}"
        headers["xero-tenant-id"] = call.tenant.tenant_id
        headers["Accept"] = "application/json"
        headers["User-Agent"] = f"xerowatch/{__version__}"
        if call.json is not None:
            headers["Content-Type"] = "application/json"
        if call.idempotency_key is not None:
            headers["Idempotency-Key"] = call.idempotency_key
        return headers

    def _record(
        self,
        call: _Call,
        response: httpx.Response | None,
        started_at: datetime,
        duration_s: float,
    ) -> None:
        if self._on_call is None:
            return
        correlation_id = None if response is None else response.headers.get("xero-correlation-id")
        record = CallRecord(
            method=call.method,
            endpoint=endpoint_name(call.method, call.path),
            status=None if response is None else response.status_code,
            tenant_id=call.tenant.tenant_id,
            attempt=call.attempts,
            correlation_id=correlation_id,
            started_at=started_at,
            duration_s=duration_s,
        )
        try:
            self._on_call(record)
        except Exception:  # a metrics hook must never break a request
            log.exception("on_call hook failed for %s", call.what)

    async def _alert_day_limit(self, tenant_id: str, exc: XeroRateLimited) -> None:
        """Alert once per park: the first time a tenant is refused for the day limit."""
        now = self._clock.monotonic()
        if self._alerts is None or self._day_alerted_until.get(tenant_id, -1.0) > now:
            return
        left = exc.retry_after
        self._day_alerted_until[tenant_id] = now + (left if left is not None else DAY_PROBE_S)
        until = "" if left is None else f" for about {left / 3600:.1f} h"
        counted = "" if exc.status == 429 else " (by xerowatch's count of today's calls)"
        message = f"Xero daily API limit reached for tenant {tenant_id}{counted}: paused{until}"
        try:
            await self._alerts("xero_day_limit", message, fix=DAY_LIMIT_FIX, tenant_id=tenant_id)
        except Exception:  # the rate-limit error matters more than a failed alert write
            log.exception("could not raise the xero_day_limit alert for tenant %s", tenant_id)
