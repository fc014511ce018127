"""`WisenetSim`: a Starlette app answering the Wisenet API v1 endpoints xerowatch uses."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from xerowatch.clock import Clock, SystemClock
from xerowatch.sim.wisenet.data import COUNTRIES, STATES, SimData
from xerowatch.sim.wisenet.filters import Filter, FilterError
from xerowatch.sim.wisenet.limits import SimLimits
from xerowatch.sim.wisenet.oauth import TOKEN_PATH, SimTokenIssuer
from xerowatch.sim.wisenet.seed import seed_awkward, seed_learners

MAX_TAKE = 1000
DEFAULT_TAKE = 100
PREFIX = "/v1"

# query parameter → (path into the learner record, kind)
_LEARNER_FILTERS: dict[str, tuple[tuple[str, ...], str]] = {
    "lastModifiedTimeStampFilter": (("LastModifiedTimeStamp",), "timestamp"),
    "isActiveFilter": (("Personal", "IsActive"), "bool"),
    "syncToXeroFilter": (("Personal", "SyncToXero"), "bool"),
    "learnerNumberFilter": (("Personal", "LearnerNumber"), "text"),
    "emailAddressFilter": (("Personal", "EmailAddresses", "Email"), "text"),
    "mobileFilter": (("Personal", "PhoneNumbers", "Mobile"), "text"),
}
_AUDIT_FILTERS: dict[str, tuple[tuple[str, ...], str]] = {
    "lastModifiedTimeStampFilter": (("LastModifiedTimeStamp",), "timestamp"),
    "auditActionFilter": (("AuditAction",), "text"),
    "entityNameFilter": (("EntityName",), "text"),
}


@dataclass(frozen=True)
class SimRequest:
    """One request as the simulator saw it."""

    method: str
    path: str
    query: dict[str, str]
    status: int


Handler = Callable[[Request], Awaitable[Response]]


class WisenetSim:
    """A simulated Wisenet account: `.app` is the ASGI app, `.data` its records."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        api_key: str = "sim-api-key",
        bearer_tokens: set[str] | None = None,
        timezone: str = "Australia/Sydney",
        per_second: int = 10,
        daily_quota: int = 10_000,
        seed: int | None = None,
    ) -> None:
        self.clock = clock or SystemClock()
        self.api_key = api_key
        self.bearer_tokens = bearer_tokens if bearer_tokens is not None else set()
        self.data = SimData(clock=self.clock, zone=ZoneInfo(timezone))
        self.limits = SimLimits(
            self.clock, self.data.zone, per_second=per_second, daily_quota=daily_quota
        )
        self.requests: list[SimRequest] = []
        self.audit_logs_status = 200
        """Set to 403 or 404 to simulate a licence without the audit log."""
        self._faults: list[tuple[str, int]] = []
        self.fault_rate = 0.0
        """The share of authorised requests answered 503 at random (chaos runs)."""
        self.faults_injected = 0
        self._rng = random.Random(seed)
        self.oauth = SimTokenIssuer(self.clock)
        """The token endpoint (POST /oauth/token); its access tokens are accepted."""
        self.invoice_writes: list[tuple[str, dict[str, Any]]] = []
        """Every accepted invoice PUT in order: (InvoiceId, body), to check exactly-once."""
        self.app = Starlette(routes=self._routes())

    def seed_awkward(self) -> dict[str, int]:
        """Add the awkward learners (see `seed.seed_awkward`); return their ids by key."""
        return seed_awkward(self.data)

    def seed_learners(self, n: int, *, seed: int = 7, region: str = "AU") -> list[int]:
        """Add `n` plausible learners for volume tests; return their ids."""
        return seed_learners(self.data, n, seed=seed, region=region)

    def count(self, path: str, method: str = "GET") -> int:
        """How many requests hit exactly `path` (without the /v1 prefix) with `method`."""
        return sum(1 for r in self.requests if r.path == path and r.method == method)

    def fail_next(self, path: str, status: int, times: int = 1) -> None:
        """Answer the next `times` requests to `path` with `status` (e.g. 503)."""
        self._faults.extend([(path, status)] * times)

    def _routes(self) -> list[Route]:
        learners = [
            Route(f"{PREFIX}/learners{region}", self._wrap(self._list_learners(region)))
            for region in ("AU", "NZ")
        ]
        one = [
            Route(f"{PREFIX}/learners{region}/{{id}}", self._wrap(self._get_learner(region)))
            for region in ("AU", "NZ")
        ]
        return [
            *learners,
            *one,
            Route(f"{PREFIX}/combos/states", self._wrap(self._states)),
            Route(f"{PREFIX}/combos/countries", self._wrap(self._countries)),
            Route(f"{PREFIX}/audit-logs", self._wrap(self._audit_logs)),
            Route(f"{PREFIX}/invoices/{{id}}", self._wrap(self._invoice), methods=["GET", "PUT"]),
            Route(TOKEN_PATH, self.oauth.endpoint, methods=["POST"]),
        ]

    def _wrap(self, handler: Handler) -> Handler:
        async def endpoint(request: Request) -> Response:
            response = await self._gate(request) or await handler(request)
            path = request.url.path.removeprefix(PREFIX)
            self.requests.append(
                SimRequest(request.method, path, dict(request.query_params), response.status_code)
            )
            return response

        return endpoint

    async def _gate(self, request: Request) -> Response | None:
        if not self._authorised(request):
            return _error(401, "Authorization has been denied for this request.")
        limited = self.limits.check()
        if limited is not None:
            problem, retry_after = limited
            return _error(429, problem, headers={"Retry-After": str(max(1, round(retry_after)))})
        path = request.url.path.removeprefix(PREFIX)
        for index, (fault_path, status) in enumerate(self._faults):
            if fault_path == path:
                del self._faults[index]
                return _error(status, "simulated failure")
        if self.fault_rate and self._rng.random() < self.fault_rate:
            self.faults_injected += 1
            return _error(503, "simulated failure")
        return None

    def _authorised(self, request: Request) -> bool:
        auth = request.headers.get("authorization", "")
        token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else ""
        if token and self.oauth.accepts(token):
            return True
        if self.bearer_tokens:
            return token in self.bearer_tokens
        return request.headers.get("x-api-key") == self.api_key

    def _list_learners(self, region: str) -> Handler:
        async def handler(request: Request) -> Response:
            records = sorted(self.data.learners[region].values(), key=lambda r: r["LearnerId"])
            return _paged(request, records, _LEARNER_FILTERS, _learner_item)

        return handler

    def _get_learner(self, region: str) -> Handler:
        async def handler(request: Request) -> Response:
            try:
                learner_id = int(request.path_params["id"])
            except ValueError:
                return _error(400, "The learner id must be an integer.")
            record = self.data.learners[region].get(learner_id)
            if record is None:
                return _error(404, f"Learner {learner_id} not found.")
            return JSONResponse(_learner_item(record))

        return handler

    async def _states(self, request: Request) -> Response:
        return JSONResponse(STATES)

    async def _countries(self, request: Request) -> Response:
        return JSONResponse(COUNTRIES)

    async def _audit_logs(self, request: Request) -> Response:
        if self.audit_logs_status != 200:
            return _error(self.audit_logs_status, "Audit logs are not available on this licence.")
        return _paged(request, self.data.audit_logs, _AUDIT_FILTERS, _envelope)

    async def _invoice(self, request: Request) -> Response:
        invoice_id = request.path_params["id"]
        if request.method == "GET":
            stored = self.data.invoices.get(invoice_id)
            if stored is None:
                return _error(404, f"Invoice {invoice_id} not found.")
            return JSONResponse(stored)
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "The request body is not valid JSON.")
        if not isinstance(body, dict):
            return _error(400, "The request body must be an Invoice object.")
        if body.get("InvoiceId") not in (None, invoice_id):
            return _error(400, "InvoiceId in the body does not match the URL.")
        if not isinstance(body.get("LearnerId"), int):
            return _error(400, "LearnerId is required.")
        if not any(body["LearnerId"] in learners for learners in self.data.learners.values()):
            return _error(400, f"Learner {body['LearnerId']} does not exist.")
        self.data.invoices[invoice_id] = {**body, "InvoiceId": invoice_id}
        self.invoice_writes.append((invoice_id, body))
        return JSONResponse(self.data.invoices[invoice_id])


def _paged(
    request: Request,
    records: list[dict[str, Any]],
    filters: dict[str, tuple[tuple[str, ...], str]],
    render: Callable[[dict[str, Any]], dict[str, Any]],
) -> Response:
    try:
        skip = int(request.query_params.get("skip", "0"))
        take = min(int(request.query_params.get("take", str(DEFAULT_TAKE))), MAX_TAKE)
    except ValueError:
        return _error(400, "skip and take must be integers.")
    if skip < 0 or take < 1:
        return _error(400, "skip must be >= 0 and take >= 1.")
    try:
        selected = [r for r in records if _passes(r, request.query_params, filters)]
    except FilterError as exc:
        return _error(400, f"Invalid filter: {exc}")
    return JSONResponse([render(r) for r in selected[skip : skip + take]])


def _passes(
    record: dict[str, Any], query: Any, filters: dict[str, tuple[tuple[str, ...], str]]
) -> bool:
    for name, (path, kind) in filters.items():
        raw = query.get(name)
        if raw is None or raw == "":
            continue
        value: Any = record
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if not Filter.parse(raw).matches(value, kind):
            return False
    return True


def _envelope(record: dict[str, Any]) -> dict[str, Any]:
    return {"Data": record, "Relationships": {}}


def _learner_item(record: dict[str, Any]) -> dict[str, Any]:
    return {"Data": record, "Relationships": {"Gender": None}}


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"Message": message}, status_code=status, headers=headers)
