"""The customer + invoice stream end to end, both simulators on loopback, through `run_cycle`."""

from __future__ import annotations

import math
from collections import Counter
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
from xerowatch.store import alerts, document_outbox
from xerowatch.store import connectwise_records as records

__all__ = ["world"]


async def test_a_seeded_world_reaches_xero_to_the_cent_in_minimum_calls_and_is_posted_after(
    world: World,
) -> None:
    invoices = list(world.cw.records.invoices.values())
    companies = {i.company_id for i in invoices}
    summary = await world.cycle()
    assert summary.failures == [], summary.failures
    opened = Counter(a.type for a in await alerts.open_alerts(world.rt.store))
    assert set(opened) == {"cw_customer_email"}, opened  # seeded "chloé.…@example.com"
    cw = summary.connectwise[world.tenant.tenant_id]
    assert (cw.read, cw.queued, cw.held, cw.created, cw.posted) == (
        INVOICES,
        INVOICES,
        0,
        INVOICES,
        INVOICES,
    )
    assert cw.contacts_created == len(companies)
    # Xero: one directory read, ceil(n/50) contact writes, ceil(n/50) invoice writes, and the
    # payments-back read: the sales invoices changed (all of them, one page of 1,000, cheaper
    # than ceil(300/35) reads by ID) — nothing else
    assert summary.calls == {
        "GET /Contacts": 1,
        "POST /Contacts": math.ceil(len(companies) / 50),
        "POST /Invoices": math.ceil(INVOICES / 50),
        "GET /Invoices": 1,
    }
    in_xero = world.xero_invoices()
    assert Counter(i["InvoiceNumber"] for i in in_xero) == Counter({i.number: 1 for i in invoices})
    by_number = {i["InvoiceNumber"]: Decimal(str(i["Total"])) for i in in_xero}
    wrong = [(i.number, i.total) for i in invoices if by_number[i.number] != i.total]
    assert wrong == []  # each one, to the cent
    assert sum(by_number.values()) == sum(i.total for i in invoices)
    contacts = world.xero.contacts(world.tenant.tenant_id)
    assert sorted(c["ContactNumber"] for c in contacts) == sorted(str(c) for c in companies)
    # a billing contact who is not the primary one is kept as a contact person, by name
    people = [p for c in contacts for p in c.get("ContactPersons", [])]
    assert people and all(p.get("FirstName") or p.get("LastName") for p in people)
    assert world.cw.accounting.posted_ids() == {i.id for i in invoices}
    counts = await records.counts(world.rt.store)
    assert counts == {("invoice", "posted"): INVOICES, ("customer", "done"): len(companies)}

    again = await world.cycle()  # sends nothing: only the payments-back read of changed invoices
    assert again.calls == {"GET /Invoices": 1} and again.failures == []
    assert again.connectwise[world.tenant.tenant_id].read == 0


async def test_nothing_is_posted_in_connectwise_before_xero_has_it(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash after Xero answered and before the outbox recorded it: nothing posted, no
    duplicate; the next cycle finds the invoices in Xero, records them and only then posts."""
    real_settle = document_outbox.settle

    class Crash(BaseException):
        pass

    async def crash_on_done(*args: Any, **kwargs: Any) -> None:
        settlements = args[3]
        if any(s.state == "done" for s in settlements):
            raise Crash
        await real_settle(*args, **kwargs)

    monkeypatch.setattr(document_outbox, "settle", crash_on_done)
    with pytest.raises(Crash):
        await world.cycle()
    monkeypatch.undo()
    assert len(world.xero_invoices()) == 50  # the first batch reached Xero
    assert world.cw.accounting.posted_ids() == set()  # but nothing is posted in ConnectWise
    summary = await world.cycle()
    assert summary.failures == []
    numbers = Counter(i["InvoiceNumber"] for i in world.xero_invoices())
    assert len(numbers) == INVOICES and set(numbers.values()) == {1}
    assert world.cw.accounting.posted_ids() == set(world.cw.records.invoices)


async def test_a_contact_write_lost_in_flight_is_found_by_its_number_not_created_again(
    world: World,
) -> None:
    real = world.rt.xero.upsert_contacts

    class Crash(BaseException):
        pass

    async def answer_lost(*args: Any, **kwargs: Any) -> Any:
        await real(*args, **kwargs)
        raise Crash

    world.rt.xero.upsert_contacts = answer_lost  # type: ignore[method-assign]
    with pytest.raises(Crash):
        await world.cycle()
    world.rt.xero.upsert_contacts = real  # type: ignore[method-assign]
    assert world.xero_invoices() == []
    summary = await world.cycle()
    assert summary.failures == []
    numbers = Counter(c["ContactNumber"] for c in world.xero.contacts(world.tenant.tenant_id))
    assert set(numbers.values()) == {1} and len(numbers) == len(
        {i.company_id for i in world.cw.records.invoices.values()}
    )
    assert len(world.xero_invoices()) == INVOICES


async def test_a_held_invoice_alerts_with_its_fix_and_blocks_no_other(world: World) -> None:
    held = next(iter(world.cw.records.invoices.values()))
    held.invoice_type = "CreditMemo"
    summary = await world.cycle()
    cw = summary.connectwise[world.tenant.tenant_id]
    assert (cw.held, cw.created, cw.posted) == (1, INVOICES - 1, INVOICES - 1)
    [alert] = [a for a in await alerts.open_alerts(world.rt.store) if a.type == "cw_invoice_held"]
    assert alert.record == f"cw-invoice:{held.id}" and "credit memo" in alert.message
    assert held.id not in world.cw.accounting.posted_ids()


async def test_r_re_sends_just_the_held_record_once_its_cause_is_fixed(world: World) -> None:
    from xerowatch.sync.commands import enqueue

    held = next(iter(world.cw.records.invoices.values()))
    held.invoice_type = "CreditMemo"
    await world.cycle()
    held.invoice_type = "Standard"  # fixed without touching lastUpdated (like a config fix)
    quiet = await world.cycle()
    assert quiet.connectwise[world.tenant.tenant_id].created == 0  # not re-read by itself
    await enqueue(world.rt.store, "retry", {"ref": "nope"})
    await enqueue(world.rt.store, "retry", {"ref": f"cw-invoice:{held.id}"})
    summary = await world.cycle()
    unknown, known = summary.commands
    assert "no ConnectWise record nope" in unknown and "will be read again" in known
    cw = summary.connectwise[world.tenant.tenant_id]
    assert (cw.created, cw.posted) == (1, 1)
    assert held.id in world.cw.accounting.posted_ids()
    assert not [a for a in await alerts.open_alerts(world.rt.store) if a.type == "cw_invoice_held"]


async def test_payments_come_back_once_and_credit_notes_are_alerted_never_faked(
    world: World,
) -> None:
    await world.cycle()
    tid = world.tenant.tenant_id
    xero = {i["InvoiceNumber"]: i for i in world.xero_invoices()}
    cw = {i.number: i for i in world.cw.records.invoices.values()}
    full, partial, credited = sorted(cw)[:3]
    world.xero.add_payment(tid, xero[full]["InvoiceID"], xero[full]["Total"])
    world.xero.add_payment(tid, xero[partial]["InvoiceID"], "10.00")
    world.xero.add_credit_note(
        tid,
        xero[credited]["Contact"]["ContactID"],
        allocations=[(xero[credited]["InvoiceID"], "5.00")],
        Total=5,
    )
    # the first payment's answer is lost after ConnectWise applied it
    with payment_answers_lost(world), pytest.raises(AnswerLost):
        await world.cycle()
    summary = await world.cycle()
    back = summary.connectwise[tid].payments
    assert (back.posted + back.found_after_doubt, back.found_after_doubt) == (2, 1)
    assert back.credits_alerted == 1 and back.settled == 1
    assert world.cw.payments.paid(cw[full].id) == cw[full].total  # once, not twice
    assert world.cw.payments.paid(cw[partial].id) == Decimal("10.00")
    assert world.cw.payments.paid(cw[credited].id) == Decimal("0.00")
    [alert] = [
        a for a in await alerts.open_alerts(world.rt.store) if a.type == "cw_credit_not_applied"
    ]
    assert (
        "cannot apply credits" in alert.message and alert.record == f"cw-invoice:{cw[credited].id}"
    )
    later = await world.cycle()  # nothing posted twice; one read of what changed
    assert later.connectwise[tid].payments.posted == 0
    assert later.calls == {"GET /Invoices": 1}


async def test_connectwise_down_is_one_alert_and_a_failed_cycle_then_it_recovers(
    world: World,
) -> None:
    world.cw.fail("/finance/accounting/unpostedinvoices", 503, times=50)
    summary = await world.cycle()
    [failure] = summary.failures
    assert failure.startswith("could not reach ConnectWise:") and "[connectwise]" in failure
    [alert] = await alerts.open_alerts(world.rt.store)
    assert alert.type == "source_unavailable" and alert.fix
    assert world.xero_invoices() == []
    world.cw.faults.clear()
    again = await world.cycle()
    assert again.failures == [] and again.connectwise[world.tenant.tenant_id].posted == INVOICES
    assert "source_unavailable" not in {a.type for a in await alerts.open_alerts(world.rt.store)}
