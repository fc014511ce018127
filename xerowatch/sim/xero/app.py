"""The ASGI app: routes, and the pipeline every request passes (auth, limits, faults, replay)."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from xerowatch.sim.xero import api_routes, document_routes
from xerowatch.sim.xero.api_routes import ApiContext, Handler
from xerowatch.sim.xero.faults import Fault, SimulatedDisconnect
from xerowatch.sim.xero.idempotency import MAX_KEY_LENGTH, Conflict, fingerprint
from xerowatch.sim.xero.identity import OAuthError
from xerowatch.sim.xero.responses import SimBadRequest, SimResponse, problem, text
from xerowatch.sim.xero.simulator import LoggedRequest
from xerowatch.sim.xero.state import iso_naive
from xerowatch.sim.xero.transactions import SOURCE_KINDS

if TYPE_CHECKING:
    from xerowatch.sim.xero.simulator import XeroSim

API_PREFIX = "/api.xro/2.0"
_STATUS_TEXT = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class DroppedConnection(Response):
    """Starts a response, then aborts: uvicorn closes the socket, ASGITransport raises."""

    def __init__(self) -> None:
        super().__init__(status_code=200)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-length", b"1000000")],
            }
        )
        raise SimulatedDisconnect("simulated dropped connection")


Outcome = SimResponse | DroppedConnection


def _basic(header: str | None) -> tuple[str, str] | None:
    scheme, _, value = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, _, secret = base64.b64decode(value.strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return client_id, secret


def _fault_answer(fault: Fault) -> SimResponse:
    headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
    return text(fault.status, _STATUS_TEXT.get(fault.status, "Error"), headers)


class _Pipeline:
    """Runs one request through logging, faults and (for accounting calls) auth, limits, replay."""

    def __init__(self, sim: XeroSim) -> None:
        self.sim = sim

    async def serve(
        self,
        request: Request,
        path: str,
        answer: Callable[[], Awaitable[tuple[Outcome, str | None]]],
    ) -> Response:
        correlation_id = str(uuid.uuid4())
        received_at = self.sim.clock.now()
        tenant_id: str | None = None
        status: int | None = None
        try:
            outcome, tenant_id = await answer()
            if isinstance(outcome, DroppedConnection):
                return outcome
            status = outcome.status
            headers = {**outcome.headers, "Xero-Correlation-Id": correlation_id}
            if path.startswith(API_PREFIX) or path.startswith("/connections"):
                with self.sim.lock:
                    headers.update(self.sim.limits.headers(tenant_id))
            return Response(
                outcome.encoded() if outcome.status != 204 else None,
                status_code=outcome.status,
                headers=headers,
                media_type=outcome.content_type if outcome.body is not None else None,
            )
        finally:
            relative = path[len(API_PREFIX) :] if path.startswith(API_PREFIX) else path
            with self.sim.lock:
                self.sim.requests.append(
                    LoggedRequest(
                        method=request.method,
                        path=relative,
                        query=dict(request.query_params),
                        status=status,
                        tenant_id=tenant_id,
                        at=received_at,
                        idempotency_key=request.headers.get("idempotency-key"),
                        correlation_id=correlation_id,
                    )
                )

    async def faulted(
        self, request: Request, relative: str, run: Callable[[], Awaitable[SimResponse]]
    ) -> Outcome:
        """Apply the first matching fault around `run`."""
        with self.sim.lock:
            fault = self.sim.faults.take(request.method, relative)
        if fault is None:
            return await run()
        if fault.kind == "status":
            return _fault_answer(fault)
        if fault.kind == "drop":
            return DroppedConnection()
        if fault.kind == "slow":
            await self.sim.clock.sleep(fault.delay)
        response = await run()
        if fault.kind == "apply_then_503":
            return text(503, _STATUS_TEXT[503])
        if fault.kind == "apply_then_drop":
            return DroppedConnection()
        return response

    def plain(
        self, run: Callable[[Request], Awaitable[SimResponse]]
    ) -> Callable[[Request], Awaitable[Response]]:
        """An endpoint outside the accounting API (identity, connections): faults, no limits."""

        async def endpoint(request: Request) -> Response:
            path = request.url.path

            async def answer() -> tuple[Outcome, str | None]:
                return await self.faulted(request, path, lambda: run(request)), None

            return await self.serve(request, path, answer)

        return endpoint

    def api(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        """An accounting endpoint: accept check, bearer token, tenant, limits, faults, replay."""

        async def endpoint(request: Request) -> Response:
            path = request.url.path
            relative = path[len(API_PREFIX) :]
            return await self.serve(request, path, lambda: self._api(request, relative, handler))

        return endpoint

    async def _api(
        self, request: Request, relative: str, handler: Handler
    ) -> tuple[Outcome, str | None]:
        sim = self.sim
        if "application/json" not in request.headers.get("accept", ""):
            return text(406, "The simulator answers JSON only: send Accept: application/json"), None
        with sim.lock:
            check = sim.identity.check(request.headers.get("authorization"))
        if check.grant is None:
            return problem(401, check.detail), None
        tenant_id = request.headers.get("xero-tenant-id")
        allowed = check.grant.tenant_ids()
        if tenant_id is None and check.grant.grant_type == "client_credentials" and allowed:
            tenant_id = allowed[0]
        if tenant_id not in allowed or tenant_id not in sim.books:
            return problem(403, "AuthenticationUnsuccessful"), None
        assert tenant_id is not None
        with sim.lock:
            breach = sim.limits.acquire(tenant_id)
        if breach is not None:
            return text(
                429,
                "Rate limit exceeded",
                {"X-Rate-Limit-Problem": breach.problem, "Retry-After": str(breach.retry_after)},
            ), tenant_id
        try:

            async def run() -> SimResponse:
                return await self._run(request, tenant_id, handler)

            return await self.faulted(request, relative, run), tenant_id
        finally:
            with sim.lock:
                sim.limits.release(tenant_id)

    async def _run(self, request: Request, tenant_id: str, handler: Handler) -> SimResponse:
        sim = self.sim
        body = await request.body()
        if len(body) > sim.config.max_body_bytes:
            return text(413, "Request Entity Too Large")
        key = request.headers.get("idempotency-key") if request.method in ("PUT", "POST") else None
        if key is not None and not 0 < len(key) <= MAX_KEY_LENGTH:
            return SimBadRequest(
                f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters."
            ).response()
        url = request.url.path + ("?" + request.url.query if request.url.query else "")
        request_print = fingerprint(request.method, url, body)
        with sim.lock:
            if key is not None:
                cached = sim.idempotency.lookup(tenant_id, key, request_print)
                if isinstance(cached, Conflict):
                    return SimBadRequest(
                        f"The Idempotency-Key {key} is already used with a different request."
                    ).response()
                if cached is not None:
                    return cached
            ctx = ApiContext(
                sim.books[tenant_id],
                request.path_params,
                dict(request.query_params),
                request.headers,
                body,
                sim.now(),
                sim.config,
            )
            try:
                response = handler(ctx)
            except SimBadRequest as exc:
                response = exc.response()
            if key is not None:
                sim.idempotency.store(tenant_id, key, request_print, response)
            return response


def _identity_routes(sim: XeroSim, pipe: _Pipeline) -> list[Route]:
    async def token(request: Request) -> SimResponse:
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        try:
            with sim.lock:
                return SimResponse(
                    200, sim.identity.token(form, _basic(request.headers.get("authorization")))
                )
        except OAuthError as exc:
            return SimResponse(400, {"error": exc.code})

    async def revoke(request: Request) -> SimResponse:
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        try:
            with sim.lock:
                sim.identity.revoke(form, _basic(request.headers.get("authorization")))
        except OAuthError as exc:
            return SimResponse(400, {"error": exc.code})
        return SimResponse(200)

    async def authorize(request: Request) -> SimResponse:
        try:
            with sim.lock:
                location = sim.identity.authorize(dict(request.query_params))
        except OAuthError as exc:
            return text(400, f"Authorization failed: {exc}")
        return SimResponse(302, None, {"Location": location})

    async def connections(request: Request) -> SimResponse:
        with sim.lock:
            check = sim.identity.check(request.headers.get("authorization"))
            if check.grant is None:
                return problem(401, check.detail)
            event = request.query_params.get("authEventId")
            if event is not None and event != check.grant.auth_event_id:
                return SimResponse(200, [])
            return SimResponse(
                200,
                [
                    {
                        "id": c.id,
                        "authEventId": check.grant.auth_event_id,
                        "tenantId": c.tenant_id,
                        "tenantType": "ORGANISATION",
                        "tenantName": sim.books[c.tenant_id].tenant.name,
                        "createdDateUtc": iso_naive(c.created_at),
                        "updatedDateUtc": iso_naive(c.created_at),
                    }
                    for c in check.grant.connections
                    if c.tenant_id in sim.books
                ],
            )

    async def disconnect(request: Request) -> SimResponse:
        with sim.lock:
            check = sim.identity.check(request.headers.get("authorization"))
            if check.grant is None:
                return problem(401, check.detail)
            kept = [c for c in check.grant.connections if c.id != request.path_params["id"]]
            if len(kept) == len(check.grant.connections):
                return text(404, "Connection not found")
            check.grant.connections = kept
        return SimResponse(204)

    return [
        Route("/connect/token", pipe.plain(token), methods=["POST"]),
        Route("/connect/revocation", pipe.plain(revoke), methods=["POST"]),
        Route("/identity/connect/authorize", pipe.plain(authorize), methods=["GET"]),
        Route("/connections", pipe.plain(connections), methods=["GET"]),
        Route("/connections/{id}", pipe.plain(disconnect), methods=["DELETE"]),
    ]


def build_app(sim: XeroSim) -> Starlette:
    """The simulator's ASGI app (one base URL for identity, connections and the API)."""
    pipe = _Pipeline(sim)
    routes = _identity_routes(sim, pipe)
    api = [
        ("/Contacts", "GET", api_routes.list_contacts),
        ("/Contacts", "PUT", api_routes.write_contacts(create_only=True)),
        ("/Contacts", "POST", api_routes.write_contacts(create_only=False)),
        ("/Contacts/{id}", "GET", api_routes.get_contact),
        ("/Contacts/{id}", "POST", api_routes.update_contact),
        ("/Invoices/{id}/OnlineInvoice", "GET", api_routes.online_invoice),
    ]
    api.extend(document_routes.ROUTES)
    for kind in ("Invoices", *SOURCE_KINDS, "Payments"):
        api.append((f"/{kind}", "GET", api_routes.list_transactions(kind)))
        api.append((f"/{kind}/{{id}}", "GET", api_routes.get_transaction(kind)))
    for path, method, handler in api:
        routes.append(Route(API_PREFIX + path, pipe.api(handler), methods=[method]))
    return Starlette(routes=routes)
