"""The issue's scale through the ConnectWise side: 500 customers, 5,000 invoices, ~20,000 lines."""

from __future__ import annotations

import math
from decimal import Decimal

from xerowatch.sim.connectwise import ConnectWiseSim
from xerowatch.sync.connectwise_mapping import Held, map_invoice

from .conftest import MakeAccounting

INVOICES = 5_000


async def test_every_invoice_is_read_exported_and_mapped_to_the_cent_in_minimum_calls(
    sim: ConnectWiseSim, make_accounting: MakeAccounting
) -> None:
    sim.seed(customers=500, invoices=INVOICES, lines=4, expenses=0, purchases=0)
    lines = sum(len(i.lines) for i in sim.records.invoices.values())
    assert 18_000 <= lines <= 24_000
    accounting = make_accounting(
        page_size=1000,
        tax_types={"GST": "OUTPUT"},
        tax_rates={"OUTPUT": Decimal(10)},
        rounding_account_code="860",
    )
    settings = accounting.settings
    read = mapped = 0
    connectwise_sum = xero_sum = Decimal(0)
    async for page in accounting.unposted_invoices(None):
        exported = await accounting.export_invoices(page, batch="scale")
        assert [int(t.id) for t in exported.transactions] == [i.id for i in page]
        read += len(page)
        for gl in exported.transactions:
            result = map_invoice(gl, str(gl.company.id if gl.company else ""), settings)
            assert not isinstance(result, Held), result
            mapped += 1
            connectwise_sum += gl.total
            xero_sum += result.draft.lines_total() + result.xero_tax
    assert read == mapped == INVOICES
    assert xero_sum == connectwise_sum
    # one list call and one export per page of 1,000: the minimum for reading and exporting
    assert accounting.client.requests_sent == 2 * math.ceil(INVOICES / 1000)
    assert sim.accounting.posted_ids() == set()
