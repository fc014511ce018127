"""ConnectWise → Xero, every stream at issue 13's scale: 500 customers and 5,000 invoices, 1,000
expenses, 300 purchase orders and a month of inventory (adjustments and transfers).

Both simulators in process on a virtual clock at Xero's real limits. The floor of the first
cycle is what creating what ends up in Xero takes at 50 a request: ceil(n/50) per endpoint
(contacts, invoices and bills, purchase orders, manual journals) plus the directory read and the
payments-back read. Totals: sales invoices, expense bills, expense credit notes (Personal
expenses) and purchase orders each equal ConnectWise's to the cent; every journal balances.
Then a no-change cycle.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx

from bench.connectwise import sim_connectwise_settings
from bench.existing_org import cpu_s
from bench.measure import Meter, PhaseResult
from bench.rig import VIRTUAL_WISENET_BASE, VIRTUAL_XERO_BASE, RigOptions, make_sims, rig_settings
from xerowatch.config import SourceSettings
from xerowatch.sim.connectwise import ConnectWiseSim
from xerowatch.sim.xero.document_routes import add_tracking_category
from xerowatch.source.connectwise import ConnectWiseAccounting, ConnectWiseClient
from xerowatch.source.connectwise.source import ConnectWiseSource
from xerowatch.wiring import connect_custom_connection, open_runtime

ENDPOINTS = {
    "Contacts": "POST /Contacts",
    "Invoices": "POST /Invoices",
    "CreditNotes": "PUT /CreditNotes",
    "PurchaseOrders": "POST /PurchaseOrders",
    "ManualJournals": "PUT /ManualJournals",
}
DOCUMENT_KEYS: dict[str, Any] = {
    "expense_account_codes": {"Reimbursable": "493", "NonReimbursable": "429", "Personal": "815"},
    "purchase_account_code": "300",
    "purchase_bills_per_packing_slip": True,
    "warehouse_inventory_accounts": {"Sydney": "630", "Melbourne": "631"},
    "inventory_adjustment_account": "455",
    "class_tracking": {"Hardware": "Division:Hardware", "Networking": "Division:Network"},
}


def _total(records: list[dict[str, Any]]) -> Decimal:
    return sum((Decimal(str(r["Total"])) for r in records), Decimal(0))


def _lines_total(documents: list[dict[str, Any]]) -> Decimal:
    """Tax-inclusive documents as stored (no Total kept): the sum of their line amounts."""
    return sum(
        (Decimal(str(ln["LineAmount"])) for d in documents for ln in d["LineItems"]), Decimal(0)
    )


async def run(
    customers: int, invoices: int, expenses: int, purchases: int, adjustments: int, transfers: int
) -> list[PhaseResult]:
    """Seed every kind, run the first cycle and a no-change one; calls against the floor."""
    name = "connectwise-all"
    options = RigOptions(virtual=True, real_limits=True)
    xero_sim, _unused_wisenet, clock = make_sims(options)
    cw = ConnectWiseSim(clock=clock)
    cw.seed(
        customers=customers,
        invoices=invoices,
        lines=4,
        expenses=expenses,
        purchases=purchases,
        adjustments=adjustments,
        transfers=transfers,
    )
    recs = cw.records
    cw_totals = {
        "sales": sum((i.total for i in recs.invoices.values()), Decimal(0)),
        "expenses": sum(
            (e.amount for e in recs.expenses.values() if e.classification != "Personal"),
            Decimal(0),
        ),
        "expense_credit_notes": sum(
            (e.amount for e in recs.expenses.values() if e.classification == "Personal"),
            Decimal(0),
        ),
        "purchase_orders": sum((p.total for p in recs.purchases.values()), Decimal(0)),
    }
    results: list[PhaseResult] = []
    with TemporaryDirectory(prefix="xerowatch-bench-") as tmp:
        base = rig_settings(
            Path(tmp) / "bench.db", VIRTUAL_XERO_BASE, VIRTUAL_WISENET_BASE, options
        )
        cw_settings = sim_connectwise_settings().model_copy(update=DOCUMENT_KEYS)
        settings = base.model_copy(
            update={"source": SourceSettings(kind="connectwise"), "connectwise": cw_settings}
        )
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=cw.app)) as http:
            client = ConnectWiseClient(settings.connectwise, clock=clock, http=http)
            source = ConnectWiseSource(ConnectWiseAccounting(client, settings.connectwise, clock))
            transport = httpx.ASGITransport(app=xero_sim.app)
            async with open_runtime(
                settings, clock=clock, xero_transport=transport, source=source
            ) as rt:
                [tenant] = await connect_custom_connection(rt)
                tid = tenant.tenant_id
                add_tracking_category(xero_sim, tid, "Division", ["Hardware", "Network"])
                for phase in ("first", "again"):
                    meter = Meter(
                        calls=rt.calls, xero_sim=xero_sim, source_sim=cw, clock=clock, virtual=True
                    )
                    cpu_before = cpu_s()
                    wall_before = time.perf_counter()
                    summary = await rt.engine.run_cycle()
                    cpu = cpu_s() - cpu_before
                    if tid not in summary.connectwise:
                        failed = summary.failures
                        raise RuntimeError(f"the ConnectWise stream did not run: {failed}")
                    stream = summary.connectwise[tid]
                    held = stream.held + sum(d.held for d in stream.documents.values())
                    made = {
                        kind: len(xero_sim.records(tid, kind))
                        if kind in ("Contacts", "Invoices", "CreditNotes")
                        else len(xero_sim.documents(tid, kind))
                        for kind in ENDPOINTS
                    }
                    floor = sum(math.ceil(n / 50) for n in made.values()) + 2  # + 2 reads
                    xero_calls = sum(summary.calls.values())
                    in_xero = xero_sim.records(tid, "Invoices")
                    by_type = Counter(i["Type"] for i in in_xero)
                    sales = [i for i in in_xero if i["Type"] == "ACCREC"]
                    expense_bills = [
                        i for i in in_xero if str(i.get("InvoiceNumber", "")).startswith("EXP-")
                    ]
                    credit_notes = xero_sim.records(tid, "CreditNotes")
                    journals = xero_sim.documents(tid, "ManualJournals")
                    balanced = all(
                        sum(Decimal(str(ln["LineAmount"])) for ln in j["JournalLines"]) == 0
                        for j in journals
                    )
                    details: dict[str, Any] = {
                        "xero_calls": xero_calls,
                        "xero_calls_by_endpoint": dict(sorted(summary.calls.items())),
                        "held": held,
                        "failures": len(summary.failures),
                        "documents_in_xero": {
                            "contacts": made["Contacts"],
                            "sales_invoices": by_type["ACCREC"],
                            "bills": by_type["ACCPAY"],
                            "credit_notes": made["CreditNotes"],
                            "purchase_orders": made["PurchaseOrders"],
                            "manual_journals": made["ManualJournals"],
                        },
                        "posted_in_connectwise": stream.posted
                        + sum(d.posted for d in stream.documents.values()),
                        "cpu_ms_per_record": round(
                            1000 * cpu / max(1, invoices + expenses + purchases), 3
                        ),
                        "wall_s": round(time.perf_counter() - wall_before, 2),
                    }
                    if phase == "first":
                        details |= {
                            "floor": floor,
                            "calls_over_floor": round(xero_calls / floor, 3),
                            "totals_equal_to_the_cent": {
                                "sales": _total(sales) == cw_totals["sales"],
                                "expenses": _total(expense_bills) == cw_totals["expenses"],
                                "expense_credit_notes": _total(credit_notes)
                                == cw_totals["expense_credit_notes"],
                                "purchase_orders": _lines_total(
                                    xero_sim.documents(tid, "PurchaseOrders")
                                )
                                == cw_totals["purchase_orders"],
                                "journals_balanced": balanced,
                            },
                        }
                    results.append(
                        meter.finish(
                            name,
                            f"first cycle: {customers:,} customers, {invoices:,} invoices, "
                            f"{expenses:,} expenses, {purchases} POs, {adjustments} adjustments "
                            f"and {transfers} transfers into an empty organisation"
                            if phase == "first"
                            else "no-change cycle",
                            records=invoices + expenses + purchases + adjustments + transfers,
                            records_label="records",
                            details=details,
                        )
                    )
    return results
