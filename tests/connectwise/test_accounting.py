"""Export and posting through the accounting interface: one batch per invoice, safe to repeat."""

from __future__ import annotations

import pytest

from xerowatch.sim.connectwise import ConnectWiseSim
from xerowatch.source.connectwise import ConnectWiseError, batch_identifier
from xerowatch.source.port import SourceError

from .conftest import MakeAccounting


async def test_export_returns_gl_lines_and_posts_nothing(
    sim: ConnectWiseSim, make_accounting: MakeAccounting
) -> None:
    ids = sim.seed(customers=3, invoices=8)
    accounting = make_accounting()
    invoices = [i async for page in accounting.unposted_invoices(None) for i in page]
    exported = await accounting.export_invoices(invoices[:3], batch="preview")
    assert [int(t.id) for t in exported.transactions] == ids[:3]
    assert {c.company.id for c in exported.customers} == {
        sim.records.invoices[i].company_id for i in ids[:3]
    }
    for gl in exported.transactions:
        invoice = sim.records.invoices[int(gl.id)]
        assert gl.total == invoice.total
        assert -sum(line.total for line in gl.detail) == invoice.total  # credits balance the AR
        assert gl.entry_ids == tuple(str(e) for e in invoice.gl_entry_ids)
    assert sim.accounting.posted_ids() == set()


async def test_posting_one_invoice_takes_it_off_the_unposted_list_alone(
    sim: ConnectWiseSim, make_accounting: MakeAccounting
) -> None:
    ids = sim.seed(customers=3, invoices=5)
    accounting = make_accounting()
    invoices = [i async for page in accounting.unposted_invoices(None) for i in page]
    gl = (await accounting.export_invoices(invoices[:1], batch="b")).transactions[0]
    batch = batch_identifier(invoices[0].invoice_number, invoices[0].id)
    await accounting.post_invoice(batch, gl.entry_ids)
    assert sim.accounting.posted_ids() == {ids[0]}
    left = [i.id async for page in accounting.unposted_invoices(None) for i in page]
    assert left == ids[1:]
    assert await accounting.batch_exists(batch)


async def test_posting_again_after_a_lost_answer_is_done_not_an_error(
    sim: ConnectWiseSim, make_accounting: MakeAccounting
) -> None:
    sim.seed(customers=1, invoices=2)
    accounting = make_accounting()
    invoices = [i async for page in accounting.unposted_invoices(None) for i in page]
    gl = (await accounting.export_invoices(invoices[:1], batch="b")).transactions[0]
    await accounting.post_invoice("XW-I1", gl.entry_ids)
    sent = accounting.client.requests_sent
    await accounting.post_invoice("XW-I1", gl.entry_ids)
    assert accounting.client.requests_sent == sent + 2  # the refused POST, then the count
    assert len(sim.records.batches) == 1


async def test_a_batch_name_taken_by_another_invoice_is_an_error(
    sim: ConnectWiseSim, make_accounting: MakeAccounting
) -> None:
    sim.seed(customers=1, invoices=2)
    accounting = make_accounting()
    invoices = [i async for page in accounting.unposted_invoices(None) for i in page]
    exported = await accounting.export_invoices(invoices, batch="b")
    await accounting.post_invoice("SAME", exported.transactions[0].entry_ids)
    sim.records.batches.clear()  # deleted in ConnectWise; the record stays batched
    with pytest.raises(ConnectWiseError, match="already batched"):
        await accounting.post_invoice("SAME", exported.transactions[0].entry_ids)


async def test_an_invoice_without_gl_entries_names_the_fix(make_accounting: MakeAccounting) -> None:
    with pytest.raises(SourceError, match="fix its GL mapping in ConnectWise"):
        await make_accounting().post_invoice("XW-I1-2", ())


def test_batch_identifiers_fit_fifty_characters_and_keep_the_id() -> None:
    assert batch_identifier("000123", 456) == "XW-I000123-456"
    long = batch_identifier("N" * 80, 987654)
    assert len(long) == 50 and long.endswith("-987654")


async def test_companies_and_contacts_are_read_and_gone_ones_are_none(
    sim: ConnectWiseSim, make_accounting: MakeAccounting
) -> None:
    sim.seed(customers=3, invoices=1)
    accounting = make_accounting()
    company_id = next(iter(sim.records.companies))
    company = await accounting.company(company_id)
    assert company is not None and company.name == sim.records.companies[company_id].name
    assert company.billing_contact is not None and company.billing_contact.id is not None
    contact = await accounting.contact(company.billing_contact.id)
    assert contact is not None
    assert contact.email == sim.records.contacts[company.billing_contact.id].email
    assert await accounting.company(999_999) is None
    assert await accounting.contact(999_999) is None
    every = [c.id async for page in accounting.changed_companies(None) for c in page]
    assert every == sorted(sim.records.companies)
