"""The procurement parts of the simulator's GL export (`exportProductsFlag`): received PO
lines per packing slip, adjustment headers and warehouse transfers, with their GL classes."""

from __future__ import annotations

from typing import Any

from xerowatch.sim.connectwise.data import cents
from xerowatch.sim.connectwise.data_procurement import SimAdjustment, SimPurchase
from xerowatch.sim.connectwise.seed import SimRecords

PARTS = ("purchaseTransactions", "adjustmentTransactions", "inventoryTransfers")


def _purchase(purchase: SimPurchase) -> list[dict[str, Any]]:
    """One `purchaseTransactions[]` entry per packing slip of the PO's received lines."""
    slips: dict[str, list[dict[str, Any]]] = {}
    for line in purchase.lines:
        if line.received <= 0 or line.packing_slip is None:
            continue  # nothing received: no GL entry yet
        slips.setdefault(line.packing_slip, []).append(
            {
                "id": str(line.id),
                "glClass": purchase.gl_class,
                "glTypeId": "P",
                "lineNumber": line.line_number,
                "item": {"id": line.id, "identifier": line.product},
                "quantity": float(line.received),
                "cost": float(line.unit_cost),
                "total": float(cents(line.received * line.unit_cost)),
            }
        )
    return [
        {
            "id": f"PO #{purchase.po_number}, Packing Slip: {slip}",
            "documentNumber": purchase.po_number,
            "packingSlip": slip,
            "purchaseClass": purchase.gl_class,
            "purchaseDetail": detail,
        }
        for slip, detail in slips.items()
    ]


def _adjustment(adjustment: SimAdjustment) -> dict[str, Any]:
    return {
        "id": str(adjustment.id),
        "documentType": "ADJUSTMENT",
        "glClass": adjustment.gl_class,
        "accountNumber": adjustment.type_account,
        "adjustmentDescription": adjustment.identifier,
    }


def procurement_parts(
    records: SimRecords, included: set[str], excluded: set[str], location: object
) -> dict[str, list[dict[str, Any]]]:
    """The export's procurement parts for the unposted records chosen by unpostedProductId."""

    def chosen(record_id: int, location_id: int) -> bool:
        key = str(record_id)
        return (
            (not included or key in included)
            and key not in excluded
            and (not location or location_id == location)
        )

    parts: dict[str, list[dict[str, Any]]] = {name: [] for name in PARTS}
    for purchase in records.purchases.values():
        if purchase.batch is None and chosen(purchase.id, purchase.location_id):
            parts["purchaseTransactions"] += _purchase(purchase)
    for adjustment in records.adjustments.values():
        if adjustment.batch is None and chosen(adjustment.id, adjustment.location_id):
            parts["adjustmentTransactions"].append(_adjustment(adjustment))
    for transfer in records.transfers.values():
        if transfer.batch is None and chosen(transfer.id, transfer.location_id):
            parts["inventoryTransfers"] += transfer.gl_json(records.warehouse_xrefs)
    return parts
