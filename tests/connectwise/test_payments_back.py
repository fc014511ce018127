"""Payments back by If-Modified-Since: exact Xero call counts, partial and several payments,
credit notes alerted, an invoice paid before it was posted, and the watermark's crash rule."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import pytest

from tests.connectwise.stream_world import (
    INVOICES,
    AnswerLost,
    World,
    payment_answers_lost,
    world,
)
from xerowatch.clock import FakeClock
from xerowatch.store import alerts, cursors
from xerowatch.store import connectwise_records as records
from xerowatch.sync.connectwise_payments import CURSOR, PaymentsSummary
from xerowatch.sync.engine import CycleSummary

__all__ = ["world"]


def _clock(world: World) -> FakeClock:
    clock = world.xero.clock
    assert isinstance(clock, FakeClock)
    return clock


def _back(world: World, summary: CycleSummary) -> PaymentsSummary:
    assert summary.failures == [], summary.failures
    return summary.connectwise[world.tenant.tenant_id].payments


def _invoices(world: World) -> list[tuple[dict[str, Any], int]]:
    """Xero's invoices (as JSON) with their ConnectWise ids, in invoice-number order."""
    by_number = {i.number: i.id for i in world.cw.records.invoices.values()}
    found = [(i, by_number[i["InvoiceNumber"]]) for i in world.xero_invoices()]
    return sorted(found, key=lambda pair: str(pair[0]["InvoiceNumber"]))


async def _settled_quietly(world: World) -> None:
    """The first cycle, then a quiet one long after: the watermark has settled."""
    await world.cycle()
    _clock(world).advance(600)
    quiet = await world.cycle()
    assert quiet.calls == {"GET /Invoices": 1}


async def test_a_quiet_cycle_costs_one_call_and_asks_only_for_changed_sales_invoices(
    world: World,
) -> None:
    first = await world.cycle()
    # every invoice is new: one page of changed invoices beats ceil(300/35) reads by ID
    assert (_back(world, first).calls_changed, _back(world, first).calls_by_id) == (1, 0)
    assert first.calls["GET /Invoices"] == 1 and math.ceil(INVOICES / 35) > 1
    for wait in (600, 600, 3600):
        _clock(world).advance(wait)
        seen = len(world.transport.seen)
        quiet = await world.cycle()
        assert quiet.calls == {"GET /Invoices": 1}
        assert (_back(world, quiet).calls_changed, _back(world, quiet).posted) == (1, 0)
        [request] = [r for r in world.transport.seen[seen:] if r.url.path.endswith("/Invoices")]
        assert request.headers["If-Modified-Since"]
        assert request.url.params["where"] == 'Type=="ACCREC"'
        assert request.url.params["Statuses"] == "AUTHORISED,PAID"
        assert request.url.params["pageSize"] == "1000"
        assert "IDs" not in request.url.params


async def test_n_changed_invoices_cost_ceil_n_over_the_page_size(world: World) -> None:
    await _settled_quietly(world)
    tid = world.tenant.tenant_id
    world.xero.config.max_page_size = 100  # Xero's pages are 1,000: a smaller page, same rule
    changed = 250
    for invoice, _ in _invoices(world)[:changed]:
        world.xero.add_payment(tid, invoice["InvoiceID"], "1.00")
    _clock(world).advance(600)  # long enough for this read's watermark to settle at once
    busy = await world.cycle()
    assert busy.calls == {"GET /Invoices": math.ceil(changed / 100)}
    back = _back(world, busy)
    assert (back.read, back.posted, back.calls_by_id) == (changed, changed, 0)
    _clock(world).advance(60)
    assert (await world.cycle()).calls == {"GET /Invoices": 1}  # read from the new watermark
    # a read soon after its changes re-reads the overlap (the last minute) once, then settles
    for invoice, _ in _invoices(world)[:changed]:
        world.xero.add_payment(tid, invoice["InvoiceID"], "1.00")
    _clock(world).advance(60)
    assert (await world.cycle()).calls == {"GET /Invoices": math.ceil(changed / 100)}
    _clock(world).advance(600)
    assert (await world.cycle()).calls == {"GET /Invoices": math.ceil(changed / 100)}
    _clock(world).advance(600)
    assert (await world.cycle()).calls == {"GET /Invoices": 1}


async def test_partial_and_several_payments_are_each_posted_once_until_settled(
    world: World,
) -> None:
    await _settled_quietly(world)
    tid = world.tenant.tenant_id
    (invoice, cw_id), (other, other_id) = _invoices(world)[:2]
    total = Decimal(str(invoice["Total"]))
    world.xero.add_payment(tid, invoice["InvoiceID"], "10.00")
    _clock(world).advance(60)
    assert _back(world, await world.cycle()).posted == 1
    assert world.cw.payments.paid(cw_id) == Decimal("10.00")
    _clock(world).advance(600)
    world.xero.add_payment(tid, invoice["InvoiceID"], "20.00")
    world.xero.add_payment(tid, invoice["InvoiceID"], "30.00")
    world.xero.add_payment(tid, other["InvoiceID"], other["Total"])
    _clock(world).advance(60)
    two = await world.cycle()
    assert two.calls == {"GET /Invoices": 1}
    assert (_back(world, two).posted, _back(world, two).settled) == (3, 1)
    assert world.cw.payments.paid(cw_id) == Decimal("60.00")
    assert world.cw.payments.paid(other_id) == Decimal(str(other["Total"]))
    _clock(world).advance(600)
    world.xero.add_payment(tid, invoice["InvoiceID"], total - Decimal("60.00"))
    _clock(world).advance(60)
    rest = await world.cycle()
    assert (_back(world, rest).posted, _back(world, rest).settled) == (1, 1)
    assert world.cw.payments.paid(cw_id) == total
    for wait in (60, 600):  # re-read in the overlap, then not at all: nothing posted twice
        _clock(world).advance(wait)
        assert _back(world, await world.cycle()).posted == 0
    assert world.cw.payments.paid(cw_id) == total
    settled = {r.cw_id for r in await records.find(world.rt.store, f"cw-invoice:{cw_id}")}
    assert settled == {cw_id}


async def test_a_credit_note_found_by_the_changed_read_is_alerted_never_posted(
    world: World,
) -> None:
    await _settled_quietly(world)
    tid = world.tenant.tenant_id
    invoice, cw_id = _invoices(world)[0]
    world.xero.add_credit_note(
        tid,
        invoice["Contact"]["ContactID"],
        allocations=[(invoice["InvoiceID"], "5.00")],
        Total=5,
    )
    _clock(world).advance(60)
    summary = await world.cycle()
    assert summary.calls == {"GET /Invoices": 1}
    assert _back(world, summary).credits_alerted == 1
    assert world.cw.payments.paid(cw_id) == Decimal("0.00")
    [alert] = [
        a for a in await alerts.open_alerts(world.rt.store) if a.type == "cw_credit_not_applied"
    ]
    assert alert.record == f"cw-invoice:{cw_id}"


async def test_an_invoice_paid_in_xero_before_it_was_posted_gets_its_payment_once_posted(
    world: World,
) -> None:
    world.cw.fail("/finance/accounting/batches", 400)  # the first post is refused
    await world.cycle()
    tid = world.tenant.tenant_id
    waiting = await records.counts(world.rt.store)
    assert waiting[("invoice", "in_xero")] == 1
    [late] = [
        (i, cw_id) for i, cw_id in _invoices(world) if cw_id not in world.cw.accounting.posted_ids()
    ]
    invoice, cw_id = late
    _clock(world).advance(60)
    world.xero.add_payment(tid, invoice["InvoiceID"], invoice["Total"])  # paid, not yet posted
    world.cw.fail("/finance/accounting/batches", 400)  # and refused once more
    _clock(world).advance(60)
    assert _back(world, await world.cycle()).posted == 0  # not posted: nothing to pay in CW
    world.cw.fail("/finance/accounting/batches", 400)  # refused again: the watermark settles
    _clock(world).advance(600)
    assert _back(world, await world.cycle()).posted == 0
    _clock(world).advance(60)
    summary = await world.cycle()
    assert cw_id in world.cw.accounting.posted_ids()
    # one read of what changed (not the late invoice: its change is older) + one read by ID
    assert summary.calls == {"GET /Invoices": 2}
    back = _back(world, summary)
    assert (back.calls_changed, back.calls_by_id, back.posted) == (1, 1, 1)
    assert world.cw.payments.paid(cw_id) == Decimal(str(invoice["Total"]))
    _clock(world).advance(600)
    assert (await world.cycle()).calls == {"GET /Invoices": 1}  # settled and seen: no ID read


async def test_the_watermark_moves_only_after_every_payment_of_the_read_is_recorded(
    world: World,
) -> None:
    await _settled_quietly(world)
    tid = world.tenant.tenant_id
    before = await cursors.get_cursor(world.rt.store, CURSOR, tid)
    assert before is not None
    invoice, cw_id = _invoices(world)[0]
    world.xero.add_payment(tid, invoice["InvoiceID"], "3.00")
    _clock(world).advance(60)
    with payment_answers_lost(world), pytest.raises(AnswerLost):
        await world.cycle()
    assert await cursors.get_cursor(world.rt.store, CURSOR, tid) == before
    _clock(world).advance(600)
    again = await world.cycle()
    assert _back(world, again).found_after_doubt == 1 and _back(world, again).posted == 0
    assert world.cw.payments.paid(cw_id) == Decimal("3.00")
    assert await cursors.get_cursor(world.rt.store, CURSOR, tid) != before
