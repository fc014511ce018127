"""ConnectWise records behind bills, purchase orders and inventory journals: unposted expenses
and procurement, PO lines, adjustment details, and the procurement parts of the GL export."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum

from pydantic import Field

from xerowatch.source.connectwise.models import CwModel, RecordInfo, Reference


class ExpenseClass(StrEnum):
    """An expense's classification: who paid, and who is owed."""

    REIMBURSABLE = "Reimbursable"
    """Paid by the member; the company owes the member."""
    NON_REIMBURSABLE = "NonReimbursable"
    """Paid by the company (card, account)."""
    PERSONAL = "Personal"
    """A personal charge on a company card; the member owes the company."""


class ProcurementKind(StrEnum):
    """What an unposted procurement record is."""

    PURCHASE = "Purchase"
    ADJUSTMENT = "Adjustment"
    TRANSFER = "Transfer"


class CurrencyRef(CwModel):
    """`{id, currencyCode}`."""

    id: int | None = None
    code: str | None = Field(None, alias="currencyCode")


class UnpostedExpense(CwModel):
    """An expense waiting in Finance > Accounting Interface (`UnpostedExpense`)."""

    id: int
    location_id: int | None = Field(None, alias="locationId")
    company: Reference | None = None
    member: Reference | None = None
    date: dt.datetime | None = Field(None, alias="dateExpense")
    classification: str = ""
    expense_type: Reference | None = Field(None, alias="expenseType")
    charge_description: str = Field("", alias="chargeDescription")
    """The entry's notes as the accounting interface carries them."""
    agreement: Reference | None = None
    ticket: Reference | None = None
    project: Reference | None = None
    currency: CurrencyRef | None = None
    total: Decimal | None = None
    info: RecordInfo | None = Field(None, alias="_info")


class UnpostedProcurement(CwModel):
    """A purchase, adjustment or transfer waiting in the accounting interface."""

    id: int
    location_id: int | None = Field(None, alias="locationId")
    kind: str = Field("", alias="procurementType")
    description: str = ""
    unposted_product_id: str | None = Field(None, alias="unpostedProductId")
    purchase_order: Reference | None = Field(None, alias="purchaseOrder")
    adjustment: Reference | None = None
    date: dt.datetime | None = Field(None, alias="purchaseDate")
    vendor: Reference | None = None
    currency: CurrencyRef | None = None
    total: Decimal | None = None
    info: RecordInfo | None = Field(None, alias="_info")


class ProductRef(CwModel):
    """`{id, identifier}` of a catalog item."""

    id: int | None = None
    identifier: str | None = None


class PurchaseOrderLine(CwModel):
    """A purchase-order line item (`/procurement/purchaseorders/{id}/lineitems`)."""

    id: int
    line_number: int = Field(0, alias="lineNumber")
    product: ProductRef | None = None
    description: str = ""
    quantity: Decimal = Decimal(0)
    unit_of_measure: Reference | None = Field(None, alias="unitOfMeasure")
    unit_cost: Decimal | None = Field(None, alias="unitCost")
    ext_cost: Decimal | None = Field(None, alias="extCost")
    packing_slip: str | None = Field(None, alias="packingSlip")
    warehouse: Reference | None = None
    """The warehouse the line is (to be) received into."""
    received_quantity: Decimal | None = Field(None, alias="receivedQuantity")
    received_status: str | None = Field(None, alias="receivedStatus")
    date_received: dt.datetime | None = Field(None, alias="dateReceived")


class AdjustmentDetail(CwModel):
    """One item's quantity change in one warehouse (`/procurement/adjustments/{id}/details`)."""

    id: int
    catalog_item: Reference | None = Field(None, alias="catalogItem")
    warehouse: Reference | None = None
    quantity: Decimal = Field(Decimal(0), alias="quantityAdjusted")
    unit_cost: Decimal | None = Field(None, alias="unitCost")


class GLPurchaseDetail(CwModel):
    """`purchaseTransactions[].purchaseDetail[]`: one received PO line's GL entry."""

    id: str | int | None = None
    gl_class: str | None = Field(None, alias="glClass")
    line_number: int | None = Field(None, alias="lineNumber")
    item: ProductRef | None = None
    quantity: Decimal | None = None
    total: Decimal | None = None


class GLPurchaseTransaction(CwModel):
    """`GLExport.purchaseTransactions[]`: one PO x packing slip (`id` "PO #…, Packing Slip: …")."""

    id: str | int
    document_number: str = Field("", alias="documentNumber")
    packing_slip: str | None = Field(None, alias="packingSlip")
    purchase_class: str | None = Field(None, alias="purchaseClass")
    detail: tuple[GLPurchaseDetail, ...] = Field((), alias="purchaseDetail")


class GLAdjustmentTransaction(CwModel):
    """`GLExport.adjustmentTransactions[]`: an inventory adjustment's GL header (its class)."""

    id: str | int
    document_date: dt.datetime | None = Field(None, alias="documentDate")
    gl_class: str | None = Field(None, alias="glClass")
    account_number: str | None = Field(None, alias="accountNumber")
    """The GL account ConnectWise maps the adjustment's type to (Inventory: Adjustment Type),
    e.g. a write-off or revaluation account: the journal's other side."""


class GLInventoryTransfer(CwModel):
    """`GLExport.inventoryTransfers[]`: one item moved from one warehouse to another."""

    id: str | int
    transfer_id: int | None = Field(None, alias="transferId")
    document_date: dt.datetime | None = Field(None, alias="documentDate")
    gl_class: str | None = Field(None, alias="glClass")
    item: ProductRef | None = None
    quantity: Decimal = Decimal(0)
    cost: Decimal | None = None
    total: Decimal | None = None
    from_xref: str | None = Field(None, alias="transferFromLocationXref")
    to_xref: str | None = Field(None, alias="transferToLocationXref")


class GLProcurementExport(CwModel):
    """The procurement parts of `POST /finance/accounting/export` (`exportProductsFlag`)."""

    purchases: tuple[GLPurchaseTransaction, ...] = Field((), alias="purchaseTransactions")
    adjustments: tuple[GLAdjustmentTransaction, ...] = Field((), alias="adjustmentTransactions")
    transfers: tuple[GLInventoryTransfer, ...] = Field((), alias="inventoryTransfers")
