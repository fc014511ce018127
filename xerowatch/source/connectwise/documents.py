"""Typed readers for the records behind bills, purchase orders and inventory journals: unposted
expenses, unposted procurement, a purchase order's line items, an adjustment's details and the
procurement parts of the GL export (GL classes; warehouse transfers).

Like invoices, these are read from the accounting interface (Finance > Accounting Interface)
filtered by `_info/lastUpdated` and the configured billing location; nothing here posts.

Choices (unconfirmed, docs/connectwise.md): ConnectWise's REST API has no transfer endpoint
(notes §6), so a transfer's items come from the GL export's `inventoryTransfers[]`
(`exportProductsFlag`, `includedProductIds` = the records' `unpostedProductId`), tied to its
unposted record by `transferId`; the same export gives the GL class of received PO lines
(`purchaseDetail[].glClass`, else `purchaseClass`) and of adjustments (`glClass`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence

from xerowatch.clock import Clock, SystemClock
from xerowatch.source.connectwise.accounting import (
    EXPORT,
    ConnectWiseAccounting,
    location_condition,
    parse_record,
)
from xerowatch.source.connectwise.conditions import Condition, all_of, updated_since
from xerowatch.source.connectwise.models_documents import (
    AdjustmentDetail,
    GLProcurementExport,
    PurchaseOrderLine,
    UnpostedExpense,
    UnpostedProcurement,
)

UNPOSTED_EXPENSES = "/finance/accounting/unpostedexpenses"
UNPOSTED_PROCUREMENT = "/finance/accounting/unpostedprocurement"


def adjustment_details_path(adjustment_id: int) -> str:
    """`/procurement/adjustments/{id}/details`."""
    return f"/procurement/adjustments/{adjustment_id}/details"


def po_lines_path(purchase_order_id: int) -> str:
    """`/procurement/purchaseorders/{id}/lineitems`."""
    return f"/procurement/purchaseorders/{purchase_order_id}/lineitems"


class ConnectWiseDocumentReader:
    """Reads unposted expenses and procurement, purchase-order lines and adjustment details."""

    def __init__(self, accounting: ConnectWiseAccounting, clock: Clock | None = None) -> None:
        self._client = accounting.client
        self._clock = clock or SystemClock()
        self._locations = accounting.locations
        self._location = location_condition(accounting.locations)

    async def unposted_expenses(
        self, since: dt.datetime | None
    ) -> AsyncIterator[list[UnpostedExpense]]:
        """Unposted expenses of our billing location changed at or after `since`, by page."""
        conditions = all_of([updated_since(since), self._location])
        what = f"GET {UNPOSTED_EXPENSES}"
        async for page in self._client.pages(UNPOSTED_EXPENSES, conditions):
            yield [parse_record(UnpostedExpense, item, what) for item in page]

    async def unposted_procurement(
        self, since: dt.datetime | None, *, kind: str | None = None
    ) -> AsyncIterator[list[UnpostedProcurement]]:
        """Unposted procurement (of one `procurementType` when given) changed since `since`."""
        of_kind = Condition("procurementType", "=", kind) if kind else None
        conditions = all_of([updated_since(since), self._location, of_kind])
        what = f"GET {UNPOSTED_PROCUREMENT}"
        async for page in self._client.pages(UNPOSTED_PROCUREMENT, conditions):
            yield [parse_record(UnpostedProcurement, item, what) for item in page]

    async def purchase_order_lines(self, purchase_order_id: int) -> list[PurchaseOrderLine]:
        """Every line item of one purchase order, in line-id order."""
        path = po_lines_path(purchase_order_id)
        lines: list[PurchaseOrderLine] = []
        async for page in self._client.pages(path):
            lines += [parse_record(PurchaseOrderLine, item, f"GET {path}") for item in page]
        return lines

    async def adjustment_details(self, adjustment_id: int) -> list[AdjustmentDetail]:
        """Every item line of one inventory adjustment, in id order."""
        path = adjustment_details_path(adjustment_id)
        details: list[AdjustmentDetail] = []
        async for page in self._client.pages(path):
            details += [parse_record(AdjustmentDetail, item, f"GET {path}") for item in page]
        return details

    async def export_procurement(
        self, records: Sequence[UnpostedProcurement], *, batch: str
    ) -> GLProcurementExport:
        """The GL export of these procurement records, posting nothing (no batch is created).

        `thruDate` is a day after the later of now and the latest record date (as for invoices,
        ConnectWise leaves out records dated after it, in its server's time zone).
        """
        latest = max([self._clock.now(), *(r.date for r in records if r.date)])
        body: dict[str, object] = {
            "batchIdentifier": batch,
            "thruDate": (latest + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "exportInvoicesFlag": False,
            "exportExpensesFlag": False,
            "exportProductsFlag": True,
            "includedProductIds": [r.unposted_product_id or str(r.id) for r in records],
        }
        if len(self._locations) == 1:  # several: includedProductIds already holds only ours
            body["locationId"] = self._locations[0]
        answer = await self._client.post_json(EXPORT, body)
        return parse_record(GLProcurementExport, answer or {}, f"POST {EXPORT}")
