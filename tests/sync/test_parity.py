"""The engine holds the simulator's numbers against a second Xero written from the spec alone.

`tests/independent_xero` shares no code with `xerowatch.sim.xero`; every Accounting request the
engine sends it is also checked against the official OpenAPI spec. Counts come from the fake's
own request log, and its per-minute counter answers a real 429, so "never a 429" is observed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from tests.independent_xero import FakeXero
from tests.independent_xero.world import World, open_world, spec_check
from tests.sync.memory_source import learner
from tests.sync.test_transactions_sim import EVERY_KIND_AND_STATUS_WRITTEN
from xerowatch.clock import FakeClock
from xerowatch.store import alerts, command_queue, directory, links, resyncs

# openapi-core cannot check OAuth2 itself and says so on every request
pytestmark = pytest.mark.filterwarnings("ignore:Unsupported scheme type:UserWarning")

JANUARY_WHERE = "(Date>=DateTime(2026,01,01)) AND (Date<DateTime(2026,02,01))"


@pytest.fixture
def clock() -> FakeClock:
    """Virtual time shared by the fake and the engine."""
    return FakeClock()


@pytest.fixture
def xero(clock: FakeClock) -> FakeXero:
    """The independent fake Xero."""
    return FakeXero(clock, request_check=spec_check())


@pytest.fixture
async def world(tmp_path: Path, xero: FakeXero, clock: FakeClock) -> AsyncIterator[World]:
    """A connected engine against the fake; afterwards, no request may have broken the spec."""
    async with open_world(tmp_path, xero, clock) as opened:
        yield opened
    assert xero.violations == []
    assert all(call.accept == "application/json" for call in xero.api_calls())


# -- contacts ------------------------------------------------------------------------------------


async def test_1000_new_learners_cost_20_writes_one_directory_page_and_no_429(
    world: World,
) -> None:
    refs = [f"L{i:05d}" for i in range(1000)]
    world.source.put(*(learner(ref) for ref in refs))

    summary = await world.cycle()

    xero = world.xero
    assert summary.tenants[world.tenant_id].push.created == 1000
    assert xero.calls("POST /Contacts") == 20
    assert xero.calls("GET /Contacts") == 1
    assert xero.rate_limited == 0
    assert summary.calls["POST /Contacts"] == 20  # the engine's count agrees with Xero's
    posts = xero.requests("POST /Contacts")
    assert {len(p.body["Contacts"]) for p in posts} == {50}
    assert all(p.query["summarizeErrors"] == "false" for p in posts)
    assert len({p.idempotency_key for p in posts}) == 20
    contacts = xero.contacts.all()
    assert len(contacts) == 1000
    assert sorted(c["ContactNumber"] for c in contacts) == refs
    assert all(c["Name"] == f"Ada {c['LastName']} {c['ContactNumber']}" for c in contacts)
    by_number = {c["ContactNumber"]: c for c in contacts}
    assert by_number["L00042"]["Name"] == "Ada Learner42 L00042"


async def test_a_second_cycle_without_changes_writes_nothing(world: World) -> None:
    world.source.put(*(learner(f"R{i}") for i in range(10)))
    await world.cycle()
    writes = world.writes()
    stamps = {c["ContactID"]: c["UpdatedDateUTC"] for c in world.xero.contacts.all()}
    world.clock.advance(120)

    summary = await world.cycle()

    assert world.writes() == writes == 1
    assert summary.tenants[world.tenant_id].push.created == 0
    assert not any(endpoint.startswith(("POST", "PUT")) for endpoint in summary.calls)
    assert {c["ContactID"]: c["UpdatedDateUTC"] for c in world.xero.contacts.all()} == stamps


async def test_a_directory_of_5000_contacts_is_read_in_5_calls(world: World) -> None:
    for i in range(5000):
        world.xero.contacts.add(Name=f"Existing Customer {i}", EmailAddress=f"c{i}@example.com")
    world.source.put(learner("R1"))

    await world.cycle()

    reads = world.xero.requests("GET /Contacts")
    assert [(r.query["page"], r.query["pageSize"]) for r in reads] == [
        (str(page), "1000") for page in range(1, 6)
    ]
    assert all(r.query.get("summaryOnly") == "true" for r in reads)
    assert await directory.count(world.rt.store, world.tenant_id) == 5001
    assert world.xero.calls("POST /Contacts") == 1
    assert world.xero.rate_limited == 0


async def test_a_same_name_contact_without_number_alerts_and_the_rest_are_created(
    world: World,
) -> None:
    world.xero.contacts.add(Name="Ada Learner1 R1", EmailAddress="ada1@example.edu.au")
    world.source.put(learner("R1"), learner("R2"), learner("R3"))

    await world.cycle()

    contacts = world.xero.contacts.all()
    assert sorted(c["Name"] for c in contacts) == [
        "Ada Learner1 R1",
        "Ada Learner2 R2",
        "Ada Learner3 R3",
    ]
    assert sorted(c.get("ContactNumber", "") for c in contacts) == ["", "R2", "R3"]
    sent = [
        c["ContactNumber"]
        for p in world.xero.requests("POST /Contacts")
        for c in p.body["Contacts"]
    ]
    assert sorted(sent) == ["R2", "R3"]  # nothing was even tried for R1
    found = {a.record: a for a in await alerts.open_alerts(world.rt.store)}
    assert found["R1"].type == "xero_duplicate_name"
    assert set(found) == {"R1"}
    link = await links.get_link(world.rt.store, world.tenant_id, "R1")
    assert link is not None and link.state == "blocked"


async def test_a_name_taken_after_the_directory_read_is_refused_by_xero_per_element(
    tmp_path: Path, xero: FakeXero, clock: FakeClock
) -> None:
    def someone_types_the_name_first(request: httpx.Request) -> httpx.Response:
        writing = request.method == "POST" and request.url.path.endswith("/Contacts")
        if writing and xero.calls("POST /Contacts") == 0:
            xero.contacts.add(Name="Ada Learner2 R2")  # a user in Xero, just before our write
        return xero.handler(request)

    async with open_world(tmp_path, xero, clock, someone_types_the_name_first) as world:
        world.source.put(learner("R1"), learner("R2"), learner("R3"))
        summary = await world.cycle()
        push = summary.tenants[world.tenant_id].push
        assert (push.created, push.rejected) == (2, 1)
        [alert] = await alerts.open_alerts(world.rt.store)
        assert (alert.type, alert.record) == ("xero_duplicate_name", "R2")
        assert "already assigned to another contact" in alert.message
    numbers = sorted(c.get("ContactNumber", "") for c in xero.contacts.all())
    assert numbers == ["", "R1", "R3"]
    assert xero.calls("POST /Contacts") == 1
    assert xero.violations == []


async def test_a_write_applied_but_answered_503_is_replayed_not_duplicated(
    tmp_path: Path, xero: FakeXero, clock: FakeClock
) -> None:
    def answer_lost_once(request: httpx.Request) -> httpx.Response:
        response = xero.handler(request)
        if request.url.path.endswith("/Contacts") and xero.calls("POST /Contacts") == 1:
            return httpx.Response(503, json={"Message": "Service unavailable"})
        return response

    async with open_world(tmp_path, xero, clock, answer_lost_once) as world:
        world.source.put(*(learner(f"R{i}") for i in range(30)))
        summary = await world.cycle()
        assert summary.tenants[world.tenant_id].push.created == 30
    posts = xero.requests("POST /Contacts")
    assert [p.replayed for p in posts] == [False, True]
    assert posts[0].idempotency_key == posts[1].idempotency_key
    assert Counter(c["ContactNumber"] for c in xero.contacts.all()) == Counter(
        {f"R{i}": 1 for i in range(30)}
    )
    assert xero.violations == []


async def test_a_token_xero_stops_accepting_is_renewed_and_the_call_goes_through(
    world: World,
) -> None:
    world.xero.expire_tokens()
    world.source.put(learner("R1"))

    summary = await world.cycle()

    assert summary.tenants[world.tenant_id].push.created == 1
    assert world.xero.calls("POST /connect/token") == 2
    assert world.xero.calls("GET /Contacts", status=401) == 1


# -- transactions --------------------------------------------------------------------------------


async def synced_contact(world: World, ref: str) -> str:
    """Sync one learner and return its ContactID."""
    world.source.put(learner(ref))
    await world.cycle()
    return world.contact_id(ref)


async def test_every_kind_and_status_of_our_contacts_is_written_back_once(world: World) -> None:
    cid = await synced_contact(world, "R1")
    ledger = world.xero.ledger
    open_invoice = ledger.add_invoice(cid, 200)
    paid = ledger.add_invoice(cid, 150)
    payment = ledger.add_payment(paid, 150)
    voided = ledger.add_invoice(cid, 80)
    ledger.set_status("Invoices", voided, "VOIDED")
    deleted = ledger.add_invoice(cid, 60, status="DRAFT")
    ledger.set_status("Invoices", deleted, "DELETED")
    credited = ledger.add_invoice(cid, 100)
    ledger.add_credit_note(cid, 40, allocations=[(credited, 40)])
    ledger.add_overpayment(cid, 25)
    ledger.add_prepayment(cid, 300)
    ledger.add_invoice(cid, 999, status="DRAFT")  # drafts are not synced
    stranger = world.xero.contacts.add(Name="Walk-in customer")["ContactID"]
    ledger.add_invoice(stranger, 10)  # not a contact xerowatch created
    world.clock.advance(60)

    summary = await world.cycle()

    assert summary.tenants[world.tenant_id].pull.total("unmatched") == 1
    assert world.written() == EVERY_KIND_AND_STATUS_WRITTEN
    assert summary.writeback.written == 9
    assert {tx.ref_internal for tx in world.source.written} == {"R1"}
    by_id = {tx.xero_id: tx for tx in world.source.written}
    assert (by_id[paid].amount_paid, by_id[paid].amount_due) == (Decimal(150), Decimal(0))
    assert by_id[credited].amount_credited == Decimal(40)
    assert by_id[payment].total == Decimal(150)
    for invoice in (open_invoice, paid, credited):
        assert (by_id[invoice].online_invoice_url or "").startswith("https://in.xero.com/")
    assert world.xero.calls("GET /Invoices/{id}/OnlineInvoice") == 3

    again = await world.cycle()
    assert again.writeback.written == 0  # once per change


async def test_status_changes_in_xero_reach_the_learner(world: World) -> None:
    cid = await synced_contact(world, "R2")
    ledger = world.xero.ledger
    to_pay = ledger.add_invoice(cid, 120)
    to_void = ledger.add_invoice(cid, 70)
    refunded = ledger.add_invoice(cid, 50)
    bounced = ledger.add_payment(refunded, 50)
    world.clock.advance(60)
    await world.cycle()
    world.source.written.clear()
    world.clock.advance(60)
    payment = ledger.add_payment(to_pay, 120)
    ledger.set_status("Invoices", to_void, "VOIDED")
    ledger.delete_payment(bounced)
    world.clock.advance(60)

    await world.cycle()

    statuses = {tx.xero_id: tx.status for tx in world.source.written}
    assert statuses == {
        to_pay: "PAID",
        payment: "AUTHORISED",
        to_void: "VOIDED",
        refunded: "AUTHORISED",
        bounced: "DELETED",
    }


async def test_a_resync_rereads_only_the_date_range(world: World) -> None:
    cid = await synced_contact(world, "R5")
    world.xero.ledger.add_invoice(cid, 10, on=date(2026, 1, 15))
    world.xero.ledger.add_invoice(cid, 20, on=date(2026, 3, 15))
    world.clock.advance(60)
    await world.cycle()
    world.source.written.clear()
    await command_queue.enqueue(
        world.rt.store,
        "resync",
        {"from": "2026-01-01", "to": "2026-02-01", "types": ["invoices"]},
    )

    summary = await world.cycle()

    assert any("done" in line for line in summary.resyncs)
    [run] = await resyncs.recent(world.rt.store, 1)
    assert (run.state, run.done, run.total) == ("done", 1, 1)
    ranged = [r for r in world.xero.requests("GET /Invoices") if "where" in r.query]
    assert [r.query["where"] for r in ranged] == [JANUARY_WHERE]
    assert ranged[0].if_modified_since is None
    assert "1 read, 0 to write, 1 unchanged" in run.message
    assert world.source.written == []  # unchanged since its write-back: not written again


# -- rate limits ---------------------------------------------------------------------------------


async def test_more_than_60_calls_in_a_minute_never_draw_a_429(world: World) -> None:
    refs = [f"R{i}" for i in range(70)]
    world.source.put(*(learner(ref) for ref in refs))
    await world.cycle()  # 8 calls
    for ref in refs:
        world.xero.ledger.add_invoice(world.contact_id(ref), 100)
    started = world.clock.monotonic()

    await world.cycle()  # 5 pulls + online links up to the background share (48 of 60)
    await world.cycle()  # right after: 5 pulls, and no free room for links
    assert world.clock.monotonic() == started  # background links never wait for the window
    assert len(world.xero.api_calls()) == 8 + 5 + 35 + 5
    world.clock.advance(61)
    await world.cycle()  # the next minute: 5 pulls + the other 35 links

    assert world.xero.rate_limited == 0
    links_written = {tx.xero_id for tx in world.source.written if tx.online_invoice_url}
    assert len(links_written) == 70


# -- the If-Modified-Since boundary --------------------------------------------------------------

# Xero documents If-Modified-Since only as "accurate to the second". Whether a record from the
# watermark's own second comes back or not, the engine's read overlap must not lose it.


@pytest.mark.parametrize(
    "strictly_after",
    [
        pytest.param(False, id="same-second-included"),
        pytest.param(True, id="later-seconds-only"),
    ],
)
async def test_an_invoice_created_in_the_second_of_the_watermark_is_pulled(
    tmp_path: Path, clock: FakeClock, strictly_after: bool
) -> None:
    xero = FakeXero(clock, modified_since_strictly_after=strictly_after, request_check=spec_check())
    async with open_world(tmp_path, xero, clock) as world:
        cid = await synced_contact(world, "R7")
        clock.advance(10)
        first = xero.ledger.add_invoice(cid, 10)
        await world.cycle()  # reads `first`: the watermark is now its UpdatedDateUTC
        clock.advance(0.4)
        second = xero.ledger.add_invoice(cid, 20)  # same second, just after the read
        clock.advance(120)
        await world.cycle()
        await world.cycle()
        assert {tx.xero_id for tx in world.source.written} == {first, second}
