"""The simulator's Finance > Accounting Interface: unposted lists, export, batches."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from xerowatch.clock import Clock
from xerowatch.sim.connectwise.conditions import ConditionSyntaxError, parse_conditions
from xerowatch.sim.connectwise.data import (
    SimAdjustment,
    SimBatch,
    SimExpense,
    SimInvoice,
    SimPurchase,
)
from xerowatch.sim.connectwise.responses import error, problem
from xerowatch.sim.connectwise.seed import SimRecords

Guard = Callable[[Callable[[Request], Any]], Any]
ListAnswer = Callable[[Request, list[dict[str, Any]]], Response]
BATCH_ID_MAX = 50


def _when(text: object) -> dt.datetime | None:
    if not isinstance(text, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


class SimAccounting:
    """Unposted invoices, expenses and procurement; export; one batch posts what it lists."""

    def __init__(self, records: SimRecords, clock: Clock) -> None:
        self.records = records
        self.clock = clock
        self.exports = 0
        """Export calls answered (an export posts nothing)."""

    def unposted(self) -> list[SimInvoice]:
        """Invoices no batch has taken yet."""
        return [i for i in self.records.invoices.values() if i.batch is None and i.closed]

    def posted_ids(self) -> set[int]:
        """Ids of invoices a batch has taken."""
        return {i.id for i in self.records.invoices.values() if i.batch is not None}

    def routes(self, base: str, guard: Guard, list_answer: ListAnswer) -> list[Route]:
        """The accounting-interface routes under `base`."""
        acc = f"{base}/finance/accounting"

        def listing(rows: Callable[[], list[dict[str, Any]]]) -> Any:
            async def handler(request: Request) -> Response:
                return list_answer(request, rows())

            return handler

        def counting(rows: Callable[[], list[dict[str, Any]]]) -> Any:
            async def handler(request: Request) -> Response:
                try:
                    predicate = parse_conditions(request.query_params.get("conditions", ""))
                except ConditionSyntaxError as exc:
                    return error(400, "InvalidObject", f"conditions: {exc}")
                return JSONResponse({"count": sum(1 for r in rows() if predicate(r))})

            return handler

        lists: dict[str, Callable[[], list[dict[str, Any]]]] = {
            "unpostedinvoices": self._invoice_rows,
            "unpostedexpenses": self._expense_rows,
            "unpostedprocurement": self._purchase_rows,
            "batches": lambda: [b.json() for b in self.records.batches.values()],
        }
        routes = []
        for name, rows in lists.items():
            routes.append(Route(f"{acc}/{name}/count", guard(counting(rows)), methods=["GET"]))
            methods = ["GET", "POST"] if name == "batches" else ["GET"]
            routes.append(
                Route(f"{acc}/{name}", guard(self._dispatch(listing(rows))), methods=methods)
            )
        routes.append(Route(f"{acc}/export", guard(self._export), methods=["POST"]))
        return routes

    def _dispatch(self, get: Any) -> Any:
        async def handler(request: Request) -> Response:
            if request.method == "POST":
                return await self._create_batch(request)
            result: Response = await get(request)
            return result

        return handler

    def _invoice_rows(self) -> list[dict[str, Any]]:
        companies = self.records.companies
        return [i.unposted_json(companies[i.company_id]) for i in self.unposted()]

    def _expense_rows(self) -> list[dict[str, Any]]:
        companies = self.records.companies
        return [
            e.json(companies[e.company_id])
            for e in self.records.expenses.values()
            if e.batch is None
        ]

    def _purchase_rows(self) -> list[dict[str, Any]]:
        companies = self.records.companies
        purchases = [
            p.json(companies[p.vendor_id])
            for p in self.records.purchases.values()
            if p.batch is None
        ]
        adjustments = [a.json() for a in self.records.adjustments.values() if a.batch is None]
        return sorted(purchases + adjustments, key=lambda row: int(row["id"]))

    def _export_body(self, invoices: list[SimInvoice]) -> dict[str, Any]:
        companies = self.records.companies
        customers = {i.company_id for i in invoices}
        return {
            "exportSettings": {},
            "vendors": [],
            "customers": [
                {
                    "company": companies[c].ref(),
                    "accountNumber": companies[c].account_number,
                    "billingTerms": "Net 30",
                    "dueDays": 30,
                    "taxCode": "GST",
                    "currency": "AUD",
                }
                for c in sorted(customers)
            ],
            "transactions": [i.gl_json(companies[i.company_id]) for i in invoices],
            "expenses": [],
            "expenseBills": [],
            "purchaseTransactions": [],
            "adjustmentTransactions": [],
            "inventoryTransfers": [],
        }

    async def _export(self, request: Request) -> Response:
        body = await request.json()
        if not isinstance(body, dict):
            return error(400, "InvalidObject", "the body must be an object")
        if not any(
            body.get(k) for k in ("exportInvoicesFlag", "exportExpensesFlag", "exportProductsFlag")
        ):
            return error(
                400, "InvalidObject", "Batch export must include invoices, expenses, or products"
            )
        if len(str(body.get("batchIdentifier") or "")) > BATCH_ID_MAX:
            return error(
                400,
                "InvalidObject",
                "batchIdentifier is too long",
                problem("InvalidField", "max 50 characters", "batchIdentifier"),
            )
        self.exports += 1
        wanted = set(body.get("includedInvoiceIds") or [])
        unwanted = set(body.get("excludedInvoiceIds") or [])
        thru = _when(body.get("thruDate")) or self.clock.now()
        location = body.get("locationId")
        chosen = [
            i
            for i in self.unposted()
            if (not wanted or i.id in wanted)
            and i.id not in unwanted
            and i.date <= thru
            and (not location or i.location_id == location)
        ]
        return JSONResponse(self._export_body(chosen if body.get("exportInvoicesFlag") else []))

    async def _create_batch(self, request: Request) -> Response:
        body = await request.json()
        if not isinstance(body, dict):
            return error(400, "InvalidObject", "the body must be an object")
        identifier = str(body.get("batchIdentifier") or "")
        ids = body.get("processedRecordIds")
        if not identifier or len(identifier) > BATCH_ID_MAX:
            return error(
                400,
                "InvalidObject",
                "batchIdentifier is required (max 50)",
                problem("InvalidField", "required", "batchIdentifier"),
            )
        if not isinstance(ids, list) or not ids:
            return error(
                400,
                "InvalidObject",
                "processedRecordIds is required",
                problem("InvalidField", "required", "processedRecordIds"),
            )
        if any(b.identifier == identifier for b in self.records.batches.values()):
            return error(
                400,
                "InvalidObject",
                "A batch with this identifier already exists",
                problem(
                    "ObjectExists",
                    "batchIdentifier already exists",
                    "batchIdentifier",
                    "accountingBatch",
                ),
            )
        flags = [
            name
            for name, flag in (
                ("invoices", "exportInvoicesFlag"),
                ("expenses", "exportExpensesFlag"),
                ("products", "exportProductsFlag"),
            )
            if body.get(flag) is True
        ]
        if len(flags) != 1:
            return error(
                400,
                "InvalidObject",
                "a batch posts one of invoices, expenses or products",
                problem("InvalidField", "exactly one export flag", "exportInvoicesFlag"),
            )
        wanted = {int(i) for i in ids if str(i).isdigit()}
        if flags[0] != "invoices":
            return self._record_batch(identifier, flags[0], wanted)
        by_header = {i.gl_entry_ids[0]: i for i in self.records.invoices.values()}
        taken = [by_header[e] for e in sorted(wanted) if e in by_header]
        everything = {e for i in taken for e in i.gl_entry_ids}
        if not taken or wanted - everything:
            return error(
                400,
                "InvalidObject",
                "processedRecordIds names GL entries that do not exist",
                problem("InvalidField", "unknown GL entry", "processedRecordIds"),
            )
        if any(i.batch is not None for i in taken):
            return error(
                400,
                "InvalidObject",
                "a GL entry is already in a batch",
                problem("InvalidField", "already batched", "processedRecordIds"),
            )
        batch = SimBatch(self.records.new_id(), identifier, [i.id for i in taken], self.clock.now())
        self.records.batches[batch.id] = batch
        for invoice in taken:
            invoice.batch = identifier
        return JSONResponse(self._export_body(taken))

    def _record_batch(self, identifier: str, kind: str, wanted: set[int]) -> Response:
        """Post expenses or procurement records: `processedRecordIds` are their unposted ids."""
        pool: dict[int, SimExpense | SimPurchase | SimAdjustment]
        if kind == "expenses":
            pool = dict(self.records.expenses)
        else:
            pool = {**self.records.purchases, **self.records.adjustments}
        taken = [pool[i] for i in sorted(wanted) if i in pool]
        if not taken or len(taken) != len(wanted):
            return error(
                400,
                "InvalidObject",
                f"processedRecordIds names {kind} records that do not exist",
                problem("InvalidField", "unknown record", "processedRecordIds"),
            )
        if any(r.batch is not None for r in taken):
            return error(
                400,
                "InvalidObject",
                "a record is already in a batch",
                problem("InvalidField", "already batched", "processedRecordIds"),
            )
        batch = SimBatch(
            self.records.new_id(),
            identifier,
            [r.id for r in taken],
            self.clock.now(),
            "expenses" if kind == "expenses" else "products",
        )
        self.records.batches[batch.id] = batch
        for record in taken:
            record.batch = identifier
        return JSONResponse(self._export_body([]))
