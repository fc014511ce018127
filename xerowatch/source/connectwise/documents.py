"""Typed readers for the records behind bills, purchase orders and inventory journals: unposted
expenses, unposted procurement, a purchase order's line items and an adjustment's details.

Like invoices, these are read from the accounting interface (Finance > Accounting Interface)
filtered by `_info/lastUpdated` and the configured billing location; nothing here posts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

from xerowatch.source.connectwise.accounting import (
    ConnectWiseAccounting,
    location_condition,
    parse_record,
)
from xerowatch.source.connectwise.conditions import Condition, all_of, updated_since
from xerowatch.source.connectwise.models_documents import (
    AdjustmentDetail,
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

    def __init__(self, accounting: ConnectWiseAccounting) -> None:
        self._client = accounting.client
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
