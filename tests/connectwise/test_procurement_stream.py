"""The procurement streams end to end (purchase orders + packing-slip bills, inventory
adjustments, warehouse transfers), both simulators on loopback, through `run_cycle`."""

from __future__ import annotations

import math
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.connectwise.procurement_world import (
    ADJUSTMENTS,
    PROCUREMENT,
    PURCHASES,
    TRANSFERS,
    open_world,
    procurement_world,
    stored,
)
from tests.connectwise.stream_world import World
from xerowatch.sim.connectwise.data_procurement import SimPoLine, SimPurchase
from xerowatch.store import alerts, document_outbox, history
from xerowatch.store import connectwise_records as records

__all__ = ["procurement_world"]
CENT = Decimal("0.01")


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _bills(purchases: list[SimPurchase]) -> dict[str, Decimal]:
    """ConnectWise's value of each packing slip: "{PO}/{slip}" → received lines' amounts."""
    bills: dict[str, Decimal] = {}
    for purchase in purchases:
        for line in purchase.lines:
            if line.received > 0 and line.packing_slip:
                key = f"{purchase.po_number}/{line.packing_slip}"
                amount = line.ext_cost if line.received == line.quantity else _received(line)
                bills[key] = bills.get(key, Decimal(0)) + amount
    return bills


def _received(line: SimPoLine) -> Decimal:
    return _cents(line.received * line.unit_cost)


def _orders(w: World) -> dict[str, list[Decimal]]:
    """Each Xero purchase order's total (tax-inclusive lines: their sum), by number."""
    totals: dict[str, list[Decimal]] = {}
    for order in stored(w, "PurchaseOrders"):
        total = sum((Decimal(str(ln["LineAmount"])) for ln in order["LineItems"]), Decimal(0))
        totals.setdefault(order["PurchaseOrderNumber"], []).append(total)
    return totals


def _journal_lines(w: World) -> dict[str, list[dict[str, Any]]]:
    return {j["Narration"]: j["JournalLines"] for j in stored(w, "ManualJournals")}


def _adjustment_moves_value(w: World, adjustment_id: int) -> bool:
    per: Counter[str] = Counter()
    for d in w.cw.records.adjustments[adjustment_id].details:
        per[d.warehouse] += int(_cents(d.quantity * d.unit_cost) * 100)
    return any(per.values())


async def test_a_month_of_procurement_reaches_xero_to_the_cent_in_minimum_calls(
    procurement_world: World,
) -> None:
    w = procurement_world
    purchases = list(w.cw.records.purchases.values())
    vendors = {p.vendor_id for p in purchases}
    bills = _bills(purchases)
    journalled = [a for a in w.cw.records.adjustments if _adjustment_moves_value(w, a)]

    summary = await w.cycle()
    assert summary.failures == [], summary.failures
    opened = Counter(a.type for a in await alerts.open_alerts(w.rt.store))
    assert set(opened) <= {"cw_customer_email"}, opened  # seeded "chloé.…@example.com"
    docs = summary.connectwise[w.tenant.tenant_id].documents
    assert {k: (d.read, d.held, d.posted) for k, d in docs.items()} == {
        "purchase": (PURCHASES, 0, PURCHASES),
        "adjustment": (ADJUSTMENTS, 0, ADJUSTMENTS),
        "transfer": (TRANSFERS, 0, TRANSFERS),
    }
    # Xero: the directory read, ceil(n/50) writes per document kind, nothing else
    assert summary.calls == {
        "GET /Contacts": 1,
        "POST /Contacts": math.ceil(len(vendors) / 50),
        "POST /PurchaseOrders": math.ceil(PURCHASES / 50),
        "POST /Invoices": math.ceil(len(bills) / 50),
        # adjustments and transfers share full batches: every stream queues before any sends
        "PUT /ManualJournals": math.ceil((len(journalled) + TRANSFERS) / 50),
    }
    # every purchase order and bill equals ConnectWise to the cent, once each
    assert _orders(w) == {p.po_number: [p.total] for p in purchases}  # once each, to the cent
    xero_bills = {
        i["InvoiceNumber"]: Decimal(str(i["Total"]))
        for i in w.xero_invoices()
        if i["Type"] == "ACCPAY"
    }
    assert xero_bills == bills
    # journals: inventory moves equal ConnectWise's values, each balanced and tracked
    journals = _journal_lines(w)
    assert len(journals) == len(journalled) + TRANSFERS
    for lines in journals.values():
        assert sum(Decimal(str(ln["LineAmount"])) for ln in lines) == 0
        assert all(ln.get("Tracking") for ln in lines)
    for adjustment_id in journalled:
        a = w.cw.records.adjustments[adjustment_id]
        lines = journals[f"ConnectWise inventory adjustment {a.identifier} ({a.id})"]
        stock = sum(Decimal(str(ln["LineAmount"])) for ln in lines if ln["AccountCode"] != "455")
        assert stock == a.total
    for t in w.cw.records.transfers.values():
        lines = journals[f"ConnectWise inventory transfer {t.id}"]
        into = {"Sydney": "630", "Melbourne": "631"}[t.to_warehouse]
        assert sum(Decimal(str(ln["LineAmount"])) for ln in lines if ln["AccountCode"] == into) == (
            t.total
        )
    # posted in ConnectWise, one batch each, after Xero had them
    cw = w.cw.records
    assert [p.id for p in cw.purchases.values() if p.batch is None] == []
    assert [a.id for a in cw.adjustments.values() if a.batch is None] == []
    assert [t.id for t in cw.transfers.values() if t.batch is None] == []
    counts = await records.counts(w.rt.store)
    assert counts == {
        ("purchase", "posted"): PURCHASES,
        ("adjustment", "posted"): ADJUSTMENTS,
        ("transfer", "posted"): TRANSFERS,
        ("customer", "done"): len(vendors),
    }

    again = await w.cycle()  # nothing to read, nothing to write
    assert again.calls == {} and again.failures == []
    assert all(d.read == 0 for d in again.connectwise[w.tenant.tenant_id].documents.values())


async def test_nothing_is_posted_in_connectwise_before_xero_has_it(
    procurement_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash after Xero answered and before the outbox recorded it: nothing posted, no
    duplicate; the next cycle finds the documents in Xero, records them, then posts."""
    w = procurement_world
    real_settle = document_outbox.settle

    class Crash(BaseException):
        pass

    async def crash_on_done(*args: Any, **kwargs: Any) -> None:
        if any(s.state == "done" for s in args[3]):
            raise Crash
        await real_settle(*args, **kwargs)

    monkeypatch.setattr(document_outbox, "settle", crash_on_done)
    with pytest.raises(Crash):
        await w.cycle()
    monkeypatch.undo()
    assert sum(len(totals) for totals in _orders(w).values()) == 50
    assert all(p.batch is None for p in w.cw.records.purchases.values())
    summary = await w.cycle()
    assert summary.failures == []
    orders = _orders(w)
    assert len(orders) == PURCHASES and {len(t) for t in orders.values()} == {1}
    assert len(_journal_lines(w)) == len(stored(w, "ManualJournals"))
    assert all(p.batch is not None for p in w.cw.records.purchases.values())


async def test_a_held_record_alerts_with_its_fix_and_blocks_no_other(
    procurement_world: World,
) -> None:
    w = procurement_world
    bad_po = next(iter(w.cw.records.purchases.values()))
    bad_po.total += Decimal("1.00")  # freight outside the lines, say
    bad_transfer = next(iter(w.cw.records.transfers.values()))
    bad_transfer.to_warehouse = "Perth"
    summary = await w.cycle()
    assert summary.failures == []
    docs = summary.connectwise[w.tenant.tenant_id].documents
    assert (docs["purchase"].held, docs["purchase"].posted) == (1, PURCHASES - 1)
    assert (docs["transfer"].held, docs["transfer"].posted) == (1, TRANSFERS - 1)
    opened = {a.record: a for a in await alerts.open_alerts(w.rt.store)}
    assert opened[f"cw-purchase:{bad_po.id}"].type == "cw_purchase_held"
    assert "freight or tax" in opened[f"cw-purchase:{bad_po.id}"].message
    perth = opened[f"cw-transfer:{bad_transfer.id}"]
    assert perth.type == "cw_transfer_held"
    assert "warehouse_inventory_accounts.Perth" in perth.message
    assert bad_po.batch is None and bad_transfer.batch is None
    assert bad_po.po_number not in _orders(w)


async def test_a_later_receipt_makes_a_later_bill_never_a_duplicate(
    procurement_world: World,
) -> None:
    w = procurement_world
    await w.cycle()
    partly = next(
        p
        for p in w.cw.records.purchases.values()
        if any(0 < ln.received < ln.quantity for ln in p.lines)
    )
    before = {i["InvoiceNumber"] for i in w.xero_invoices()}
    slips = {ln.packing_slip for ln in partly.lines}
    receipt = w.cw.seeder.receive_rest(partly.id, w.extra["clock"].now())
    summary = await w.cycle()
    assert summary.failures == []
    # one new bill for the new packing slip; the PO and earlier bills are not sent again
    assert summary.calls == {"POST /Invoices": 1}
    new = {i["InvoiceNumber"] for i in w.xero_invoices()} - before
    [slip] = {ln.packing_slip for ln in partly.lines} - slips
    assert new == {f"{partly.po_number}/{slip}"}
    numbers = Counter(i["InvoiceNumber"] for i in w.xero_invoices())
    assert set(numbers.values()) == {1}
    assert w.cw.records.purchases[receipt].batch is not None
    assert len(_orders(w)[partly.po_number]) == 1


async def test_a_transfer_within_one_account_is_posted_without_a_journal_and_says_why(
    procurement_world: World,
) -> None:
    w = procurement_world
    transfer = next(iter(w.cw.records.transfers.values()))
    transfer.to_warehouse = transfer.from_warehouse  # bin to bin in one warehouse
    await w.cycle()
    assert f"ConnectWise inventory transfer {transfer.id}" not in _journal_lines(w)
    assert transfer.batch is not None  # posted in ConnectWise all the same
    entries = await history.for_record(w.rt.store, f"cw-transfer:{transfer.id}")
    assert any("same Xero account 630" in e.message for e in entries), entries


async def test_a_write_off_goes_to_the_account_connectwise_maps_its_type_to(
    procurement_world: World,
) -> None:
    w = procurement_world
    write_off, other = [a for a in w.cw.records.adjustments.values() if a.total][:2]
    write_off.type_account = "6150"  # ConnectWise's GL mapping of its adjustment type
    summary = await w.cycle()
    assert summary.failures == []
    journals = _journal_lines(w)
    mine = journals[f"ConnectWise inventory adjustment {write_off.identifier} ({write_off.id})"]
    offset = [ln for ln in mine if ln["AccountCode"] not in ("630", "631")]
    assert [(ln["AccountCode"], Decimal(str(ln["LineAmount"]))) for ln in offset] == [
        ("6150", -write_off.total)
    ]
    theirs = journals[f"ConnectWise inventory adjustment {other.identifier} ({other.id})"]
    assert "455" in {ln["AccountCode"] for ln in theirs}  # no type mapping: the fallback


async def test_r_re_reads_just_the_held_transfer_once_its_cause_is_fixed(
    procurement_world: World,
) -> None:
    from xerowatch.sync.commands import enqueue

    w = procurement_world
    held = next(iter(w.cw.records.transfers.values()))
    target = held.to_warehouse
    held.to_warehouse = "Perth"
    await w.cycle()
    held.to_warehouse = target  # fixed in ConnectWise without touching lastUpdated
    quiet = await w.cycle()
    assert quiet.connectwise[w.tenant.tenant_id].documents["transfer"].posted == 0
    await enqueue(w.rt.store, "retry", {"ref": f"cw-transfer:{held.id}"})
    summary = await w.cycle()
    [answer] = summary.commands
    assert "will be read again" in answer
    docs = summary.connectwise[w.tenant.tenant_id].documents
    assert (docs["transfer"].posted, docs["purchase"].posted) == (1, 0)
    assert held.batch is not None
    assert f"ConnectWise inventory transfer {held.id}" in _journal_lines(w)
    assert not [a for a in await alerts.open_alerts(w.rt.store) if a.type == "cw_transfer_held"]


async def test_with_inventory_on_purchases_reach_their_warehouse_s_account(
    tmp_path: Path,
) -> None:
    seed = {"customers": 0, "invoices": 0, "expenses": 0, "purchases": 20}
    mapping = {**PROCUREMENT, "purchase_to_inventory": True}
    async with open_world(tmp_path, seed, mapping) as w:
        summary = await w.cycle()
        assert summary.failures == []
        accounts = {ln["AccountCode"] for o in stored(w, "PurchaseOrders") for ln in o["LineItems"]}
        assert accounts == {"630", "631"}  # Sydney and Melbourne, never the purchase account
        bills = [i for i in w.xero_invoices() if i["Type"] == "ACCPAY"]
        assert bills and {ln["AccountCode"] for b in bills for ln in b["LineItems"]} <= {
            "630",
            "631",
        }
        assert _orders(w) == {p.po_number: [p.total] for p in w.cw.records.purchases.values()}
