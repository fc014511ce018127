"""Real-limit scenarios: the first sync into an organisation that already has contacts and invoices.

Xero's 60 calls/min and 5,000/day and Wisenet's 10 requests/s and 10,000/day are kept; time is
virtual (one FakeClock shared by xerowatch and both simulators), so the elapsed figure is the
time the remote limits impose and the real seconds are xerowatch's own CPU and I/O.

The organisation already holds a contact for some learners (ContactNumber = the learner number,
as a previous integration would have left it) and invoices spread over those contacts. The first
cycle links or updates those contacts, creates the rest, pulls every invoice, writes the matched
ones back to Wisenet (as far as Wisenet's day allows) and fetches online-invoice links from
spare call room. A second cycle starts the moment the first ends.
"""

from __future__ import annotations

import math
import os
import resource
from pathlib import Path

from bench.cycles import cycle_details, measure_no_change_cycle
from bench.measure import XERO_DAY_LIMIT, PhaseResult
from bench.rig import Rig, RigOptions, make_sims, open_rig
from xerowatch.sim.wisenet import WisenetSim
from xerowatch.sim.xero import XeroSim
from xerowatch.store import transactions

LEARNER_SEED = 7
WISENET_DAY_QUOTA = 10_000
"""Wisenet's Full-plan requests per day (the simulator's default)."""


def seed_existing_contacts(
    xero: XeroSim, wisenet: WisenetSim, tenant_id: str, count: int
) -> list[str]:
    """Give the first `count` syncable learners a contact in Xero; return the contact ids."""
    ids: list[str] = []
    for record in wisenet.data.learners["AU"].values():
        if len(ids) >= count:
            break
        person = record["Personal"]
        if not (person["SyncToXero"] and person["IsActive"]):
            continue
        number = person["LearnerNumber"]
        contact = xero.add_contact(
            tenant_id,
            Name=f"{person['FirstName']} {person['LastName']} {number}",
            ContactNumber=number,
            FirstName=person["FirstName"],
            LastName=person["LastName"],
            EmailAddress=person["EmailAddresses"]["Email"],
        )
        ids.append(str(contact["ContactID"]))
    return ids


def seed_invoices(xero: XeroSim, tenant_id: str, contacts: list[str], count: int) -> None:
    """Add `count` AUTHORISED invoices over `contacts`, round robin."""
    for index in range(count):
        xero.add_invoice(
            tenant_id,
            contacts[index % len(contacts)],
            Total=100 + index % 17 * 25,
            Reference=f"BENCH-{index:06d}",
        )


def current_rss_mb() -> float:
    """The process's resident set now (not its peak), from /proc on Linux."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return float("nan")
    return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


def cpu_s() -> float:
    """CPU seconds this process has used (user + system)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def store_mb(rig: Rig) -> float:
    """Size of the store's files (database, WAL) in MiB."""
    path = rig.rt.settings.store.path
    files = [path, path.with_name(path.name + "-wal")]
    return sum(f.stat().st_size for f in files if f.exists()) / (1024 * 1024)


async def run(
    learners: int, contacts: int, invoices: int, *, name: str, links: bool = True
) -> list[PhaseResult]:
    """First cycle into an organisation with `contacts` contacts and `invoices` invoices."""
    options = RigOptions(virtual=True, real_limits=True, sync={"fetch_online_invoice_urls": links})
    xero_sim, wisenet_sim, clock = make_sims(options)
    wisenet_sim.seed_learners(learners, seed=LEARNER_SEED)
    async with open_rig(xero_sim, wisenet_sim, clock, options) as rig:
        tenant_id = rig.tenant.tenant_id
        existing = seed_existing_contacts(xero_sim, wisenet_sim, tenant_id, contacts)
        seed_invoices(xero_sim, tenant_id, existing, invoices)
        rss_before = current_rss_mb()
        cpu_before = cpu_s()
        meter = rig.meter()
        source_log_start = len(wisenet_sim.requests)
        first = await rig.rt.engine.run_cycle()
        cpu = cpu_s() - cpu_before
        phase = (
            f"first sync of {learners:,} learners into {len(existing):,} contacts and "
            f"{invoices:,} invoices (links {'on' if links else 'off'})"
        )
        details = cycle_details(first, tenant_id)
        # Writes the budget refused before sending (Wisenet's day was spent) are not failures
        # of xerowatch or Wisenet: they wait for tomorrow's quota, and are reported as such.
        sent_failures = sum(
            1
            for r in wisenet_sim.requests[source_log_start:]
            if r.method == "PUT" and r.status >= 400
        )
        details["writeback_refused_by_wisenet_day"] = (
            int(details["writeback_failed"]) - sent_failures
        )
        details["writeback_failed"] = sent_failures
        backlog = len(await transactions.pending_writes(rig.rt.store, limit=10_000_000))
        details |= {
            "contacts_in_xero": len(xero_sim.contacts(tenant_id)),
            "write_back_left": backlog,
            "rss_before_cycle_mib": round(rss_before, 1),
            "cpu_s": round(cpu, 2),
            "cpu_ms_per_learner_and_invoice": round(1000 * cpu / max(1, learners + invoices), 3),
            "store_mib": round(store_mb(rig), 1),
        }
        result = meter.finish(
            name, phase, records=first.source.seen, records_label="learners", details=details
        )
        source_total = sum(result.source_requests.values())
        needed = source_total + backlog
        result.computed = {
            "xero_calls_minimum": minimum_xero_calls(
                int(details["contacts_created"]) + int(details["contacts_updated"]),
                len(existing),
                invoices,
            ),
            "online_link_calls": float(first.tenants[tenant_id].online_urls),
            "xero_days_at_5000_per_day": result.xero_total / XERO_DAY_LIMIT,
            "wisenet_requests_needed": float(needed),
            "wisenet_days_needed": needed / WISENET_DAY_QUOTA,
        }
        again = await measure_no_change_cycle(rig, name, tenant_id)
        again.phase = "no-change cycle started right after"
    return [result, again]


def minimum_xero_calls(contacts_written: int, contacts_before: int, invoices: int) -> float:
    """A floor for the cycle without online links: contact writes of 50, reads of 1,000.

    One read of the existing contacts per 1,000, one page per 1,000 invoices, and one read of each
    other transaction kind (credit notes, overpayments, prepayments, payments).
    """
    return float(
        math.ceil(contacts_written / 50)
        + max(1, math.ceil(contacts_before / 1000))
        + max(1, math.ceil(invoices / 1000))
        + 4
    )
