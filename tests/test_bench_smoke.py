"""The benchmark scenarios at toy sizes, so the bench code cannot rot: call counts only, no time."""

from __future__ import annotations

import dataclasses
import math
import subprocess
import sys
from typing import cast

from bench import (
    connectwise,
    connectwise_all,
    existing_org,
    initial_sync,
    invalid_push,
    memory,
    pull_writeback,
    rate_limit,
    writeback_backlog,
)
from bench.report import console_report, problems, result_from_json, result_to_json
from bench.scenarios import SCENARIOS

STREAM_READS = {
    f"GET /{name}": 1
    for name in ("CreditNotes", "Invoices", "Overpayments", "Payments", "Prepayments")
}


async def test_initial_sync_then_a_no_change_cycle_over_loopback_http() -> None:
    initial, unchanged = await initial_sync.run(20)
    created = int(initial.details["contacts_created"])
    held_back = int(initial.details["learners_invalid"]) + int(
        initial.details["learners_not_synced"]
    )
    assert created > 0 and created + held_back == initial.records == 20
    assert initial.xero_calls == {
        "GET /Contacts": 1,
        **STREAM_READS,
        "POST /Contacts": math.ceil(created / 50),
    }
    assert initial.details["contacts_in_xero"] == created
    assert unchanged.xero_calls == STREAM_READS
    assert (unchanged.xero_writes, unchanged.source_writes) == (0, 0)
    assert problems([initial, unchanged]) == []
    assert result_from_json(result_to_json(initial)) == initial
    assert "POST /Contacts 1" in console_report([initial])


async def test_pull_and_write_back_then_online_links() -> None:
    pull, unchanged, links = await pull_writeback.run(learners=20, invoices=30)
    assert pull.details["cycles"] == 1
    assert pull.source_requests["PUT /invoices/{id}"] == 30
    assert pull.details["invoices_in_source"] == 30
    assert pull.xero_calls == STREAM_READS
    assert (unchanged.xero_writes, unchanged.source_writes) == (0, 0)
    assert links.xero_calls == STREAM_READS | {"GET /Invoices/{id}/OnlineInvoice": 30}
    # Wisenet has no field for the link: the invoices it already holds are not sent again.
    assert links.source_writes == 0
    assert problems([pull, unchanged, links]) == []


async def test_write_back_writers_own_cpu_and_a_spent_day() -> None:
    one, three, four, cpu, first, spent = await writeback_backlog.run(invoices=40, quota=50)
    for phase in (one, three, four):
        assert phase.source_requests == {"PUT /invoices/{id}": 40} and phase.source_429 == 0
    assert one.elapsed_s > three.elapsed_s >= four.elapsed_s  # overlapping round trips
    assert cpu.details["stub_puts"] == cpu.records == 40
    assert first.source_writes == first.records < 40  # stopped at the write share of 50
    assert spent.source_requests == {} and spent.records == 0
    assert spent.details["history_rows_added"] == 0
    assert spent.details["attempts_now_running_retry_or_dead"] == 0
    assert "to write, done in ~" in str(spent.details["status_says"])


async def test_contact_writes_at_the_real_minute_limit_in_virtual_time() -> None:
    [result] = await rate_limit.run(8, virtual=True)
    assert result.clock == "virtual"
    assert result.xero_calls == {"GET /Contacts": 1, **STREAM_READS, "POST /Contacts": 8}
    assert result.xero_429 == 0
    assert result.records == 8


async def test_first_sync_into_an_existing_organisation_at_real_limits() -> None:
    first, again = await existing_org.run(30, 10, 40, name="toy")
    assert first.clock == "virtual"
    assert first.xero_calls["GET /Invoices"] == 1
    assert first.source_requests["PUT /invoices/{id}"] == 40  # every invoice written back
    links = first.xero_calls.get("GET /Invoices/{id}/OnlineInvoice", 0)
    assert links == 40  # a quiet minute has room for all of them: taken without a wait
    assert first.details["contacts_updated"] == 10
    assert first.details["write_back_left"] == 0
    assert (first.xero_429, first.source_429) == (0, 0)
    assert again.xero_calls == STREAM_READS
    assert again.virtual_s == 0
    assert problems([first, again]) == []
    wrote = dataclasses.replace(again, xero_calls={"POST /Contacts": 1})
    assert problems([wrote])  # a cycle started right after is still a no-change cycle


async def test_memory_scenario_runs_the_simulators_in_another_process() -> None:
    [result] = await memory.run(40)
    created = int(result.details["contacts_created"])
    assert created > 0
    assert result.details["contacts_in_xero"] == created
    assert result.xero_calls["POST /Contacts"] == math.ceil(created / 50)
    assert problems([result]) == []


async def test_invalid_push_scenario_parks_every_learner_without_a_call() -> None:
    [result] = await invalid_push.run(30)
    assert (result.details["blocked"], result.details["invalid_links"]) == (30, 30)
    assert result.xero_calls == {}
    assert problems([result]) == []


async def test_the_dashboard_benchmark_measures_attached_on_a_small_store() -> None:
    from bench import dashboard
    from bench.big_store import StoreSize

    # Attached only: the embedded run waits for a daemon whose loops back off without a network
    # (the dashboard tests cover embedding).
    [attached] = await dashboard.run(StoreSize(6_000, 40, 2_000), idle_s=0.2, embedded=False)
    assert attached.records == 6_000
    for key in ("first_paint_s", "change_visible_s", "page_ms", "idle_cpu_pct"):
        assert float(attached.details[key]) >= 0, key
    assert attached.xero_calls == {}
    assert problems([attached]) == []


def test_make_bench_help_lists_every_scenario() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--help"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    unwrapped = "".join(done.stdout.split())  # argparse wraps long names at their hyphens
    for name in SCENARIOS:
        assert name in unwrapped


async def test_connectwise_scenario_meets_the_write_floor_and_the_totals() -> None:
    first, again, later, settled = await connectwise.run(20, 120)
    assert first.details["invoices_in_xero"] == first.details["posted_in_connectwise"] == 120
    assert first.details["totals_equal_to_the_cent"] is True
    assert first.details["xero_writes"] == first.details["xero_write_floor"]
    assert first.xero_429 == 0 and first.details["failures"] == 0
    assert again.details["xero_writes"] == 0
    assert again.details["invoices_in_xero"] == 120
    # payments back: one page of changed invoices, never ceil(120/35) reads by ID
    assert first.details["payments_back_calls"] == again.details["payments_back_calls"] == 1
    assert again.xero_calls == later.xero_calls == settled.xero_calls == {"GET /Invoices": 1}


async def test_every_connectwise_stream_scenario_stays_within_a_tenth_of_the_floor() -> None:
    first, again = await connectwise_all.run(20, 120, 60, 15, 6, 6)
    made = cast(dict[str, int], first.details["documents_in_xero"])
    assert made["sales_invoices"] == 120 and made["purchase_orders"] == 15
    assert made["manual_journals"] == 12 and made["bills"] > 0 and made["credit_notes"] > 0
    assert all(cast(dict[str, bool], first.details["totals_equal_to_the_cent"]).values())
    assert first.xero_429 == 0 and first.details["failures"] == 0
    # each write endpoint at ceil(n/50): sales invoices as one stream, the bills of expenses
    # and packing slips pooled, Personal expenses' credit notes, journals of adjustments and
    # transfers pooled; a contact batch and a directory read per party kind (customers,
    # members, vendors)
    assert cast(dict[str, int], first.details["xero_calls_by_endpoint"]) == {
        "GET /Contacts": 3,
        "POST /Contacts": 3,
        "POST /Invoices": math.ceil(120 / 50) + math.ceil(made["bills"] / 50),
        "PUT /CreditNotes": math.ceil(made["credit_notes"] / 50),  # Personal expenses
        "POST /PurchaseOrders": 1,
        "PUT /ManualJournals": 1,
        "GET /Invoices": 1,
    }
    assert sum(n for ep, n in again.xero_calls.items() if not ep.startswith("GET")) == 0
