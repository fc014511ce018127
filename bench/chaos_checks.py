"""The invariants a chaos run must keep, read from both simulators and the daemon's store."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xerowatch.config import load_settings
from xerowatch.sim.wisenet import WisenetSim
from xerowatch.sim.xero import XeroSim
from xerowatch.store import jobs
from xerowatch.store.tenants import get_tenant
from xerowatch.sync.housekeeping import check_stranded
from xerowatch.sync.writeback import BATCH as WRITEBACK_BATCH
from xerowatch.wiring import open_runtime
from xerowatch.xero.paging import CONTACTS
from xerowatch.xero.transport import TenantRef

if TYPE_CHECKING:
    from bench.chaos import ChaosResult

SYNCED_STATUSES = frozenset({"AUTHORISED", "PAID", "VOIDED", "DELETED"})


@dataclass
class ChaosWorld:
    """The simulators and the daemon's config of one chaos run."""

    xero: XeroSim
    wisenet: WisenetSim
    tenant_id: str
    config: Path

    def eligible(self) -> dict[str, int]:
        """RefInternal → Wisenet LearnerId of every learner ticked Sync to Xero."""
        return {
            record["Personal"]["LearnerNumber"]: int(record["LearnerId"])
            for region in list(self.wisenet.data.learners.values())
            for record in list(region.values())
            if record["Personal"].get("SyncToXero")
        }

    def learner_contacts(self) -> list[dict[str, Any]]:
        """Active Xero contacts whose Contact Code is an eligible learner's number."""
        refs = self.eligible()
        return [
            c
            for c in self.xero.contacts(self.tenant_id)
            if c.get("ContactStatus") == "ACTIVE" and c.get("ContactNumber") in refs
        ]

    def expected_writes(self) -> dict[str, tuple[int, float]]:
        """InvoiceID → (LearnerId, Total) of every invoice a learner's contact has in Xero."""
        refs = self.eligible()
        owner = {c["ContactID"]: refs[c["ContactNumber"]] for c in self.learner_contacts()}
        expected: dict[str, tuple[int, float]] = {}
        for invoice in self.xero.records(self.tenant_id, "Invoices"):
            contact_id = invoice["Contact"]["ContactID"]
            if (
                contact_id in owner
                and invoice["Type"] == "ACCREC"
                and invoice["Status"] in SYNCED_STATUSES
            ):
                expected[invoice["InvoiceID"]] = (owner[contact_id], float(invoice["Total"]))
        return expected


def converged(world: ChaosWorld) -> bool:
    """Every eligible learner has its contact and every invoice of theirs is in Wisenet."""
    if len(world.learner_contacts()) < len(world.eligible()):
        return False
    written = world.wisenet.data.invoices
    return all(invoice_id in written for invoice_id in world.expected_writes())


def check_invariants(world: ChaosWorld, result: ChaosResult, *, injected_429: int) -> None:
    """Fill in `result`'s checked figures and append every broken invariant to its problems."""
    problems = result.problems
    active = [c for c in world.xero.contacts(world.tenant_id) if c["ContactStatus"] == "ACTIVE"]
    numbers = Counter(c["ContactNumber"] for c in active if c.get("ContactNumber"))
    names = Counter(c["Name"].casefold() for c in active)
    result.duplicate_contacts = sum(n - 1 for n in numbers.values()) + sum(
        n - 1 for n in names.values()
    )
    if result.duplicate_contacts:
        dupes = [k for k, n in (numbers + names).items() if n > 1]
        problems.append(f"duplicate active contacts: {', '.join(sorted(dupes)[:5])}")

    eligible = world.eligible()
    result.learners_eligible = len(eligible)
    missing = sorted(set(eligible) - set(numbers))
    result.contacts_checked = len(active)
    if missing:
        problems.append(f"{len(missing)} eligible learners have no contact: {missing[:5]}")

    expected = world.expected_writes()
    result.transactions_checked = len(expected)
    written = world.wisenet.data.invoices
    lost = [i for i in expected if i not in written]
    wrong = [
        i
        for i, (learner_id, total) in expected.items()
        if i in written
        and (written[i]["LearnerId"] != learner_id or float(written[i]["AmountTotal"]) != total)
    ]
    result.lost = len(missing) + len(lost)
    if lost:
        problems.append(f"{len(lost)} transactions never written back: {lost[:3]}")
    if wrong:
        problems.append(f"{len(wrong)} transactions written back wrong: {wrong[:3]}")

    last: dict[str, dict[str, Any]] = {}
    for invoice_id, body in world.wisenet.invoice_writes:
        if last.get(invoice_id) == body:
            result.duplicate_writes += 1
        last[invoice_id] = body
    # A SIGKILL after Wisenet answered part of a write-back batch and before the batch's results
    # were committed replays those (idempotent) PUTs: at most one batch per kill.
    if result.duplicate_writes > result.kills * WRITEBACK_BATCH:
        problems.append(
            f"{result.duplicate_writes} write-backs repeated unchanged, more than the "
            f"{result.kills} kills can explain (one batch of {WRITEBACK_BATCH} each)"
        )

    result.minute_429 = world.xero.calls(status=429) - injected_429
    if result.minute_429:
        problems.append(f"{result.minute_429} 429s from Xero's limits")
    result.token_refreshes = sum(
        1 for r in world.xero.requests if r.path.endswith("/connect/token") and r.status == 200
    )
    asyncio.run(_check_store(world, result))


async def _check_store(world: ChaosWorld, result: ChaosResult) -> None:
    settings = load_settings(world.config)
    async with open_runtime(settings) as rt:
        depth = await jobs.depth_by_state(rt.store)
        result.outbox_running = depth.get("running", 0)
        result.outbox_dead = depth.get("dead", 0)
        if result.outbox_running or result.outbox_dead:
            result.problems.append(f"outbox not settled: {depth}")
        result.stranded = await check_stranded(rt.store)
        if result.stranded:
            result.problems.append(f"{result.stranded} transactions stranded unmatched")
        tenant = await get_tenant(rt.store, world.tenant_id)
        if tenant is None:
            result.problems.append("the organisation is no longer connected")
            return
        ref = TenantRef(tenant.tenant_id, tenant.connection_id)
        try:
            await rt.tokens.access_token(ref.connection_id, force_refresh=True)
            async for _ in rt.xero.iter_pages(CONTACTS, tenant=ref):
                break
        except Exception as exc:  # the figure says what broke; the run goes on to report
            result.problems.append(f"the token no longer refreshes: {exc}")
        else:
            result.token_refreshed_at_end = True
