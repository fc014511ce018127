"""Documents reach Xero exactly once through the outbox: crashes before or after the call, lost
answers and rejected records, against the simulator with the production transport."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from tests.sync.conftest import Env
from tests.xero.document_fixtures import invoice, journal, purchase_order
from xerowatch.sim.xero.document_routes import add_tracking_category
from xerowatch.store import document_outbox as outbox
from xerowatch.sync.documents import DocumentSender
from xerowatch.xero.client import Transport
from xerowatch.xero.document_reads import DocumentReader
from xerowatch.xero.documents import DocumentWriter
from xerowatch.xero.models_documents import DocumentKind


class Crash(BaseException):
    """Stands in for the process being killed (not an Exception: nothing may swallow it)."""


def _transport(env: Env) -> Transport:
    """The runtime's own transport: the same quota scheduler, tokens and call counter."""
    return env.rt.xero.transport


def _sender(env: Env, writer: DocumentWriter | None = None) -> DocumentSender:
    transport = _transport(env)
    return DocumentSender(
        env.rt.store, writer or DocumentWriter(transport), DocumentReader(transport)
    )


@pytest.fixture
def books(env: Env) -> Env:
    env.sim.add_contact(env.tenant_id, Name="Acme Pty", ContactNumber="CW-1")
    for i in range(30):
        env.sim.add_contact(env.tenant_id, Name=f"Parts Co {i}", ContactNumber=f"V-{i}")
    add_tracking_category(env.sim, env.tenant_id, "Region", ["North"])
    return env


def _invoice_numbers(env: Env) -> Counter[str]:
    return Counter(i["InvoiceNumber"] for i in env.sim.records(env.tenant_id, "Invoices"))


def _stored(env: Env, collection: str) -> int:
    with env.sim.lock:
        return len(env.sim.books[env.tenant_id].tenant.records.get(collection, {}))


def _writes(env: Env, path: str) -> int:
    return sum(1 for r in env.sim.requests if r.method in ("POST", "PUT") and r.path == path)


async def test_120_invoices_go_in_3_writes_and_a_bad_one_is_rejected_alone(books: Env) -> None:
    env = books
    sender = _sender(env)
    drafts = [(f"cw-invoice:{i}", invoice(f"INV-{i}")) for i in range(120)]
    drafts[5] = ("cw-invoice:5", invoice("INV-5", Contact={"ContactNumber": "NOPE"}))
    await sender.submit(env.tenant_id, drafts)
    summary = await sender.flush(env.tenant, DocumentKind.INVOICE)
    assert (summary.created, summary.rejected, summary.stopped_by) == (119, 1, None)
    assert _writes(env, "/Invoices") == 3
    assert len(_invoice_numbers(env)) == 119
    keys = ["accrec:inv-5", "accrec:inv-6"]
    rows = await outbox.get_documents(env.rt.store, env.tenant_id, "invoice", keys)
    assert rows["accrec:inv-5"].state == "rejected"
    assert rows["accrec:inv-5"].last_error == "The contact 'NOPE' could not be found."
    assert rows["accrec:inv-6"].state == "done" and rows["accrec:inv-6"].total == "20.01"
    again = await sender.flush(env.tenant, DocumentKind.INVOICE)
    assert again.created == 0 and _writes(env, "/Invoices") == 3


async def test_killed_after_the_batch_is_committed_but_before_the_call(books: Env) -> None:
    env = books

    class Dying(DocumentWriter):
        async def write(self, *args: Any, **kwargs: Any) -> Any:
            raise Crash

    await _sender(env).submit(env.tenant_id, [(f"r{i}", invoice(f"INV-{i}")) for i in range(60)])
    with pytest.raises(Crash):
        await _sender(env, Dying(_transport(env))).flush(env.tenant, DocumentKind.INVOICE)
    assert len(await outbox.in_doubt(env.rt.store, env.tenant_id, "invoice")) == 50
    summary = await _sender(env).flush(env.tenant, DocumentKind.INVOICE)
    assert (summary.reconciled_found, summary.reconciled_missing) == (0, 50)
    assert _invoice_numbers(env) == Counter({f"INV-{i}": 1 for i in range(60)})


@contextmanager
def _answers_lost(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Xero applies the write, then the process dies before recording the results."""

    async def die(*args: object, **kwargs: object) -> None:
        raise Crash

    monkeypatch.setattr(outbox, "settle", die)
    try:
        yield
    finally:
        monkeypatch.undo()


@pytest.mark.parametrize(
    ("kind", "path", "make"),
    [
        (
            DocumentKind.INVOICE,
            "/Invoices",
            lambda i: invoice(f"INV-{i}", kind="ACCPAY", Contact={"ContactNumber": "V-1"}),
        ),
        (DocumentKind.PURCHASE_ORDER, "/PurchaseOrders", lambda i: purchase_order(f"PO-{i}")),
        (DocumentKind.MANUAL_JOURNAL, "/ManualJournals", lambda i: journal(f"CW inventory {i}")),
    ],
)
async def test_killed_after_xero_applied_the_batch_reconciles_without_resending(
    books: Env, monkeypatch: pytest.MonkeyPatch, kind: DocumentKind, path: str, make: Any
) -> None:
    env = books
    sender = _sender(env)
    await sender.submit(env.tenant_id, [(f"r{i}", make(i)) for i in range(30)])
    with _answers_lost(monkeypatch), pytest.raises(Crash):
        await sender.flush(env.tenant, kind)
    collection = path.strip("/")
    assert _stored(env, collection) == 30  # Xero has them, the store does not know
    summary = await _sender(env).flush(env.tenant, kind)
    assert (summary.reconciled_found, summary.created) == (30, 0)
    assert _writes(env, path) == 1
    assert _stored(env, collection) == 30
    rows = await outbox.in_doubt(env.rt.store, env.tenant_id, kind.value)
    assert rows == []


async def test_applied_then_answered_503_replays_by_idempotency_key(books: Env) -> None:
    env = books
    env.sim.faults.add("apply_then_503", match="POST /Invoices", times=1)
    sender = _sender(env)
    await sender.submit(env.tenant_id, [(f"r{i}", invoice(f"INV-{i}")) for i in range(10)])
    summary = await sender.flush(env.tenant, DocumentKind.INVOICE)
    assert summary.created == 10
    keys = [
        r.idempotency_key for r in env.sim.requests if (r.method, r.path) == ("POST", "/Invoices")
    ]
    assert len(keys) == 2 and keys[0] == keys[1]
    assert _invoice_numbers(env) == Counter({f"INV-{i}": 1 for i in range(10)})


async def test_a_corrected_rejected_record_is_sent_again(books: Env) -> None:
    env = books
    sender = _sender(env)
    await sender.submit(
        env.tenant_id, [("r1", invoice("INV-1", Contact={"ContactNumber": "NOPE"}))]
    )
    assert (await sender.flush(env.tenant, DocumentKind.INVOICE)).rejected == 1
    await sender.submit(env.tenant_id, [("r1", invoice("INV-1"))])
    assert (await sender.flush(env.tenant, DocumentKind.INVOICE)).created == 1
    assert _invoice_numbers(env) == Counter({"INV-1": 1})


async def test_payments_and_credits_on_synced_invoices_come_back(books: Env) -> None:
    env = books
    sender = _sender(env)
    await sender.submit(env.tenant_id, [(f"r{i}", invoice(f"INV-{i}")) for i in range(3)])
    await sender.flush(env.tenant, DocumentKind.INVOICE)
    rows = await outbox.get_documents(
        env.rt.store, env.tenant_id, "invoice", [f"accrec:inv-{i}" for i in range(3)]
    )
    ids = {key: UUID(row.xero_id or "") for key, row in rows.items()}
    paid, credited = ids["accrec:inv-0"], ids["accrec:inv-1"]
    env.sim.add_payment(env.tenant_id, str(paid), "20.01", Reference="EFT 991")
    contact = env.sim.get(env.tenant_id, "Invoices", str(credited))
    assert contact is not None
    env.sim.add_credit_note(
        env.tenant_id, contact["Contact"]["ContactID"], [(str(credited), 5)], Total=5
    )
    reads_before = len(env.sim.requests)
    settled = await DocumentReader(_transport(env)).settlements(
        list(ids.values()), tenant=env.tenant
    )
    assert len(env.sim.requests) - reads_before == 1
    assert settled[paid].status == "PAID"
    assert [(p.amount, p.reference) for p in settled[paid].payments] == [
        (Decimal("20.01"), "EFT 991")
    ]
    assert settled[credited].amount_credited == Decimal(5)
    assert settled[credited].payments == [] and len(settled[credited].credit_notes) == 1
    assert settled[ids["accrec:inv-2"]].amount_due == Decimal("20.01")
