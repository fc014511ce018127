"""The issue's scale for expenses and purchase orders: 1,000 expenses and 300 POs read, mapped
to the cent, and the Xero writes they need counted (at most 50 documents a request)."""

from __future__ import annotations

import math
from decimal import Decimal

from xerowatch.sim.connectwise import ConnectWiseSim
from xerowatch.source.connectwise.documents import ConnectWiseDocumentReader
from xerowatch.sync.connectwise_documents import (
    HeldRecord,
    MappedBill,
    MappedCredit,
    MappedPurchaseOrder,
    map_expenses,
    xero_total,
)
from xerowatch.sync.connectwise_purchases import map_packing_slip_bills, map_purchase_order
from xerowatch.xero.batching import plan_batches

from .conftest import MakeAccounting

EXPENSES = 1_000
PURCHASE_ORDERS = 300


async def test_expenses_and_purchase_orders_map_to_the_cent_in_ceil_n_over_50_writes(
    sim: ConnectWiseSim, make_accounting: MakeAccounting
) -> None:
    sim.seed(customers=40, invoices=0, expenses=EXPENSES, purchases=PURCHASE_ORDERS)
    accounting = make_accounting(
        page_size=1000,
        expense_account_codes={"Reimbursable": "493", "NonReimbursable": "494", "Personal": "815"},
        purchase_account_code="300",
    )
    reader = ConnectWiseDocumentReader(accounting)
    settings = accounting.settings
    sim.requests.clear()

    expenses = [e async for page in reader.unposted_expenses(None) for e in page]
    assert len(expenses) == EXPENSES
    out = map_expenses(expenses, settings)
    assert not [h for h in out if isinstance(h, HeldRecord)]
    bills = [b for b in out if isinstance(b, MappedBill)]
    credits = [b for b in out if isinstance(b, MappedCredit)]
    personal = [e for e in expenses if e.classification == "Personal"]
    assert len(credits) == len(personal) > 0 and len(bills) == EXPENSES - len(personal)
    for bill in bills:
        assert xero_total(bill.draft.line_items) == bill.connectwise_total
    for credit in credits:
        assert xero_total(credit.draft.line_items) == credit.connectwise_total
    totals = {
        False: sum((b.connectwise_total for b in bills), Decimal(0)),
        True: sum((c.connectwise_total for c in credits), Decimal(0)),
    }
    for wanted, got in totals.items():
        expected = sum(
            (e.total or Decimal(0) for e in expenses if (e in personal) == wanted), Decimal(0)
        )
        assert got == expected

    purchases = [p async for page in reader.unposted_procurement(None) for p in page]
    assert len(purchases) == PURCHASE_ORDERS
    orders = []
    slip_bills = 0
    for purchase in purchases:
        lines = await reader.purchase_order_lines(purchase.id)
        mapped = map_purchase_order(purchase, lines, settings)
        assert isinstance(mapped, MappedPurchaseOrder), mapped
        assert xero_total(mapped.draft.line_items) == mapped.connectwise_total == purchase.total
        orders.append(mapped)
        slips = map_packing_slip_bills(purchase, lines, settings)
        received = [b for b in slips if isinstance(b, MappedBill)]
        assert len(received) == len(slips), slips
        slip_bills += len(received)
        for slip in received:
            assert xero_total(slip.draft.line_items) == slip.connectwise_total
        if all(ln.received_quantity == ln.quantity for ln in lines):
            assert sum((b.connectwise_total for b in received), Decimal(0)) == purchase.total
    assert slip_bills > PURCHASE_ORDERS // 2  # the seed receives most lines, some in two slips

    # 1,000 expenses fill a page, so a second (empty) page ends the list; 300 purchases fit
    # one page; one line-item read per PO
    paths = [r.path.rsplit("/apis/3.0", 1)[1] for r in sim.requests]
    assert paths.count("/finance/accounting/unpostedexpenses") == 2
    assert paths.count("/finance/accounting/unpostedprocurement") == 1
    assert sum(p.endswith("/lineitems") for p in paths) == PURCHASE_ORDERS
    assert len(paths) == 3 + PURCHASE_ORDERS

    bill_plan = plan_batches([b.draft.to_xero_write() for b in bills], collection="Invoices")
    po_plan = plan_batches([o.draft.to_xero_write() for o in orders], collection="PurchaseOrders")
    assert not bill_plan.oversized and not po_plan.oversized
    assert len(bill_plan.chunks) == math.ceil(len(bills) / 50)
    assert len(po_plan.chunks) == math.ceil(PURCHASE_ORDERS / 50) == 6
