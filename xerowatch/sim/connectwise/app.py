"""`ConnectWiseSim`: a Starlette app answering the ConnectWise Manage endpoints xerowatch uses."""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from xerowatch.clock import Clock, SystemClock
from xerowatch.sim.connectwise.accounting import SimAccounting
from xerowatch.sim.connectwise.data import stamp
from xerowatch.sim.connectwise.listing import ListError, filtered, paged
from xerowatch.sim.connectwise.payments import SimPayments
from xerowatch.sim.connectwise.responses import error
from xerowatch.sim.connectwise.seed import Seeder, SimRecords

SIM_CLIENT_ID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
SERVER_VERSION = "2025.16"


@dataclass(frozen=True)
class SimRequest:
    """One request as the simulator saw it."""

    method: str
    path: str
    query: dict[str, str]
    status: int


@dataclass
class Fault:
    """An answer to give instead of the real one, `times` times, for paths ending in `path`."""

    path: str
    status: int
    retry_after: float | None = None
    times: int = 1


Handler = Callable[[Request], Awaitable[Response]]


class ConnectWiseSim:
    """A simulated ConnectWise Manage site: `.app` is the ASGI app, `.records` its data."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        company_id: str = "xerowatch",
        public_key: str = "sim-public",
        private_key: str = "sim-private",
        client_id: str = SIM_CLIENT_ID,
        codebase: str = "v4_6_release",
        seed: int = 7,
    ) -> None:
        self.clock = clock or SystemClock()
        self.company_id = company_id
        self.client_id = client_id
        self.codebase = codebase
        self._auth = "Basic " + base64.b64encode(
            f"{company_id}+{public_key}:{private_key}".encode()
        ).decode("ascii")
        self.records = SimRecords()
        self.seeder = Seeder(self.records, self.clock.now(), seed)
        self.accounting = SimAccounting(self.records, self.clock)
        self.payments = SimPayments(self.records)
        self.requests: list[SimRequest] = []
        self.faults: list[Fault] = []
        self.link_headers = True
        """False: list answers carry no Link header (clients must page another way)."""
        self.links_drop_conditions = False
        """True: Link URLs leave out `conditions` (clients must put them back)."""
        base = f"/{codebase}/apis/3.0"
        routes = [
            Route("/login/companyinfo/{company}", self._companyinfo, methods=["GET"]),
            Route(f"{base}/system/info", self._guard(self._system_info), methods=["GET"]),
            *self.accounting.routes(base, self._guard, self.list_answer),
            *self.payments.routes(base, self._guard, self.list_answer),
            Route(f"{base}/company/companies", self._guard(self._companies), methods=["GET"]),
            Route(
                f"{base}/company/companies/{{id:int}}",
                self._guard(self._company),
                methods=["GET"],
            ),
            Route(
                f"{base}/company/contacts/{{id:int}}", self._guard(self._contact), methods=["GET"]
            ),
            Route(
                f"{base}/procurement/purchaseorders/{{id:int}}/lineitems",
                self._guard(self._po_lines),
                methods=["GET"],
            ),
            Route(
                f"{base}/procurement/adjustments/{{id:int}}/details",
                self._guard(self._adjustment_details),
                methods=["GET"],
            ),
        ]
        self.app = Starlette(routes=routes)

    def seed(
        self,
        *,
        customers: int = 20,
        invoices: int = 50,
        lines: int = 4,
        expenses: int = 10,
        purchases: int = 5,
        adjustments: int = 0,
        transfers: int = 0,
        locations: Sequence[int] = (1,),
    ) -> list[int]:
        """Generate data; returns the invoice ids. Records take the billing `locations` in
        turn (the k-th invoice, expense or purchase the k-th modulo their number)."""
        self.seeder.locations = tuple(locations)
        customer_ids = self.seeder.customers(customers)
        invoice_ids = self.seeder.invoices(customer_ids, invoices, lines=lines)
        self.seeder.expenses(customer_ids, expenses)
        self.seeder.purchases(self.seeder.vendors(max(1, purchases // 5)), purchases)
        self.seeder.adjustments(adjustments)
        self.seeder.transfers(transfers)
        return invoice_ids

    def fail(
        self, path: str, status: int, *, retry_after: float | None = None, times: int = 1
    ) -> None:
        """Answer the next `times` requests to a path ending in `path` with `status`."""
        self.faults.append(Fault(path, status, retry_after, times))

    def list_answer(self, request: Request, records: list[dict[str, Any]]) -> Response:
        """A list endpoint's answer: conditions, order, one page, Link header."""
        try:
            page, headers = paged(
                request,
                filtered(request, records),
                link_headers=self.link_headers,
                drop_conditions=self.links_drop_conditions,
            )
        except ListError as exc:
            return error(400, "InvalidObject", str(exc))
        return JSONResponse(page, headers=headers)

    def _guard(self, handler: Handler) -> Handler:
        async def guarded(request: Request) -> Response:
            response = await self._answer(request, handler)
            response.headers["api-current-version"] = SERVER_VERSION
            self.requests.append(
                SimRequest(
                    request.method,
                    request.url.path,
                    dict(request.query_params),
                    response.status_code,
                )
            )
            return response

        return guarded

    async def _answer(self, request: Request, handler: Handler) -> Response:
        if request.headers.get("authorization") != self._auth:
            return error(401, "Unauthorized", "Authentication failed: check company and keys")
        if request.headers.get("clientid") != self.client_id:
            return error(400, "InvalidObject", "clientId header is missing or unknown")
        accept = request.headers.get("accept", "")
        if "version=" in accept and "vnd.connectwise.com+json" not in accept:
            return error(415, "UnsupportedMediaType", f"cannot answer {accept}")
        for fault in self.faults:
            if fault.times > 0 and request.url.path.endswith(fault.path):
                fault.times -= 1
                headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after else {}
                answer = error(fault.status, "ConnectWiseApi", f"simulated HTTP {fault.status}")
                answer.headers.update(headers)
                return answer
        if request.method == "POST":
            try:
                json.loads(await request.body() or b"null")
            except ValueError:
                return error(400, "InvalidObject", "the body is not JSON")
        return await handler(request)

    async def _companyinfo(self, request: Request) -> Response:
        if request.path_params["company"].lower() != self.company_id.lower():
            return JSONResponse(None)
        return JSONResponse(
            {
                "CompanyName": self.company_id,
                "Codebase": f"{self.codebase}/",
                "VersionCode": f"v{SERVER_VERSION}",
                "CompanyID": self.company_id,
                "IsCloud": True,
            }
        )

    async def _system_info(self, request: Request) -> Response:
        return JSONResponse(
            {
                "version": f"v{SERVER_VERSION}",
                "isCloud": True,
                "serverTimeZone": "AUS Eastern Standard Time",
                "serverTime": stamp(self.clock.now()),
            }
        )

    async def _companies(self, request: Request) -> Response:
        return self.list_answer(request, [c.json() for c in self.records.companies.values()])

    async def _company(self, request: Request) -> Response:
        company = self.records.companies.get(request.path_params["id"])
        if company is None:
            return error(404, "NotFound", "Company record not found")
        return JSONResponse(company.json())

    async def _contact(self, request: Request) -> Response:
        contact = self.records.contacts.get(request.path_params["id"])
        if contact is None:
            return error(404, "NotFound", "Contact record not found")
        return JSONResponse(contact.json())

    async def _po_lines(self, request: Request) -> Response:
        purchase = self.records.purchases.get(request.path_params["id"])
        if purchase is None:
            return error(404, "NotFound", "Purchase order not found")
        return self.list_answer(request, [line.json(purchase.id) for line in purchase.lines])

    async def _adjustment_details(self, request: Request) -> Response:
        adjustment = self.records.adjustments.get(request.path_params["id"])
        if adjustment is None:
            return error(404, "NotFound", "Adjustment not found")
        return self.list_answer(request, [d.json() for d in adjustment.details])
