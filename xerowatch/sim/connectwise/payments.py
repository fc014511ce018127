"""Invoice payments in the ConnectWise simulator: `GET/POST /finance/invoices/{id}/payments`.

A payment needs an invoice that exists, a positive amount no larger than the invoice's balance,
and a paymentDate; several payments per invoice are kept (notes §5: whether ConnectWise allows
more than one is unconfirmed — the simulator allows it, as the REST list endpoint suggests).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from xerowatch.sim.connectwise.accounting import Guard, ListAnswer
from xerowatch.sim.connectwise.data import cents
from xerowatch.sim.connectwise.responses import error, problem
from xerowatch.sim.connectwise.seed import SimRecords


@dataclass
class SimPayment:
    """One payment applied to an invoice."""

    id: int
    invoice_id: int
    amount: Decimal
    payment_date: str
    type: str

    def json(self, invoice_total: Decimal, balance: Decimal) -> dict[str, Any]:
        """As ConnectWise's `InvoicePayment`."""
        return {
            "id": self.id,
            "type": self.type,
            "invoice": {"id": self.invoice_id},
            "amount": float(self.amount),
            "paymentDate": self.payment_date,
            "invoiceTotal": float(invoice_total),
            "invoiceBalance": float(balance),
        }


class SimPayments:
    """The payments of every invoice."""

    def __init__(self, records: SimRecords) -> None:
        self.records = records
        self.by_invoice: dict[int, list[SimPayment]] = {}

    def paid(self, invoice_id: int) -> Decimal:
        """What has been paid on an invoice."""
        return sum((p.amount for p in self.by_invoice.get(invoice_id, [])), Decimal("0.00"))

    def routes(self, base: str, guard: Guard, list_answer: ListAnswer) -> list[Route]:
        """The payment routes under `base`."""
        path = f"{base}/finance/invoices/{{id:int}}/payments"
        return [
            Route(path, guard(self._list(list_answer)), methods=["GET"]),
            Route(path, guard(self._create), methods=["POST"]),
        ]

    def _list(self, list_answer: ListAnswer) -> Any:
        async def handler(request: Request) -> Response:
            invoice = self.records.invoices.get(request.path_params["id"])
            if invoice is None:
                return error(404, "NotFound", "Invoice record not found")
            rows = [
                p.json(invoice.total, invoice.total - self.paid(invoice.id))
                for p in self.by_invoice.get(invoice.id, [])
            ]
            return list_answer(request, rows)

        return handler

    async def _create(self, request: Request) -> Response:
        invoice = self.records.invoices.get(request.path_params["id"])
        if invoice is None:
            return error(404, "NotFound", "Invoice record not found")
        body = await request.json()
        if not isinstance(body, dict):
            return error(400, "InvalidObject", "the body must be an object")
        try:
            amount = cents(Decimal(str(body.get("amount"))))
        except InvalidOperation:
            amount = Decimal(0)
        balance = invoice.total - self.paid(invoice.id)
        if amount <= 0 or amount > balance:
            return error(
                400,
                "InvalidObject",
                "amount must be positive and at most the invoice balance",
                problem("InvalidField", f"balance is {balance}", "amount"),
            )
        when = body.get("paymentDate")
        if not isinstance(when, str) or not when:
            return error(
                400,
                "InvalidObject",
                "paymentDate is required",
                problem("InvalidField", "required", "paymentDate"),
            )
        payment = SimPayment(
            self.records.new_id(), invoice.id, amount, when, str(body.get("type") or "P")
        )
        self.by_invoice.setdefault(invoice.id, []).append(payment)
        return JSONResponse(payment.json(invoice.total, balance - amount), status_code=201)
