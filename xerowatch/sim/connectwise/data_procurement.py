"""The simulated ConnectWise company's procurement: purchase orders and their line items,
inventory adjustments and warehouse transfers, and how the API renders them as JSON."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from xerowatch.sim.connectwise.data import SimCompany, cents, stamp


@dataclass
class SimPoLine:
    """A purchase-order line item: catalog item, quantity at a unit cost, what was received."""

    id: int
    line_number: int
    product: str
    description: str
    uom: str
    quantity: Decimal
    unit_cost: Decimal
    received: Decimal
    packing_slip: str | None
    date_received: dt.datetime | None
    warehouse: str | None = None

    @property
    def ext_cost(self) -> Decimal:
        """Quantity * unit cost, to the cent (half up), as ConnectWise shows it."""
        return cents(self.quantity * self.unit_cost)

    def json(self, purchase_order_id: int) -> dict[str, Any]:
        """`PurchaseOrderLineItem`."""
        status = "FullyReceived" if self.received >= self.quantity else "Waiting"
        if 0 < self.received < self.quantity:
            status = "PartiallyReceiveCloneRest"
        body: dict[str, Any] = {
            "id": self.id,
            "purchaseOrderId": purchase_order_id,
            "lineNumber": self.line_number,
            "product": {"id": self.id, "identifier": self.product},
            "description": self.description,
            "quantity": float(self.quantity),
            "unitOfMeasure": {"id": 1, "name": self.uom},
            "unitCost": float(self.unit_cost),
            "extCost": float(self.ext_cost),
            "receivedQuantity": float(self.received),
            "receivedStatus": status,
        }
        if self.packing_slip is not None:
            body["packingSlip"] = self.packing_slip
        if self.warehouse is not None:
            body["warehouse"] = {"id": 1, "name": self.warehouse}
        if self.date_received is not None:
            body["dateReceived"] = stamp(self.date_received)
        return body


@dataclass
class SimPurchase:
    """A purchase order waiting in the accounting interface (procurement), with its lines."""

    id: int
    po_number: str
    vendor_id: int
    date: dt.datetime
    total: Decimal
    location_id: int
    updated: dt.datetime
    lines: list[SimPoLine] = field(default_factory=list)
    gl_class: str | None = None
    """The GL class of its lines (sent in the export's purchaseTransactions)."""
    batch: str | None = None
    """The batch that posted it (None: unposted)."""
    po_id: int | None = None
    """The purchase order's id when this record is a later receipt of it (None: its own)."""

    def json(self, vendor: SimCompany) -> dict[str, Any]:
        """`UnpostedProcurement`."""
        return {
            "id": self.id,
            "locationId": self.location_id,
            "procurementType": "Purchase",
            "unpostedProductId": str(self.id),
            "purchaseOrder": {"id": self.po_id or self.id, "identifier": self.po_number},
            "purchaseDate": stamp(self.date),
            "vendor": vendor.ref(),
            "currency": {"id": 1, "currencyCode": "AUD"},
            "total": float(self.total),
            "_info": {"lastUpdated": stamp(self.updated)},
        }


@dataclass
class SimAdjustmentDetail:
    """One catalog item's quantity change in one warehouse, at a unit cost."""

    id: int
    item: str
    warehouse: str
    quantity: Decimal
    unit_cost: Decimal

    def json(self) -> dict[str, Any]:
        """`AdjustmentDetail`."""
        return {
            "id": self.id,
            "catalogItem": {"id": self.id, "identifier": self.item},
            "warehouse": {"id": 1, "name": self.warehouse},
            "quantityAdjusted": float(self.quantity),
            "unitCost": float(self.unit_cost),
        }


@dataclass
class SimAdjustment:
    """An inventory adjustment waiting in the accounting interface (procurement)."""

    id: int
    identifier: str
    date: dt.datetime
    location_id: int
    updated: dt.datetime
    details: list[SimAdjustmentDetail] = field(default_factory=list)
    gl_class: str | None = None
    """Its GL class (sent in the export's adjustmentTransactions)."""
    type_account: str | None = None
    """The GL account of its adjustment type (a write-off, a revaluation), as ConnectWise's GL
    mapping gives it in the export; None: the type has no mapping."""
    batch: str | None = None
    """The batch that posted it (None: unposted)."""

    @property
    def total(self) -> Decimal:
        """The net value adjusted: each detail's quantity x unit cost to the cent (half up)."""
        return sum((cents(d.quantity * d.unit_cost) for d in self.details), Decimal("0.00"))

    def json(self) -> dict[str, Any]:
        """`UnpostedProcurement` of type Adjustment."""
        return {
            "id": self.id,
            "locationId": self.location_id,
            "procurementType": "Adjustment",
            "unpostedProductId": str(self.id),
            "adjustment": {"id": self.id, "identifier": self.identifier},
            "purchaseDate": stamp(self.date),
            "currency": {"id": 1, "currencyCode": "AUD"},
            "total": float(self.total),
            "_info": {"lastUpdated": stamp(self.updated)},
        }


@dataclass
class SimTransferLine:
    """One catalog item moved between the transfer's warehouses, at a unit cost."""

    id: int
    """Its GL entry id in the export (`inventoryTransfers[].id`)."""
    item: str
    quantity: Decimal
    unit_cost: Decimal

    @property
    def total(self) -> Decimal:
        """Quantity x unit cost, to the cent (half up), as ConnectWise shows it."""
        return cents(self.quantity * self.unit_cost)


@dataclass
class SimTransfer:
    """A warehouse transfer waiting in the accounting interface (procurement type Transfer)."""

    id: int
    identifier: str
    date: dt.datetime
    from_warehouse: str
    to_warehouse: str
    location_id: int
    updated: dt.datetime
    gl_class: str | None = None
    lines: list[SimTransferLine] = field(default_factory=list)
    batch: str | None = None

    @property
    def total(self) -> Decimal:
        """The value moved: the lines' totals."""
        return sum((line.total for line in self.lines), Decimal("0.00"))

    def json(self) -> dict[str, Any]:
        """`UnpostedProcurement` of type Transfer."""
        return {
            "id": self.id,
            "locationId": self.location_id,
            "procurementType": "Transfer",
            "description": f"Transfer {self.identifier}: {self.from_warehouse} to "
            f"{self.to_warehouse}",
            "unpostedProductId": str(self.id),
            "purchaseDate": stamp(self.date),
            "currency": {"id": 1, "currencyCode": "AUD"},
            "total": float(self.total),
            "_info": {"lastUpdated": stamp(self.updated)},
        }

    def gl_json(self, xrefs: dict[str, str]) -> list[dict[str, Any]]:
        """`GLExport.inventoryTransfers[]`: a row per item (warehouse xrefs from `xrefs`)."""
        return [
            {
                "id": str(line.id),
                "documentType": "TRANSFER",
                "documentDate": stamp(self.date),
                "glClass": self.gl_class,
                "glTypeId": "IT",
                "transferId": self.id,
                "item": {"id": line.id, "identifier": line.item},
                "quantity": float(line.quantity),
                "cost": float(line.unit_cost),
                "total": float(line.total),
                "warehouse": {"id": 1, "name": self.to_warehouse},
                "transferFromLocationXref": xrefs.get(self.from_warehouse, self.from_warehouse),
                "transferToLocationXref": xrefs.get(self.to_warehouse, self.to_warehouse),
                "locationXref": xrefs.get(self.to_warehouse, self.to_warehouse),
            }
            for line in self.lines
        ]
