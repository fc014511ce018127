"""The ConnectWise Manage REST API 3.0 client: auth, version pin, throttling, retries, paging.

Every request carries Basic auth (`company+publicKey:privateKey`), the integration's `clientId`
header and `Accept: application/vnd.connectwise.com+json; version=…`. 429 waits the Retry-After
ConnectWise sends; 5xx, timeouts and network failures are retried with exponential backoff; any
other error becomes one `ConnectWiseError` line from ConnectWise's own error body.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import AsyncIterator, Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import anyio
import httpx

from xerowatch import __version__
from xerowatch.clock import Clock
from xerowatch.config_connectwise import ConnectWiseSettings
from xerowatch.source.connectwise.conditions import Condition, all_of
from xerowatch.source.connectwise.errors import error_for
from xerowatch.source.connectwise.paging import next_link
from xerowatch.source.http_retry import RetryableFailure, retry_after_seconds, retrying
from xerowatch.source.port import SourceError

log = logging.getLogger(__name__)

MAX_PAGE_SIZE = 1000
_MAX_BACKOFF_SECONDS = 120.0
JsonObject = dict[str, Any]
Params = Mapping[str, str | int]


def basic_auth(company_id: str, public_key: str, private_key: str) -> str:
    """The Authorization header value: Basic base64("{company}+{public}:{private}")."""
    raw = f"{company_id}+{public_key}:{private_key}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


def accept_header(version: str) -> str:
    """The version-pinned Accept header ConnectWise recommends for production."""
    return f"application/vnd.connectwise.com+json; version={version}"


class ConnectWiseClient:
    """Async client for `https://{site}/{codebase}/apis/3.0` (or the simulator)."""

    def __init__(
        self,
        settings: ConnectWiseSettings,
        *,
        clock: Clock,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        missing = settings.missing_credentials()
        if missing is not None:
            raise SourceError(
                f"connectwise.{missing} is not set: set XEROWATCH_CONNECTWISE__{missing.upper()}",
                transient=False,
            )
        assert settings.public_key is not None and settings.private_key is not None
        self._base_url = settings.api_base_url
        self._headers = {
            "Authorization": basic_auth(
                settings.company_id.strip(),
                settings.public_key.get_secret_value(),
                settings.private_key.get_secret_value(),
            ),
            "clientId": settings.client_id,
            "Accept": accept_header(settings.api_version),
            "User-Agent": f"xerowatch/{__version__}",
        }
        self._clock = clock
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(timeout=settings.timeout_seconds)
        self._max_attempts = settings.max_attempts
        self._slots = anyio.Semaphore(settings.max_concurrent)
        self.page_size = settings.page_size
        self.requests_sent = 0
        """Requests sent since the client was made (retries included)."""
        self.server_version: str | None = None
        """The `api-current-version` header of the last answer, when ConnectWise sent one."""

    def __repr__(self) -> str:
        return f"ConnectWiseClient(base_url={self._base_url!r})"

    async def aclose(self) -> None:
        """Close the HTTP client if this object created it."""
        if self._owns_http:
            await self._http.aclose()

    async def get_json(self, path: str, params: Params | None = None) -> Any:
        """GET `path` and return the decoded JSON body."""
        response = await self._request("GET", path, params=params)
        return _decode(response, "GET", path)

    async def post_json(self, path: str, body: JsonObject) -> Any:
        """POST a JSON body to `path`; return the decoded answer (None when it is empty)."""
        response = await self._request("POST", path, body=body)
        return _decode(response, "POST", path) if response.content.strip() else None

    async def count(self, path: str, conditions: str = "") -> int:
        """`GET {path}/count` → the number of records matching `conditions`."""
        body = await self.get_json(f"{path}/count", _kept(conditions) or None)
        if not isinstance(body, dict) or not isinstance(body.get("count"), int):
            raise SourceError(
                f"ConnectWise GET {path}/count: expected an object with a count", transient=True
            )
        return int(body["count"])

    async def pages(
        self, path: str, conditions: str = "", *, fields: str = ""
    ) -> AsyncIterator[list[JsonObject]]:
        """Yield every page of a list in ascending id order, `conditions` kept on every page.

        Asks for forward-only paging; when ConnectWise answers with a `Link: rel="next"` that
        link's query (its `pageId`) is followed, our conditions re-applied. An endpoint that sends
        no Link is paged by keyset instead (`id > last id`), so records posted or added while
        we read never shift a page under us.
        """
        base: dict[str, str | int] = {"orderBy": "id asc", "pageSize": self.page_size}
        if fields:
            base["fields"] = fields
        params: dict[str, str | int] = {**base, "page": 1}
        if conditions:
            params["conditions"] = conditions
        last_id: int | None = None
        linked = False
        while True:
            response = await self._request("GET", path, params=params, forward_only=True)
            page = _decode(response, "GET", path)
            if not isinstance(page, list) or not all(isinstance(i, dict) for i in page):
                raise SourceError(
                    f"ConnectWise GET {path}: expected a JSON array of objects", transient=True
                )
            ids = [item.get("id") for item in page]
            numeric = [i for i in ids if isinstance(i, int) and not isinstance(i, bool)]
            if len(numeric) != len(ids):
                raise SourceError(
                    f"ConnectWise GET {path}: a record has no numeric id", transient=True
                )
            if numeric and last_id is not None and numeric[0] <= last_id:
                raise SourceError(
                    f"ConnectWise GET {path} went back to id {numeric[0]} after {last_id}: "
                    "paging is not honoured, stopping instead of looping",
                    transient=True,
                )
            if numeric:
                yield page
                last_id = numeric[-1]
            link = next_link(response.headers.get("Link", ""))
            if link is not None and page:
                linked = True
                params = {**base, **dict(parse_qsl(urlsplit(link).query)), **_kept(conditions)}
                continue
            if linked or len(page) < self.page_size or last_id is None:
                return  # a server that links its pages sends no next link on the last one
            keyset = Condition("id", ">", last_id)
            params = {**base, "page": 1, "conditions": all_of([conditions or None, keyset])}

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        body: JsonObject | None = None,
        forward_only: bool = False,
    ) -> httpx.Response:

        attempts = retrying(
            "ConnectWise",
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
                    response = await self._send_once(method, path, params, body, forward_only)
                    return self._check(response, method, path)
        except RetryableFailure as exc:
            raise SourceError(
                f"ConnectWise {method} {path}: {exc} (gave up after {self._max_attempts} "
                "attempts; raise [connectwise] max_attempts or try later)",
                transient=True,
            ) from None
        raise AssertionError("unreachable: tenacity either returns or re-raises")

    async def _send_once(
        self,
        method: str,
        path: str,
        params: Params | None,
        body: JsonObject | None,
        forward_only: bool,
    ) -> httpx.Response:
        headers = dict(self._headers)
        if forward_only:
            headers["pagination-type"] = "forward-only"
        async with self._slots:
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
                raise RetryableFailure(f"timed out at {self._base_url}{path}") from None
            except httpx.TransportError as exc:
                raise RetryableFailure(
                    f"cannot reach ConnectWise at {self._base_url}{path} ({type(exc).__name__}): "
                    "check [connectwise] site_url and codebase"
                ) from None

    def _check(self, response: httpx.Response, method: str, path: str) -> httpx.Response:
        status = response.status_code
        version = response.headers.get("api-current-version")
        if version:
            self.server_version = version
        if status < 300:
            return response
        if status == 429:
            raise RetryableFailure(
                "throttled (HTTP 429)", retry_after=retry_after_seconds(response)
            )
        if status >= 500:
            raise RetryableFailure(f"HTTP {status}", retry_after=retry_after_seconds(response))
        raise error_for(response, method, path)


def _kept(conditions: str) -> dict[str, str]:
    """The conditions every page must carry (a client that drops them restarts at the oldest)."""
    return {"conditions": conditions} if conditions else {}


def _decode(response: httpx.Response, method: str, path: str) -> Any:
    """The JSON body with numbers as Decimal, so money is never a binary float."""
    try:
        return json.loads(response.content, parse_float=Decimal)
    except ValueError:
        raise SourceError(
            f"ConnectWise {method} {path}: HTTP {response.status_code} with a body that is not "
            "JSON (is [connectwise] site_url a ConnectWise API host?)",
            transient=True,
        ) from None
