"""A second Xero for tests, written from the spec alone: an `httpx.MockTransport` handler.

It serves one custom-connection organisation: the token endpoint (client_credentials with
Basic auth), GET /connections, and the Accounting API calls a sync client makes. Each API
answer carries the rate-limit headers; a call over the minute, day or app-minute limit is a
real 429 on the shared clock. Every request is logged by route, so tests count calls.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx

from tests.independent_xero.api import AccountingApi
from tests.independent_xero.contacts import ContactBook
from tests.independent_xero.limits import RateLimiter, RateLimits
from tests.independent_xero.transactions import Ledger
from tests.independent_xero.wire import (
    ERROR_VALIDATION,
    error_body,
    json_response,
    problem_body,
)
from xerowatch.clock import Clock

ACCESS_TOKEN_S = 1800
IDEMPOTENCY_TTL = timedelta(minutes=6)
IDEMPOTENCY_KEY_MAX = 128
RequestCheck = Callable[[httpx.Request], None]


@dataclass(frozen=True)
class FakeUrls:
    """Where the fake answers (Xero's real addresses by default)."""

    identity_url: str = "https://identity.xero.com"
    connections_url: str = "https://api.xero.com/connections"
    api_url: str = "https://api.xero.com/api.xro/2.0"


@dataclass(frozen=True)
class LoggedCall:
    """One request as the fake saw it."""

    route: str
    """Method and path template, e.g. `GET /Contacts/{key}` or `POST /connect/token`."""
    path: str
    query: dict[str, str]
    status: int
    if_modified_since: str | None = None
    idempotency_key: str | None = None
    accept: str | None = None
    body: Any = None
    replayed: bool = False
    api: bool = False
    """True for Accounting API calls (those count against the rate limits)."""


@dataclass
class _Remembered:
    fingerprint: str
    response: tuple[int, bytes]
    stored_at: datetime


@dataclass
class FakeXero:
    """One Xero organisation behind a custom connection."""

    clock: Clock
    client_id: str = "parity-client"
    client_secret: str = "parity-secret"
    tenant_name: str = "Parity Training Pty Ltd"
    urls: FakeUrls = field(default_factory=FakeUrls)
    limits: RateLimits = field(default_factory=RateLimits)
    modified_since_strictly_after: bool = False
    """Read If-Modified-Since as "updated in a later second" instead of "this second or later"."""
    request_check: RequestCheck | None = None
    """Called with every Accounting API request; an exception is logged as a violation."""
    log: list[LoggedCall] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.tenant_id = str(uuid.uuid4())
        self.connection_id = str(uuid.uuid4())
        self.contacts = ContactBook(self.clock)
        self.ledger = Ledger(self.clock, self.contacts)
        self.limiter = RateLimiter(self.clock, self.limits)
        self._api = AccountingApi(
            self.clock,
            self.contacts,
            self.ledger,
            strictly_after=self.modified_since_strictly_after,
        )
        self._tokens: dict[str, datetime] = {}
        self._remembered: dict[str, _Remembered] = {}

    # -- what tests ask -------------------------------------------------------------------------

    def transport(self) -> httpx.MockTransport:
        """An httpx transport that sends every request to this fake."""
        return httpx.MockTransport(self.handler)

    def calls(self, route: str, *, status: int | None = None) -> int:
        """How many requests hit `route` (optionally only those answered with `status`)."""
        return sum(1 for c in self.log if c.route == route and status in (None, c.status))

    def requests(self, route: str) -> list[LoggedCall]:
        """The logged requests of one route, in order."""
        return [c for c in self.log if c.route == route]

    def api_calls(self) -> list[LoggedCall]:
        """The Accounting API requests, in order."""
        return [c for c in self.log if c.api]

    def counts(self) -> Counter[str]:
        """Requests per route."""
        return Counter(c.route for c in self.log)

    @property
    def rate_limited(self) -> int:
        """How many requests were answered 429."""
        return sum(1 for c in self.log if c.status == 429)

    def expire_tokens(self) -> None:
        """Make every issued access token expired (as 30 minutes passing would)."""
        self._tokens = {token: self.clock.now() for token in self._tokens}

    # -- the handler ----------------------------------------------------------------------------

    def handler(self, request: httpx.Request) -> httpx.Response:
        """Answer one request (the `httpx.MockTransport` entry point)."""
        url = str(request.url.copy_with(query=None))
        if url == self.urls.identity_url.rstrip("/") + "/connect/token":
            return self._logged(request, "POST /connect/token", self._token(request))
        if url == self.urls.connections_url.rstrip("/"):
            return self._logged(
                request, f"{request.method} /connections", self._connections(request)
            )
        prefix = self.urls.api_url.rstrip("/")
        if url.startswith(prefix + "/"):
            return self._accounting(request, unquote(url[len(prefix) :]))
        return self._logged(
            request, f"{request.method} ?", json_response(404, {"Message": "No such endpoint"})
        )

    def _token(self, request: httpx.Request) -> httpx.Response:
        if request.method != "POST":
            return json_response(405, {"error": "invalid_request"})
        form = dict(httpx.QueryParams(request.content.decode("utf-8")))
        if form.get("grant_type") != "client_credentials":
            return json_response(400, {"error": "unsupported_grant_type"})
        if _basic_credentials(request) != (self.client_id, self.client_secret):
            return json_response(400, {"error": "invalid_client"})
        token = secrets.token_urlsafe(32)
        self._tokens[token] = self.clock.now() + timedelta(seconds=ACCESS_TOKEN_S)
        body = {
            "access_token": token,
            "expires_in": ACCESS_TOKEN_S,
            "token_type": "Bearer",
            "scope": form.get("scope", ""),
        }
        return json_response(200, body)

    def _connections(self, request: httpx.Request) -> httpx.Response:
        refused = self._unauthorised(request)
        if refused is not None:
            return refused
        if request.method != "GET":
            return json_response(405, {"Message": "Only GET is served"})
        stamp = self.clock.now().replace(tzinfo=None).isoformat(timespec="seconds")
        return json_response(
            200,
            [
                {
                    "id": self.connection_id,
                    "authEventId": str(uuid.uuid5(uuid.NAMESPACE_URL, self.connection_id)),
                    "tenantId": self.tenant_id,
                    "tenantType": "ORGANISATION",
                    "tenantName": self.tenant_name,
                    "createdDateUtc": stamp,
                    "updatedDateUtc": stamp,
                }
            ],
        )

    def _accounting(self, request: httpx.Request, path: str) -> httpx.Response:
        route = self._api.route_name(request.method, path)
        refused = self._unauthorised(request)
        if refused is None and request.headers.get("xero-tenant-id") != self.tenant_id:
            refused = json_response(
                403, problem_body(403, "Forbidden", "AuthenticationUnsuccessful")
            )
        if refused is not None:
            return self._logged(request, route, refused, api=True)
        admission = self.limiter.admit()
        if not admission.allowed:
            detail = f"Rate limit exceeded: {admission.problem}"
            body = problem_body(429, "Too Many Requests", detail)
            return self._logged(
                request, route, json_response(429, body, admission.headers), api=True
            )
        contract_error = self._check_contract(request, route)
        key = request.headers.get("Idempotency-Key")
        replay, response = None, None
        if contract_error is not None:
            response = json_response(400, error_body(ERROR_VALIDATION, contract_error))
        elif key is not None and request.method in ("POST", "PUT"):
            replay, response = self._remembered_answer(request, key)
        if response is None:
            response = self._api.handle(request, path)
            if key is not None and request.method in ("POST", "PUT"):
                self._remember(request, key, response)
        response.headers.update(admission.headers)
        response.headers["Xero-Correlation-Id"] = str(uuid.uuid4())
        return self._logged(request, route, response, replayed=bool(replay), api=True)

    def _unauthorised(self, request: httpx.Request) -> httpx.Response | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        expires = self._tokens.get(token) if scheme == "Bearer" else None
        if expires is not None and self.clock.now() < expires:
            return None
        detail = "TokenExpired: token expired" if expires is not None else "TokenInvalid"
        body = problem_body(401, "Unauthorized", detail)
        return json_response(401, body, {"WWW-Authenticate": 'Bearer error="invalid_token"'})

    def _check_contract(self, request: httpx.Request, route: str) -> str | None:
        if self.request_check is None:
            return None
        try:
            self.request_check(request)
        except Exception as exc:
            message = f"{route}: {type(exc).__name__}: {exc}"
            self.violations.append(message)
            return message
        return None

    def _fingerprint(self, request: httpx.Request) -> str:
        parts = [request.method, request.url.path, str(sorted(request.url.params.multi_items()))]
        return hashlib.sha256("\n".join(parts).encode() + b"\n" + request.content).hexdigest()

    def _remembered_answer(
        self, request: httpx.Request, key: str
    ) -> tuple[bool, httpx.Response | None]:
        if not 0 < len(key) <= IDEMPOTENCY_KEY_MAX:
            detail = f"Idempotency-Key must be 1-{IDEMPOTENCY_KEY_MAX} characters"
            return False, json_response(400, error_body(ERROR_VALIDATION, detail))
        now = self.clock.now()
        remembered = self._remembered.get(key)
        if remembered is None or now - remembered.stored_at >= IDEMPOTENCY_TTL:
            return False, None
        if remembered.fingerprint != self._fingerprint(request):
            detail = f"The Idempotency-Key {key} is used with a different request"
            return False, json_response(400, error_body(ERROR_VALIDATION, detail))
        status, content = remembered.response
        headers = {"Content-Type": "application/json; charset=utf-8"}
        return True, httpx.Response(status, content=content, headers=headers)

    def _remember(self, request: httpx.Request, key: str, response: httpx.Response) -> None:
        if (
            key not in self._remembered
            or self._remembered[key].stored_at + IDEMPOTENCY_TTL <= self.clock.now()
        ):
            self._remembered[key] = _Remembered(
                self._fingerprint(request),
                (response.status_code, response.content),
                self.clock.now(),
            )

    def _logged(
        self,
        request: httpx.Request,
        route: str,
        response: httpx.Response,
        *,
        replayed: bool = False,
        api: bool = False,
    ) -> httpx.Response:
        body: Any = None
        if request.content and "json" in request.headers.get("Content-Type", ""):
            try:
                body = json.loads(request.content)
            except ValueError:
                body = request.content
        self.log.append(
            LoggedCall(
                route=route,
                path=urlsplit(str(request.url)).path,
                query=dict(request.url.params.items()),
                status=response.status_code,
                if_modified_since=request.headers.get("If-Modified-Since"),
                idempotency_key=request.headers.get("Idempotency-Key"),
                accept=request.headers.get("Accept"),
                body=body,
                replayed=replayed,
                api=api,
            )
        )
        return response


def _basic_credentials(request: httpx.Request) -> tuple[str, str] | None:
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(encoded, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user, password
