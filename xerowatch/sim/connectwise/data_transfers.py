"""The simulated ConnectWise company's warehouse transfers and how the API renders them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from xerowatch.sim.connectwise.data import cents, stamp


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
