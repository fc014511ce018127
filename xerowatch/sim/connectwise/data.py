"""The simulated ConnectWise company's records and how the API renders them as JSON."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

CENT = Decimal("0.01")
TAX_RATES = {"GST": Decimal("0.10"), "EXEMPT": Decimal("0")}
LineKind = Literal["product", "time", "agreement", "agreement_credit"]
GL_TYPES: dict[LineKind, str] = {
    "product": "RP",
    "time": "R",
    "agreement": "RA",
    "agreement_credit": "RA",
}


def cents(value: Decimal) -> Decimal:
    """Round half up to the cent, as ConnectWise shows money."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def stamp(value: dt.datetime) -> str:
    """ConnectWise's datetime format: ISO 8601 UTC with Z, whole seconds."""
    return value.astimezone(dt.UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


@dataclass
class SimCompany:
    """A ConnectWise company (customer or vendor)."""

    id: int
    identifier: str
    name: str
    account_number: str | None
    address_line1: str | None
    city: str | None
    state: str | None
    zip: str | None
    phone: str | None
    default_contact_id: int | None
    billing_contact_id: int | None
    updated: dt.datetime
    is_vendor: bool = False

    def json(self) -> dict[str, Any]:
        """`Company` as the API answers it."""

        def ref(contact_id: int | None) -> dict[str, Any] | None:
            return {"id": contact_id} if contact_id else None

        return {
            "id": self.id,
            "identifier": self.identifier,
            "name": self.name,
            "accountNumber": self.account_number,
            "addressLine1": self.address_line1,
            "city": self.city,
            "state": self.state,
            "zip": self.zip,
            "country": {"id": 1, "name": "Australia"},
            "phoneNumber": self.phone,
            "defaultContact": ref(self.default_contact_id),
            "billingContact": ref(self.billing_contact_id),
            "isVendorFlag": self.is_vendor,
            "deletedFlag": False,
            "_info": {"lastUpdated": stamp(self.updated), "dateEntered": stamp(self.updated)},
        }

    def ref(self) -> dict[str, Any]:
        """`{id, identifier, name}`."""
        return {"id": self.id, "identifier": self.identifier, "name": self.name}


@dataclass
class SimContact:
    """A person at a company."""

    id: int
    company_id: int
    first_name: str
    last_name: str
    email: str | None

    def json(self) -> dict[str, Any]:
        """`Contact` as the API answers it."""
        items = (
            [
                {
                    "type": {"id": 1, "name": "Email"},
                    "value": self.email,
                    "defaultFlag": True,
                    "communicationType": "Email",
                }
            ]
            if self.email
            else []
        )
        return {
            "id": self.id,
            "firstName": self.first_name,
            "lastName": self.last_name,
            "company": {"id": self.company_id},
            "communicationItems": items,
        }


@dataclass
class SimLine:
    """One invoice line; its extended total is quantity times price rounded half up to the cent."""

    kind: LineKind
    description: str
    quantity: Decimal
    price: Decimal
    taxable: bool
    account: str
    item: str | None = None
    uom: str | None = None
    time_entry: int | None = None
    gl_class: str | None = None

    @property
    def total(self) -> Decimal:
        """Extended amount (an agreement credit is negative)."""
        return cents(self.quantity * self.price)

    def cost_json(self) -> dict[str, Any]:
        """A product line's cost of sale (70 % of the price a unit) and its GL accounts."""
        if self.kind != "product":
            return {}
        unit = (self.price * Decimal("0.7")).quantize(Decimal("0.0001"))
        return {
            "itemCost": float(unit),
            "cost": float(cents(self.quantity * unit)),
            "costAccountNumber": "5000",
            "inventoryAccountNumber": "1400",
        }


@dataclass
class SimInvoice:
    """An invoice, unposted until a batch takes its GL entries."""

    id: int
    number: str
    company_id: int
    location_id: int
    date: dt.datetime
    due_days: int
    lines: list[SimLine]
    updated: dt.datetime
    gl_entry_ids: list[int] = field(default_factory=list)
    invoice_type: str = "Standard"
    customer_po: str | None = None
    tax_code: str = "GST"
    batch: str | None = None
    closed: bool = True

    @property
    def subtotal(self) -> Decimal:
        """Sum of line totals."""
        return sum((line.total for line in self.lines), Decimal("0"))

    @property
    def tax(self) -> Decimal:
        """Sales tax on the taxable lines' sum, rounded half up once per invoice."""
        taxable = sum((line.total for line in self.lines if line.taxable), Decimal("0"))
        return cents(taxable * TAX_RATES.get(self.tax_code, Decimal("0")))

    @property
    def total(self) -> Decimal:
        """Subtotal plus tax."""
        return self.subtotal + self.tax

    def unposted_json(self, company: SimCompany) -> dict[str, Any]:
        """`UnpostedInvoice`."""
        return {
            "id": self.id,
            "billingLogId": self.id,
            "locationId": self.location_id,
            "company": company.ref(),
            "billToCompany": company.ref(),
            "invoiceNumber": self.number,
            "invoiceDate": stamp(self.date),
            "invoiceType": self.invoice_type,
            "dueDays": self.due_days,
            "dueDate": stamp(self.date + dt.timedelta(days=self.due_days)),
            "currency": {"id": 1, "currencyCode": "AUD"},
            "subTotal": float(self.subtotal),
            "total": float(self.total),
            "hasTime": any(line.kind == "time" for line in self.lines),
            "hasProducts": any(line.kind == "product" for line in self.lines),
            "invoiceTaxableFlag": any(line.taxable for line in self.lines),
            "taxCode": {"id": 1, "name": self.tax_code},
            "salesTaxAmount": float(self.tax),
            "_info": {"lastUpdated": stamp(self.updated), "dateEntered": stamp(self.date)},
        }

    def gl_json(self, company: SimCompany) -> dict[str, Any]:
        """`GLExport.transactions[]`: AR header, credit lines (negative), a sales-tax line."""
        detail: list[dict[str, Any]] = []
        for n, line in enumerate(self.lines):
            detail.append(
                {
                    "id": str(self.gl_entry_ids[n + 1]),
                    "documentDate": stamp(self.date),
                    "glTypeId": GL_TYPES[line.kind],
                    "accountNumber": line.account,
                    "glClass": line.gl_class,
                    "description": line.description,
                    "memo": line.description,
                    "quantity": float(-line.quantity),
                    "total": float(-line.total),
                    "itemPrice": float(line.price),
                    **line.cost_json(),
                    "item": {"id": n + 1, "identifier": line.item} if line.item else None,
                    "unitOfMeasure": {"id": 1, "name": line.uom} if line.uom else None,
                    "timeEntry": line.time_entry,
                    "taxableFlag": line.taxable,
                    "taxCode": self.tax_code,
                }
            )
        if self.tax:
            detail.append(
                {
                    "id": str(self.gl_entry_ids[-1]),
                    "glTypeId": "ST",
                    "accountNumber": "2200",
                    "description": "Sales tax",
                    "quantity": -1.0,
                    "total": float(-self.tax),
                    "taxNote": "AUTOSTAX",
                    "taxCode": self.tax_code,
                }
            )
        return {
            "id": str(self.id),
            "glTypeId": "AR",
            "documentDate": stamp(self.date),
            "documentNumber": self.number,
            "documentType": "INVOICE" if self.invoice_type != "CreditMemo" else "CREDITMEMO",
            "company": company.ref(),
            "accountNumber": "1200",
            "dueDays": self.due_days,
            "dueDate": stamp(self.date + dt.timedelta(days=self.due_days)),
            "purchaseOrder": self.customer_po,
            "glEntryIds": ",".join(str(i) for i in self.gl_entry_ids),
            "currency": "AUD",
            "total": float(self.total),
            "salesTax": float(self.tax),
            "taxCode": self.tax_code,
            "detail": detail,
        }


@dataclass
class SimExpense:
    """An expense entry waiting in the accounting interface."""

    id: int
    member: str
    company_id: int
    date: dt.datetime
    classification: str
    amount: Decimal
    location_id: int
    updated: dt.datetime
    member_id: int = 1
    member_name: str = ""
    batch: str | None = None
    """The batch that posted it (None: unposted)."""

    def _details(self) -> dict[str, Any]:
        """Type, notes, ticket and agreement, derived from the id (no random draw, so seeded
        worlds stay as they were)."""
        kind = ("Mileage", "Meals", "Parking")[self.id % 3]
        details: dict[str, Any] = {
            "expenseType": {"id": 1 + self.id % 3, "name": kind},
            "chargeDescription": f"{kind} on a site visit",
        }
        if self.id % 2:
            details["ticket"] = {"id": 5000 + self.id % 97, "name": "Printer offline"}
        if self.id % 3 == 0:
            details["agreement"] = {"id": 70 + self.id % 5, "name": "Managed Services"}
        return details

    def json(self, company: SimCompany) -> dict[str, Any]:
        """`UnpostedExpense`."""
        return {
            "id": self.id,
            "locationId": self.location_id,
            "company": company.ref(),
            "member": {
                "id": self.member_id,
                "identifier": self.member,
                "name": self.member_name or self.member,
            },
            "dateExpense": stamp(self.date),
            "classification": self.classification,
            **self._details(),
            "currency": {"id": 1, "currencyCode": "AUD"},
            "total": float(self.amount),
            "_info": {"lastUpdated": stamp(self.updated)},
        }


@dataclass
class SimBatch:
    """A created accounting batch: the invoices (or expenses, or procurement) it posted."""

    id: int
    identifier: str
    invoice_ids: list[int]
    created: dt.datetime
    kind: Literal["invoices", "expenses", "products"] = "invoices"

    def json(self) -> dict[str, Any]:
        """`AccountingBatch`."""
        return {
            "id": self.id,
            "batchIdentifier": self.identifier,
            "exportInvoicesFlag": self.kind == "invoices",
            "exportExpensesFlag": self.kind == "expenses",
            "exportProductsFlag": self.kind == "products",
            "closedFlag": False,
            "_info": {"lastUpdated": stamp(self.created)},
        }
