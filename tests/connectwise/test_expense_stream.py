"""The expense stream end to end (ConnectWise expenses → Xero bills and, for Personal expenses,
supplier credit notes → posted in ConnectWise), both simulators on loopback, through
`run_cycle`; call counts are exact."""

from __future__ import annotations

import math
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.connectwise.expense_world import expense_world
from tests.connectwise.stream_world import World
from xerowatch.cli.sync_cmds import cycle_summary_lines
from xerowatch.sim.connectwise.data import SimExpense
from xerowatch.store import alerts, document_outbox
from xerowatch.store import connectwise_records as records

EXPENSES = 1000


def _bills(world: World) -> list[dict[str, Any]]:
    return [i for i in world.xero_invoices() if i["Type"] == "ACCPAY"]


def _credit_notes(world: World) -> list[dict[str, Any]]:
    return world.xero.records(world.tenant.tenant_id, "CreditNotes")


def _weeks(expenses: list[SimExpense]) -> dict[tuple[str, int, int, bool], list[SimExpense]]:
    """Weekly documents: per member, ISO week and kind (Personal ones on a credit note)."""
    groups: dict[tuple[str, int, int, bool], list[SimExpense]] = {}
    for e in expenses:
        year, week, _ = e.date.date().isocalendar()
        groups.setdefault((e.member, year, week, e.classification == "Personal"), []).append(e)
    return groups


def _totals(groups: list[list[SimExpense]]) -> list[Decimal]:
    return sorted(sum((e.amount for e in g), Decimal(0)) for g in groups)


@pytest.mark.parametrize("grouping", ["none", "weekly"])
async def test_a_thousand_expenses_reach_xero_to_the_cent_in_minimum_calls(
    tmp_path: Path, grouping: str
) -> None:
    async with expense_world(tmp_path, expenses=EXPENSES, grouping=grouping) as world:
        expenses = list(world.cw.records.expenses.values())
        members = {e.member_id for e in expenses}
        personal = [e for e in expenses if e.classification == "Personal"]
        assert 250 < len(personal) < 400  # the seed's third: credit notes, not held
        if grouping == "none":
            bill_groups = [[e] for e in expenses if e.classification != "Personal"]
            credit_groups = [[e] for e in personal]
        else:
            weeks = _weeks(expenses)
            bill_groups = [g for (_, _, _, credit), g in weeks.items() if not credit]
            credit_groups = [g for (_, _, _, credit), g in weeks.items() if credit]
        bills, credits = len(bill_groups), len(credit_groups)
        summary = await world.cycle()
        assert summary.failures == [], summary.failures
        assert await alerts.open_alerts(world.rt.store) == []
        docs = summary.connectwise[world.tenant.tenant_id].documents["expense"]
        assert (docs.read, docs.queued, docs.held, docs.created, docs.posted) == (
            EXPENSES,
            EXPENSES,
            0,
            EXPENSES,
            EXPENSES,
        )
        assert docs.contacts_created == len(members) == 4
        printed = "\n".join(cycle_summary_lines(summary))  # what `sync --once` shows
        assert f"connectwise → xero {world.tenant.tenant_id}:\n" in printed
        assert "\n  expenses: 1000 read, " in printed
        assert "1000 in Xero, 0 refused, 0 in doubt; 1000 posted in ConnectWise" in printed
        # one directory read, ceil(members/50) contact writes, ceil(n/50) per document kind
        assert summary.calls == {
            "GET /Contacts": 1,
            "POST /Contacts": math.ceil(len(members) / 50),
            "POST /Invoices": math.ceil(bills / 50),
            "PUT /CreditNotes": math.ceil(credits / 50),
        }
        in_xero, notes = _bills(world), _credit_notes(world)
        assert (len(in_xero), len(notes)) == (bills, credits)
        assert len({b["InvoiceNumber"] for b in in_xero}) == bills
        assert len({n["CreditNoteNumber"] for n in notes}) == credits
        assert {n["Type"] for n in notes} == {"ACCPAYCREDIT"}
        assert {n["Status"] for n in notes} == {"AUTHORISED"}
        # every bill and every credit note, to the cent
        assert sorted(Decimal(str(b["Total"])) for b in in_xero) == _totals(bill_groups)
        assert sorted(Decimal(str(n["Total"])) for n in notes) == _totals(credit_groups)
        assert sum(Decimal(str(n["RemainingCredit"])) for n in notes) == sum(
            (e.amount for e in personal), Decimal(0)
        )
        contacts = {
            c["ContactNumber"]: c["Name"] for c in world.xero.contacts(world.tenant.tenant_id)
        }
        assert contacts == {f"CWM-{e.member}": e.member_name for e in expenses}
        assert {n["Contact"]["ContactNumber"] for n in notes} <= set(contacts)
        assert all(e.batch is not None for e in expenses)  # posted in ConnectWise
        assert len({e.batch for e in expenses}) == bills + credits  # one batch per document
        assert all(len(e.batch or "") <= 50 for e in expenses)
        assert await records.counts(world.rt.store) == {
            ("expense", "posted"): EXPENSES,
            ("member", "done"): 4,
        }
        again = await world.cycle()
        assert again.calls == {} and again.failures == []
        assert again.connectwise[world.tenant.tenant_id].documents["expense"].read == 0


class Crash(BaseException):
    """Stands in for the process being killed between Xero's answer and our commit."""


async def test_a_held_expense_alerts_once_blocks_no_other_and_r_re_reads_it(
    tmp_path: Path,
) -> None:
    from xerowatch.sync.commands import enqueue

    async with expense_world(tmp_path, expenses=120) as world:
        held = world.cw.records.expenses[min(world.cw.records.expenses)]
        held.classification = "Mileage"  # no account configured for it
        summary = await world.cycle()
        docs = summary.connectwise[world.tenant.tenant_id].documents["expense"]
        assert (docs.held, docs.created, docs.posted) == (1, 119, 119)
        [alert] = await alerts.open_alerts(world.rt.store)
        assert (alert.type, alert.record) == ("cw_expense_held", f"cw-expense:{held.id}")
        assert "Mileage" in alert.message
        assert "expense_account_codes.Mileage" in (alert.fix or "")
        assert held.batch is None and len(_bills(world)) + len(_credit_notes(world)) == 119
        again = await world.cycle()  # unchanged: not read again, no second alert
        assert again.calls == {} and len(await alerts.open_alerts(world.rt.store)) == 1
        held.classification = "Reimbursable"  # fixed without touching lastUpdated
        await enqueue(world.rt.store, "retry", {"ref": f"cw-expense:{held.id}"})
        summary = await world.cycle()
        [said] = summary.commands
        assert "will be read again" in said
        docs = summary.connectwise[world.tenant.tenant_id].documents["expense"]
        assert (docs.queued, docs.created, docs.posted) == (1, 1, 1)
        assert summary.calls == {"POST /Invoices": 1}  # the member's contact is unchanged
        assert held.batch == f"XW-E{held.id}"
        assert await alerts.open_alerts(world.rt.store) == []


@pytest.mark.parametrize("crash_kind", ["invoice", "credit_note"])
async def test_a_crash_between_xeros_answer_and_our_commit_makes_no_duplicate_document(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, crash_kind: str
) -> None:
    async with expense_world(tmp_path, expenses=120, grouping="weekly") as world:
        real_settle = document_outbox.settle

        async def crash_on_done(*args: Any, **kwargs: Any) -> None:
            if args[2] == crash_kind and any(s.state == "done" for s in args[3]):
                raise Crash
            await real_settle(*args, **kwargs)

        monkeypatch.setattr(document_outbox, "settle", crash_on_done)
        with pytest.raises(Crash):
            await world.cycle()
        monkeypatch.undo()
        crashed = _bills(world) if crash_kind == "invoice" else _credit_notes(world)
        assert len(crashed) > 0  # the batch reached Xero
        assert all(e.batch is None for e in world.cw.records.expenses.values())  # none posted
        summary = await world.cycle()
        assert summary.failures == []
        lookup = "GET /Invoices" if crash_kind == "invoice" else "GET /CreditNotes"
        assert summary.calls[lookup] == 1  # the batch in doubt is looked up by number, once
        groups = _weeks(list(world.cw.records.expenses.values()))
        numbers = Counter(b["InvoiceNumber"] for b in _bills(world))
        noted = Counter(n["CreditNoteNumber"] for n in _credit_notes(world))
        assert len(numbers) + len(noted) == len(groups)
        assert set(numbers.values()) == set(noted.values()) == {1}
        assert all(n.startswith("EXPCR-") for n in noted)
        assert all(e.batch is not None for e in world.cw.records.expenses.values())


async def test_a_refused_post_alerts_and_is_posted_on_the_next_run_without_touching_xero(
    tmp_path: Path,
) -> None:
    async with expense_world(tmp_path, expenses=10) as world:
        world.cw.fail("/finance/accounting/batches", 400, times=1)
        summary = await world.cycle()
        docs = summary.connectwise[world.tenant.tenant_id].documents["expense"]
        assert (docs.created, docs.posted) == (10, 9) and len(docs.problems) == 1
        [alert] = await alerts.open_alerts(world.rt.store)
        assert alert.type == "cw_post_failed" and alert.record.startswith("cw-expense:")
        summary = await world.cycle()
        assert summary.calls == {}  # Xero is not touched
        assert summary.connectwise[world.tenant.tenant_id].documents["expense"].posted == 1
        assert all(e.batch is not None for e in world.cw.records.expenses.values())
        assert await alerts.open_alerts(world.rt.store) == []


async def test_a_member_whose_name_an_unnumbered_contact_has_holds_only_its_expenses(
    tmp_path: Path,
) -> None:
    """The learner path's duplicate rule for members: alert on the member, its expenses held,
    every other member's expenses go; an existing numbered contact is updated, not duplicated."""
    async with expense_world(tmp_path, expenses=120) as world:
        tid = world.tenant.tenant_id
        world.xero.add_contact(tid, Name="Jo Smith")  # entered by hand, no ContactNumber
        world.xero.add_contact(tid, Name="Anika P", ContactNumber="CWM-apatel")
        expenses = list(world.cw.records.expenses.values())
        jo = [e for e in expenses if e.member == "jsmith"]
        summary = await world.cycle()
        docs = summary.connectwise[tid].documents["expense"]
        assert (docs.held, docs.posted) == (len(jo), len(expenses) - len(jo))
        assert (docs.contacts_created, docs.contacts_updated) == (2, 1)
        opened = Counter(
            (a.type, a.record.split(":")[0]) for a in await alerts.open_alerts(world.rt.store)
        )
        assert opened == {
            ("xero_duplicate_name", "cw-member"): 1,
            ("cw_expense_held", "cw-expense"): len(jo),
        }
        numbers = Counter(c.get("ContactNumber") for c in world.xero.contacts(tid))
        assert numbers["CWM-apatel"] == 1 and "CWM-jsmith" not in numbers
        assert all(e.batch is None for e in jo)


def test_document_batch_identifiers_stay_within_50_characters_and_keep_the_ids() -> None:
    from xerowatch.source.connectwise.accounting import document_batch_identifier

    assert document_batch_identifier("E", "1234") == "XW-E1234"
    long = document_batch_identifier("E", "a-very-very-long-member-identifier-2026W48-99887766")
    assert len(long) == 50 and long.startswith("XW-E") and long.endswith("-2026W48-99887766")
