"""`xerowatch sync --once` with source.kind connectwise, SIGKILLed at points inside its Xero and
ConnectWise writes, then run again: no duplicate contact or invoice in Xero, every invoice posted
in ConnectWise exactly once and only after Xero had it — through the real entry point."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.cli.proc import xerowatch
from tests.e2e.connectwise_world import kill_when, served

INVOICES = 300
SEED = {"customers": 50, "invoices": INVOICES, "lines": 4, "expenses": 0, "purchases": 0}


@pytest.mark.parametrize(
    "point",
    ["first contact batch", "second invoice batch", "tenth ConnectWise post"],
)
def test_sigkill_inside_the_writes_leaves_no_duplicate(tmp_path: Path, point: str) -> None:
    with served(tmp_path, seed=SEED) as world:
        reached = {
            "first contact batch": lambda: world.xero_writes("/Contacts") >= 1,
            "second invoice batch": lambda: world.xero_writes("/Invoices") >= 2,
            "tenth ConnectWise post": lambda: world.cw_posts() >= 10,
        }[point]
        kill_when(world, reached)
        posted_before = set(world.cw.accounting.posted_ids())
        in_xero = {i["InvoiceNumber"] for i in world.xero.records(world.tenant_id, "Invoices")}
        numbers = {i.id: i.number for i in world.cw.records.invoices.values()}
        assert {numbers[i] for i in posted_before} <= in_xero  # never posted before Xero had it
        assert len(posted_before) < INVOICES  # the kill came before the run was done

        done = xerowatch("sync", "--once", config=world.config, timeout=120)
        assert done.returncode in (0, 4), done.stdout + done.stderr
        assert "Traceback" not in done.stderr

        invoices = Counter(
            i["InvoiceNumber"] for i in world.xero.records(world.tenant_id, "Invoices")
        )
        assert len(invoices) == INVOICES and set(invoices.values()) == {1}
        contacts = Counter(c["ContactNumber"] for c in world.xero.contacts(world.tenant_id))
        assert set(contacts.values()) == {1}
        names = Counter(c["Name"] for c in world.xero.contacts(world.tenant_id))
        assert set(names.values()) == {1}
        assert world.cw.accounting.posted_ids() == set(world.cw.records.invoices)
