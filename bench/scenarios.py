"""The benchmark scenarios by name; `default` ones run when no --scenario is given."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial

from bench import (
    chaos,
    connectwise,
    connectwise_all,
    dashboard,
    existing_org,
    initial_sync,
    invalid_push,
    memory,
    pull_writeback,
    rate_limit,
    real_limit_sync,
    writeback_backlog,
)
from bench.big_store import StoreSize
from bench.measure import PhaseResult


@dataclass(frozen=True)
class Scenario:
    """A named benchmark and how to run it."""

    name: str
    summary: str
    run: Callable[[], Awaitable[list[PhaseResult]]]
    default: bool = True


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "initial-1000",
            "first sync of 1,000 Wisenet learners into an empty Xero, then a no-change cycle",
            partial(initial_sync.run, 1000),
        ),
        Scenario(
            "initial-5000",
            "first sync of 5,000 Wisenet learners into an empty Xero, then a no-change cycle",
            partial(initial_sync.run, 5000),
        ),
        Scenario(
            "pull-5000",
            "pull and write-back of 5,000 invoices for 1,000 synced learners",
            partial(pull_writeback.run, 1000, 5000),
        ),
        Scenario(
            "real-limits-5000",
            "first sync of 5,000 learners under Xero's and Wisenet's real limits, virtual time",
            partial(real_limit_sync.run, 5000),
        ),
        Scenario(
            "real-300-links",
            "first sync of 300 learners (300 contacts, 300 invoices, links on) at real limits",
            partial(existing_org.run, 300, 300, 300, name="real-300-links"),
        ),
        Scenario(
            "real-10k",
            "first sync of 10,000 learners into 2,000 contacts and 20,000 invoices at real limits",
            partial(existing_org.run, 10_000, 2_000, 20_000, name="real-10k"),
        ),
        Scenario(
            "writeback",
            "write-back of 1,000 invoices at Wisenet's real limits: 1, 3, 4 writers at a 300 ms "
            "round trip, xerowatch's own CPU, a spent day (virtual time)",
            writeback_backlog.run,
        ),
        Scenario(
            "memory-10k",
            "first sync of 10,000 learners, simulators in another process: xerowatch's own RSS",
            partial(memory.run, 10_000),
        ),
        Scenario(
            "memory-100k",
            "first sync of 100,000 learners, simulators in another process (several minutes)",
            partial(memory.run, 100_000),
            default=False,
        ),
        Scenario(
            "push-invalid-5k",
            "first push of 5,000 invalid learners: alerts and link states only, no calls",
            partial(invalid_push.run, 5_000),
        ),
        Scenario(
            "connectwise-5k",
            "ConnectWise → Xero: 500 customers and 5,000 invoices (~20,000 lines) at Xero's real "
            "limits in virtual time, then no-change cycles (at once, then every 5 minutes): "
            "calls against the floor, totals",
            partial(connectwise.run, 500, 5_000),
        ),
        Scenario(
            "connectwise-all",
            "ConnectWise → Xero, every stream: 500 customers, 5,000 invoices, 1,000 expenses, "
            "300 purchase orders and a month of inventory (60 adjustments, 60 transfers) at "
            "Xero's real limits in virtual time: calls against the floor, totals",
            partial(connectwise_all.run, 500, 5_000, 1_000, 300, 60, 60),
        ),
        Scenario(
            "dashboard-100k",
            "the dashboard over 100,000 learners, 10,000 alerts and 1,000,000 history rows: "
            "first paint, a change made visible, paging, idle CPU, RSS (attached and embedded)",
            partial(dashboard.run, StoreSize()),
        ),
        Scenario(
            "limit-virtual",
            "300 contact writes at Xero's 60/min in virtual time: zero 429s",
            partial(rate_limit.run, 300, virtual=True),
        ),
        Scenario(
            "limit",
            "300 contact writes at Xero's 60/min in REAL time over loopback HTTP (about 5 min)",
            partial(rate_limit.run, 300, virtual=False),
            default=False,
        ),
        Scenario(
            "chaos",
            "a real daemon SIGKILLed 22 times with 10% faults while 3,000 learners sync and "
            "learners and invoices keep arriving; then the invariants (REAL time, long)",
            chaos.run,
            default=False,
        ),
    )
}
