"""A status or type Xero adds later is ignored by the pull, never a failed page or a crash."""

from __future__ import annotations

from collections import Counter

from tests.sync.conftest import Env
from tests.sync.memory_source import learner


async def test_transactions_with_unknown_status_or_type_are_ignored(env: Env) -> None:
    env.source.put(learner("U1"))
    await env.rt.engine.run_cycle()
    [contact] = [c for c in env.sim.contacts(env.tenant_id) if c.get("ContactNumber") == "U1"]
    sim, tid, cid = env.sim, env.tenant_id, str(contact["ContactID"])
    invoice = sim.add_invoice(tid, cid, Total=200)
    payment = sim.add_payment(tid, invoice["InvoiceID"], 50)
    sim.update(tid, "Payments", payment["PaymentID"], Status="REVERSED")
    odd_credit = sim.add_credit_note(tid, cid, Total=40)
    sim.update(tid, "CreditNotes", odd_credit["CreditNoteID"], Status="PARTIALLY-VOIDED")
    odd_overpayment = sim.add_overpayment(tid, cid, Total=25)
    sim.update(tid, "Overpayments", odd_overpayment["OverpaymentID"], Type="RECEIVE-CRYPTO")
    sim.add_prepayment(tid, cid, Total=300)
    env.clock.advance(60)

    summary = await env.rt.engine.run_cycle()

    pull = summary.tenants[tid].pull
    assert pull.streams["credit_note"].ignored == 1
    assert pull.streams["overpayment"].ignored == 1
    assert pull.streams["payment"].ignored == 1
    assert Counter((tx.kind, tx.status) for tx in env.source.written) == Counter(
        {("invoice", "AUTHORISED"): 1, ("prepayment", "AUTHORISED"): 1}
    )
