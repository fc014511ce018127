"""The Wisenet API v1 HTTP client: auth headers, pacing and quota, retries, paging.

One request = one rate token and one unit of daily quota, retries included. 429, 5xx and
network failures are retried with exponential backoff (honouring Retry-After); a 401 gets one
retry after the auth provider refreshes, then becomes a permanent SourceError.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import quote

import httpx

from xerowatch import __version__
from xerowatch.clock import Clock
from xerowatch.logs import redact
from xerowatch.source.http_retry import RetryableFailure, retry_after_seconds, retrying
from xerowatch.source.port import SourceAuthError, SourceError
from xerowatch.source.wisenet.auth import WisenetAuth
from xerowatch.source.wisenet.budget import Purpose, RequestBudget

log = logging.getLogger(__name__)

MAX_PAGE_SIZE = 1000
_MAX_BACKOFF_SECONDS = 60.0

JsonObject = dict[str, Any]


class WisenetHTTPError(SourceError):
    """Wisenet answered with an error status that retrying will not fix."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message, transient=False)
        self.status = status


class WisenetAuthError(WisenetHTTPError, SourceAuthError):
    """Wisenet answered 401: the API key or token is wrong, revoked or rotated."""

    def __init__(self, message: str) -> None:
        WisenetHTTPError.__init__(self, message, status=401)


def path_segment(value: str) -> str:
    """Quote an id for use as one URL path segment."""
    return quote(value, safe="")


class WisenetClient:
    """Async client for `https://api.wisenet.co/v1` (or a simulator), sharing one budget."""

    def __init__(
        self,
        *,
        base_url: str,
        auth: WisenetAuth,
        budget: RequestBudget,
        clock: Clock,
        http: httpx.AsyncClient | None = None,
        timeout_seconds: float = 30.0,
        max_attempts: int = 6,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._auth = auth
        self.budget = budget
        self._clock = clock
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(timeout=timeout_seconds)
        self._max_attempts = max(1, max_attempts)
        self.requests_sent = 0
        """Requests sent since the client was made (retries included)."""

    def __repr__(self) -> str:
        return f"WisenetClient(base_url={self._base_url!r})"

    async def aclose(self) -> None:
        """Close the HTTP client if this object created it."""
        if self._owns_http:
            await self._http.aclose()

    async def get_json(
        self, path: str, params: Mapping[str, str | int] | None = None, *, purpose: Purpose = "read"
    ) -> Any:
        """GET `path` and return the decoded JSON body."""
        response = await self._request("GET", path, params=params, purpose=purpose)
        return _decode(response, "GET", path)

    async def put_json(self, path: str, body: JsonObject, *, purpose: Purpose = "write") -> Any:
        """PUT a JSON body to `path`; return the decoded answer (None when it is empty)."""
        response = await self._request("PUT", path, body=body, purpose=purpose)
        return _decode(response, "PUT", path) if response.content.strip() else None

    async def pages(
        self, path: str, params: Mapping[str, str | int], *, page_size: int = MAX_PAGE_SIZE
    ) -> AsyncIterator[list[JsonObject]]:
        """Yield the pages of a skip/take list until a short page."""
        take = max(1, min(page_size, MAX_PAGE_SIZE))
        skip = 0
        previous: str | None = None
        while True:
            page = await self.get_json(path, {**params, "skip": skip, "take": take})
            if not isinstance(page, list) or not all(isinstance(i, dict) for i in page):
                raise SourceError(
                    f"Wisenet GET {path}: expected a JSON array of objects", transient=False
                )
            fingerprint = _fingerprint(page)
            if page and fingerprint == previous:
                raise SourceError(
                    f"Wisenet GET {path} returned the same page for skip={skip}: paging is not "
                    "honoured, stopping instead of looping",
                    transient=False,
                )
            previous = fingerprint
            yield page
            if len(page) < take:
                return
            skip += len(page)

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        body: JsonObject | None = None,
        purpose: Purpose,
    ) -> httpx.Response:
        refreshed = False

        attempts = retrying(
            "Wisenet",
            method,
            path,
            max_attempts=self._max_attempts,
            max_backoff=_MAX_BACKOFF_SECONDS,
            sleep=self._clock.sleep,
            logger=log,
        )
        try:
            async for attempt in attempts:
                with attempt:
                    response = await self._send_once(method, path, params, body, purpose)
                    if response.status_code == 401 and not refreshed:
                        refreshed = True
                        if await self._auth.refresh_after_unauthorized():
                            raise RetryableFailure("credentials refreshed", retry_after=0.0)
                    return self._check(response, method, path)
        except RetryableFailure as exc:
            raise SourceError(
                f"Wisenet {method} {path}: {exc} (gave up after {self._max_attempts} attempts)",
                transient=True,
            ) from None
        raise AssertionError("unreachable: tenacity either returns or re-raises")

    async def _send_once(
        self,
        method: str,
        path: str,
        params: Mapping[str, str | int] | None,
        body: JsonObject | None,
        purpose: Purpose,
    ) -> httpx.Response:
        async with self.budget.request(purpose):
            headers = {
                "Accept": "application/json",
                "User-Agent": f"xerowatch/{__version__}",
                **await self._auth.headers(),
            }
            self.requests_sent += 1
            try:
                return await self._http.request(
                    method,
                    self._base_url + path,
                    params=dict(params) if params else None,
                    json=body,
                    headers=headers,
                )
            except httpx.TimeoutException:
                raise RetryableFailure(
                    f"timed out at {self._base_url}{path} (check [wisenet] base_url)"
                ) from None
            except httpx.TransportError as exc:
                raise RetryableFailure(
                    f"cannot reach Wisenet at {self._base_url}{path} ({type(exc).__name__}): "
                    "check [wisenet] base_url"
                ) from None

    def _check(self, response: httpx.Response, method: str, path: str) -> httpx.Response:
        status = response.status_code
        if status < 300:
            return response
        if status == 429:
            raise RetryableFailure(
                "rate limited (HTTP 429)", retry_after=retry_after_seconds(response)
            )
        if status >= 500:
            raise RetryableFailure(f"HTTP {status}", retry_after=retry_after_seconds(response))
        if status == 401:
            raise WisenetAuthError(f"{self._auth.unauthorized_hint()} (HTTP 401)")
        detail = _excerpt(response)
        raise WisenetHTTPError(f"Wisenet {method} {path}: HTTP {status}{detail}", status=status)


def _decode(response: httpx.Response, method: str, path: str) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise SourceError(
            f"Wisenet {method} {path}: HTTP {response.status_code} with a body that is not JSON",
            transient=True,
        ) from None


def _excerpt(response: httpx.Response) -> str:
    text = " ".join(response.text.split())[:200]
    return f": {redact(text)}" if text else ""


def _fingerprint(page: list[JsonObject]) -> str:
    return hashlib.sha256(json.dumps(page, sort_keys=True, default=str).encode()).hexdigest()
