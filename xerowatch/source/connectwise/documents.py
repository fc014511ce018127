"""Typed readers for the records behind bills and purchase orders: unposted expenses, unposted
procurement and a purchase order's line items.

Like invoices, these are read from the accounting interface (Finance > Accounting Interface)
filtered by `_info/lastUpdated` and the configured billing location; nothing here posts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

from xerowatch.source.connectwise.accounting import ConnectWiseAccounting, parse_record
from xerowatch.source.connectwise.conditions import Condition, all_of, updated_since
from xerowatch.source.connectwise.models_documents import (
    PurchaseOrderLine,
    UnpostedExpense,
    UnpostedProcurement,
)

UNPOSTED_EXPENSES = "/finance/accounting/unpostedexpenses"
UNPOSTED_PROCUREMENT = "/finance/accounting/unpostedprocurement"


def po_lines_path(purchase_order_id: int) -> str:
    """`/procurement/purchaseorders/{id}/lineitems`."""
    return f"/procurement/purchaseorders/{purchase_order_id}/lineitems"


class ConnectWiseDocumentReader:
    """Reads unposted expenses, unposted procurement and purchase-order lines."""

    def __init__(self, accounting: ConnectWiseAccounting) -> None:
        self._client = accounting.client
        location = accounting.settings.location_id
        self._location = Condition("locationId", "=", location) if location else None

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
