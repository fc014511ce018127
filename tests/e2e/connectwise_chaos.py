"""Chaos for the ConnectWise streams: `xerowatch sync --once` SIGKILLed at seeded random moments
(after a random number of Xero + ConnectWise requests), Xero payments made between the runs,
then one run to the end and the invariants checked.

Document kinds are pluggable: a `DocKind` says what the ConnectWise seed makes for it and how
its Xero documents are checked afterwards, so a new stream (expenses, purchase orders,
adjustments …) joins the chaos run by adding one `DocKind` to the plan's `kinds`.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.cli.proc import xerowatch
from tests.e2e.connectwise_world import Served, kill_when, served

Check = Callable[[Served], list[str]]
PAYMENTS_RUN_READS = 3
"""Requests of a run with nothing to import, before payments back posts: the unposted list,
Xero's read of changed invoices, perhaps one read by ID."""


@dataclass(frozen=True)
class DocKind:
    """One ConnectWise document kind in a chaos run."""

    name: str
    seed: Mapping[str, Any]
    """Arguments for `ConnectWiseSim.seed` (e.g. {"invoices": 150}); the rest default to 0."""
    checks: tuple[Check, ...]
    """Run after the last run; each returns the problems it found (empty when all is well)."""


@dataclass(frozen=True)
class ChaosPlan:
    """What one chaos run does; the seed decides every random choice."""

    seed: int
    kinds: tuple[DocKind, ...]
    customers: int = 30
    kills: int = 3
    """Runs of the import killed, each after 1 … `max_requests_before_kill` requests."""
    max_requests_before_kill: int = 150
    payment_kills: int = 2
    """Runs killed once the import is done, after 1 … `payments_between_runs` + 3 requests:
    among payments back's reads and posts."""
    payments_between_runs: int = 8
    """Xero payments added before each killed run (partial, full, several on one invoice)."""


@dataclass
class ChaosResult:
    """What happened, for the assertion message."""

    seed: int
    plan_payments: int
    kills: int = 0
    kill_points: list[int] = field(default_factory=list)
    payments_made: int = 0
    final_exit: int | None = None
    problems: list[str] = field(default_factory=list)

    def report(self) -> str:
        """One paragraph naming the seed, so a failure can be replayed."""
        return (
            f"chaos seed {self.seed}: {self.kills} kills after {self.kill_points} requests, "
            f"{self.payments_made} Xero payments, last exit {self.final_exit}; problems: "
            + ("; ".join(self.problems) or "none")
        )


def run_chaos(plan: ChaosPlan, tmp_path: Path) -> ChaosResult:
    """Seed, kill `plan.kills` runs at random moments, run to the end, check everything."""
    rng = random.Random(plan.seed)
    result = ChaosResult(plan.seed, plan.payments_between_runs)
    seed: dict[str, Any] = {"customers": plan.customers, "invoices": 0, "expenses": 0}
    seed["purchases"] = 0
    for kind in plan.kinds:
        seed.update(kind.seed)
    with served(tmp_path, seed=seed) as world:
        watch = _never_posted_before_xero(world, result)
        # the import, killed at random moments, paying what Xero has between runs
        _killed_runs(world, rng, plan.kills, plan.max_requests_before_kill, watch, result)
        _run_to_the_end(world, result)
        # payments back, killed at random moments among its few requests
        most = plan.payments_between_runs + PAYMENTS_RUN_READS
        _killed_runs(world, rng, plan.payment_kills, most, watch, result)
        result.payments_made += _pay_some(world, rng, plan.payments_between_runs)
        _run_to_the_end(world, result)
        watch()
        result.problems += no_duplicate_contacts(world)
        for kind in plan.kinds:
            for check in kind.checks:
                result.problems += check(world)
    return result


def _killed_runs(
    world: Served,
    rng: random.Random,
    runs: int,
    most: int,
    watch: Callable[[], None],
    result: ChaosResult,
) -> None:
    """`runs` runs of `sync --once`, each SIGKILLed after 1 … `most` requests; pay between."""
    for _ in range(runs):
        result.payments_made += _pay_some(world, rng, result.plan_payments)
        after = rng.randint(1, most)
        if kill_when(world, _after_requests(world, after), watch=watch):
            result.kills += 1
            result.kill_points.append(after)


def _after_requests(world: Served, count: int) -> Callable[[], bool]:
    """True once the simulators have answered `count` more requests than now."""
    stop_at = world.requests() + count
    return lambda: world.requests() >= stop_at


def _run_to_the_end(world: Served, result: ChaosResult) -> None:
    """One `sync --once` that must finish cleanly."""
    done = xerowatch("sync", "--once", config=world.config, timeout=180)
    result.final_exit = done.returncode
    if done.returncode not in (0, 4) or "Traceback" in done.stderr:
        result.problems.append(f"a run exited {done.returncode}: {done.stderr[-500:]}")


def _never_posted_before_xero(world: Served, result: ChaosResult) -> Callable[[], None]:
    """A check for every poll: whatever ConnectWise has posted, Xero already has."""
    numbers = {i.id: i.number for i in world.cw.records.invoices.values()}
    last = [0]

    def watch() -> None:
        posted = set(world.cw.accounting.posted_ids())
        if len(posted) == last[0]:
            return
        last[0] = len(posted)
        in_xero = {i["InvoiceNumber"] for i in world.xero.records(world.tenant_id, "Invoices")}
        early = sorted(numbers[i] for i in posted if numbers.get(i) not in in_xero)
        if early:
            result.problems.append(f"posted in ConnectWise before Xero had them: {early[:5]}")

    return watch


def _pay_some(world: Served, rng: random.Random, count: int) -> int:
    """Pay up to `count` open Xero sales invoices: in full, in part, or twice in part."""
    open_ones = [
        i
        for i in world.xero.records(world.tenant_id, "Invoices")
        if i["Type"] == "ACCREC" and i["Status"] == "AUTHORISED" and i["AmountDue"] > 0
    ]
    made = 0
    for invoice in rng.sample(open_ones, min(count, len(open_ones))):
        due = Decimal(str(invoice["AmountDue"]))
        style = rng.choice(("full", "part", "two parts"))
        if style == "full" or due < Decimal("0.02"):
            amounts = [due]
        else:
            part = (due * Decimal(rng.randint(10, 60)) / 100).quantize(Decimal("0.01"))
            amounts = [max(part, Decimal("0.01"))]
            if style == "two parts":
                amounts.append(max(part // 2, Decimal("0.01")))
        for amount in amounts:
            world.xero.add_payment(world.tenant_id, invoice["InvoiceID"], amount)
            made += 1
    return made


def no_duplicate_contacts(world: Served) -> list[str]:
    """No ContactNumber and no Name twice among Xero's contacts."""
    contacts = world.xero.contacts(world.tenant_id)
    problems = []
    for key in ("ContactNumber", "Name"):
        counted = Counter(str(c.get(key)) for c in contacts)
        twice = sorted(k for k, n in counted.items() if n > 1)
        if twice:
            problems.append(f"{key} twice in Xero: {twice[:5]}")
    return problems


def invoices_once_with_connectwise_totals(world: Served) -> list[str]:
    """Every ConnectWise invoice in Xero exactly once, with ConnectWise's total, and posted."""
    in_xero = [i for i in world.xero.records(world.tenant_id, "Invoices") if i["Type"] == "ACCREC"]
    counted = Counter(i["InvoiceNumber"] for i in in_xero)
    totals = {i["InvoiceNumber"]: Decimal(str(i["Total"])) for i in in_xero}
    seeded = list(world.cw.records.invoices.values())
    problems = []
    twice = sorted(n for n, k in counted.items() if k > 1)
    missing = sorted(i.number for i in seeded if i.number not in counted)
    wrong = sorted(i.number for i in seeded if i.number in totals and totals[i.number] != i.total)
    unposted = set(world.cw.records.invoices) - set(world.cw.accounting.posted_ids())
    for label, found in (
        ("invoices twice in Xero", twice),
        ("invoices missing from Xero", missing),
        ("Xero totals not ConnectWise's", wrong),
        ("invoices never posted in ConnectWise", sorted(unposted)),
    ):
        if found:
            problems.append(f"{label}: {found[:5]}")
    return problems


def payments_posted_back_once(world: Served) -> list[str]:
    """Every standing Xero payment on a synced invoice is in ConnectWise exactly once."""
    by_number = {i.number: i.id for i in world.cw.records.invoices.values()}
    problems = []
    for invoice in world.xero.records(world.tenant_id, "Invoices"):
        cw_id = by_number.get(invoice["InvoiceNumber"])
        if cw_id is None:
            continue
        xero_paid = sorted(_amount(p) for p in invoice.get("Payments") or [])
        cw_paid = sorted(p.amount for p in world.cw.payments.by_invoice.get(cw_id, []))
        if xero_paid != cw_paid:
            problems.append(
                f"invoice {invoice['InvoiceNumber']}: Xero payments {xero_paid}, "
                f"ConnectWise {cw_paid}"
            )
    return problems


def _amount(payment: Mapping[str, Any]) -> Decimal:
    return Decimal(str(payment["Amount"])).quantize(Decimal("0.01"))


INVOICES = DocKind(
    "invoices",
    {"invoices": 150, "lines": 4},
    (invoices_once_with_connectwise_totals, payments_posted_back_once),
)
"""The customer + invoice stream and payments back."""


def documents_once_and_posted(world: Served) -> list[str]:
    """Every bill, purchase order and journal in Xero once; every record that maps to one is
    posted in ConnectWise (Personal expenses stay held: the demo config has no account)."""
    tid = world.tenant_id
    bills = Counter(
        (i["Contact"]["ContactID"], i["InvoiceNumber"])
        for i in world.xero.records(tid, "Invoices")
        if i["Type"] == "ACCPAY"
    )
    orders = Counter(o["PurchaseOrderNumber"] for o in world.xero.documents(tid, "PurchaseOrders"))
    journals = Counter(j["Narration"] for j in world.xero.documents(tid, "ManualJournals"))
    records = world.cw.records
    problems = []
    if not (bills and orders and journals):
        problems.append(
            f"documents missing: {len(bills)} bills, {len(orders)} POs, {len(journals)}"
        )
    for label, counted in (("bills", bills), ("purchase orders", orders), ("journals", journals)):
        twice = sorted(str(k) for k, n in counted.items() if n > 1)
        if twice:
            problems.append(f"{label} twice in Xero: {twice[:5]}")
    if sorted(orders) != sorted(p.po_number for p in records.purchases.values()):
        problems.append("purchase orders in Xero are not ConnectWise's")
    unposted = [
        *(
            f"expense {e.id}"
            for e in records.expenses.values()
            if e.batch is None and e.classification != "Personal"
        ),
        *(f"purchase {p.id}" for p in records.purchases.values() if p.batch is None),
        *(f"adjustment {a.id}" for a in records.adjustments.values() if a.batch is None),
        *(f"transfer {t.id}" for t in records.transfers.values() if t.batch is None),
    ]
    if unposted:
        problems.append(f"never posted in ConnectWise: {unposted[:5]}")
    return problems


DOCUMENTS = DocKind(
    "documents",
    {"expenses": 120, "purchases": 40, "adjustments": 10, "transfers": 10},
    (documents_once_and_posted,),
)
"""The expense and procurement streams (bills, purchase orders, journals) and their contacts."""
