"""WisenetSource against the simulator: paging, cursor and overlap, deletes, one-off reads."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from xerowatch.clock import FakeClock
from xerowatch.records import SourceTransaction
from xerowatch.sim.wisenet import WisenetSim
from xerowatch.source.port import SourceError, SourcePort

from .conftest import MakeSource, collect


async def test_is_a_source_port(make_source: MakeSource) -> None:
    assert isinstance(make_source(), SourcePort)


async def test_full_read_pages_with_skip_take_and_stops_on_a_short_page(
    sim: WisenetSim, make_source: MakeSource
) -> None:
    ids = sim.seed_learners(25)
    source = make_source(page_size=10)

    batches = await collect(source, None)

    assert [len(b.learners) for b in batches] == [10, 10, 5]
    assert [r.query["skip"] for r in sim.requests if r.path == "/learnersAU"] == ["0", "10", "20"]
    assert {r.query["take"] for r in sim.requests if r.path == "/learnersAU"} == {"10"}
    assert sorted(int(le.source_id) for b in batches for le in b.learners) == ids


async def test_exact_multiple_of_page_size_needs_one_empty_page(
    sim: WisenetSim, make_source: MakeSource
) -> None:
    sim.seed_learners(20)
    batches = await collect(make_source(page_size=10), None)
    assert sum(len(b.learners) for b in batches) == 20
    assert sim.count("/learnersAU") == 3


async def test_only_the_last_batch_advances_the_cursor(
    sim: WisenetSim, make_source: MakeSource, clock: FakeClock
) -> None:
    for _ in range(5):
        sim.seed_learners(1)
        clock.advance(60)
    start = "2026-11-01T00:00:00.000000+00:00"
    batches = await collect(make_source(page_size=2), start)
    # Page order is by id, not time, so a crash after page 1 must re-read from the old cursor.
    assert [b.cursor for b in batches[:-1]] == [start, start]
    # Last learner was stamped at 09:04 UTC (20:04 Sydney, AEDT).
    assert batches[-1].cursor == "2026-11-02T09:04:00.000000+00:00"


async def test_sync_to_xero_false_learners_are_still_reported(
    sim: WisenetSim, make_source: MakeSource
) -> None:
    ids = sim.seed_awkward()
    learners = {le.source_id: le for b in await collect(make_source(), None) for le in b.learners}
    assert learners[str(ids["no_sync"])].sync_to_xero is False
    assert learners[str(ids["inactive"])].is_active is False
    assert all("syncToXeroFilter" not in r.query for r in sim.requests)


async def test_unreadable_learners_become_problems_and_the_rest_import(
    sim: WisenetSim, make_source: MakeSource
) -> None:
    ids = sim.seed_awkward()
    batches = await collect(make_source(), None)
    problems = [p for b in batches for p in b.problems]
    assert [str(p) for p in problems] == [
        f"Wisenet learner {ids['no_learner_number']}: Personal.LearnerNumber (RefInternal) is empty"
    ]
    assert sum(len(b.learners) for b in batches) == len(ids) - 1


async def test_next_poll_filters_from_cursor_minus_overlap_in_local_time(
    sim: WisenetSim, make_source: MakeSource, clock: FakeClock
) -> None:
    old = sim.seed_learners(3)  # stamped 09:00 UTC
    clock.advance(600)
    recent = sim.seed_learners(1, seed=2)[0]  # 09:10 UTC
    source = make_source(overlap_seconds=300)
    cursor = (await collect(source, None))[-1].cursor
    assert cursor == "2026-11-02T09:10:00.000000+00:00"

    clock.advance(600)
    sim.data.update_learner(old[1], {"Personal": {"FirstName": "Changed"}})  # 09:20 UTC
    batches = await collect(source, cursor)

    query = [r.query for r in sim.requests if r.path == "/learnersAU"][-1]
    # 09:10 UTC - 5 min = 09:05 UTC = 20:05 in Sydney (AEDT, +11).
    assert query["lastModifiedTimeStampFilter"] == "gt:2026-11-02T20:05:00.000"
    seen = {le.source_id: le.first_name for b in batches for le in b.learners}
    assert seen == {str(old[1]): "Changed", str(recent): seen[str(recent)]}
    assert batches[-1].cursor == "2026-11-02T09:20:00.000000+00:00"


async def test_boundary_record_written_after_the_read_is_caught_by_the_overlap(
    sim: WisenetSim, make_source: MakeSource, clock: FakeClock
) -> None:
    a = sim.seed_learners(1)[0]
    source = make_source(overlap_seconds=300)
    cursor = (await collect(source, None))[-1].cursor
    # A record committed late with a timestamp just *before* the cursor (same second, earlier ms
    # on a clock that lags): without the overlap a `gt:cursor` poll would never see it.
    late = sim.seed_learners(1, seed=99)[0]
    sim.data.learners["AU"][late]["LastModifiedTimeStamp"] = "2026-11-02T19:59:59.500"

    batches = await collect(source, cursor)
    seen = {le.source_id for b in batches for le in b.learners}
    assert str(late) in seen
    assert str(a) in seen  # the overlap re-reads it; the engine's content hash makes that free
    assert batches[-1].cursor == cursor  # never moves backwards, never jumps to "now"


async def test_empty_poll_keeps_the_cursor(sim: WisenetSim, make_source: MakeSource) -> None:
    batches = await collect(make_source(), "2026-11-02T09:00:00+00:00")
    assert len(batches) == 1
    assert batches[0].learners == []
    assert batches[0].cursor == "2026-11-02T09:00:00+00:00"


async def test_deleted_learners_come_from_the_audit_log(
    sim: WisenetSim, make_source: MakeSource, clock: FakeClock
) -> None:
    ids = sim.seed_learners(3)
    source = make_source()
    cursor = (await collect(source, None))[-1].cursor
    clock.advance(120)
    sim.data.delete_learner(ids[0])

    batches = await collect(source, cursor)

    assert batches[-1].deleted_source_ids == [str(ids[0])]
    audit = [r.query for r in sim.requests if r.path == "/audit-logs"]
    assert audit[-1]["auditActionFilter"] == "D"
    assert audit[-1]["entityNameFilter"] == "Learner"
    assert batches[-1].cursor == "2026-11-02T09:02:00.000000+00:00"


async def test_no_audit_log_on_a_full_read(sim: WisenetSim, make_source: MakeSource) -> None:
    sim.seed_learners(2)
    await collect(make_source(), None)
    assert sim.count("/audit-logs") == 0


@pytest.mark.parametrize("status", [403, 404])
async def test_audit_log_not_on_the_licence_is_skipped_for_a_day(
    sim: WisenetSim, make_source: MakeSource, clock: FakeClock, status: int
) -> None:
    sim.seed_learners(2)
    sim.audit_logs_status = status
    source = make_source()
    cursor = "2026-11-02T08:00:00+00:00"

    first = await collect(source, cursor)
    second = await collect(source, cursor)
    clock.advance(24 * 3600 + 1)
    await collect(source, cursor)

    assert sum(len(b.learners) for b in first) == 2
    assert sum(len(b.learners) for b in second) == 2
    assert sim.count("/audit-logs") == 2  # first poll, then again only after a day


async def test_get_learner_maps_one_learner_and_none_when_gone(
    sim: WisenetSim, make_source: MakeSource
) -> None:
    ids = sim.seed_awkward()
    source = make_source()
    learner = await source.get_learner(str(ids["po_box"]))
    assert learner is not None
    assert learner.ref_internal == f"DAU{ids['po_box']:07d}"
    assert learner.postal_address is not None
    assert learner.postal_address.lines == ("PO Box 1234",)
    assert await source.get_learner("999999") is None
    with pytest.raises(SourceError, match="LearnerNumber"):
        await source.get_learner(str(ids["no_learner_number"]))


async def test_nz_region_reads_learners_nz(sim: WisenetSim, make_source: MakeSource) -> None:
    sim.seed_learners(2, region="NZ")
    batches = await collect(make_source(region="NZ"), None)
    assert sum(len(b.learners) for b in batches) == 2
    assert sim.count("/learnersNZ") == 1


async def test_write_transaction_upserts_the_invoice(
    sim: WisenetSim, make_source: MakeSource, clock: FakeClock
) -> None:
    learner = sim.seed_learners(1)[0]
    tx = SourceTransaction(
        xero_id="243216c5-369e-4056-ac67-05388f86dc81",
        kind="invoice",
        learner_source_id=str(learner),
        ref_internal=f"DAU{learner:07d}",
        number="INV-0042",
        status="AUTHORISED",
        total=Decimal("1100.00"),
        amount_due=Decimal("1100.00"),
        updated_utc=datetime(2026, 11, 2, 8, 30, tzinfo=UTC),
    )
    source = make_source()
    await source.write_transaction(tx)
    await source.write_transaction(tx.model_copy(update={"status": "PAID"}))

    stored = sim.data.invoices[tx.xero_id]
    assert stored["Status"] == "PAID"
    assert stored["SourceAppKey"] == "xerowatch"
    assert sim.count(f"/invoices/{tx.xero_id}", "PUT") == 2


async def test_bad_cursor_is_a_permanent_error(make_source: MakeSource) -> None:
    with pytest.raises(SourceError, match="reset the Wisenet watermark") as info:
        await collect(make_source(), "last tuesday")
    assert info.value.transient is False


async def test_volume_read_stays_under_the_rate_limit(
    sim: WisenetSim, make_source: MakeSource, clock: FakeClock
) -> None:
    sim.seed_learners(2500)
    source = make_source(page_size=100)
    batches = await collect(source, None)
    assert sum(len(b.learners) for b in batches) == 2500
    assert all(r.status == 200 for r in sim.requests)  # the token bucket kept us under 10 rps
    assert sim.count("/learnersAU") == 26
    budget = source.budget()
    assert budget.used_today == 28  # 26 pages + 2 combos
