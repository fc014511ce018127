"""Every Xero request the expense stream sends in a real cycle (directory read, member contact
batch, bill and supplier credit-note batches, the in-doubt lookup after a crash), checked
against the official spec."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.connectwise.expense_world import expense_world
from tests.contract.test_connectwise_stream_requests import Crash, _api_requests, _as_xero
from tests.spec import API_PREFIX, validate_request
from xerowatch.store import document_outbox

pytestmark = [
    pytest.mark.contract,
    pytest.mark.filterwarnings("ignore:Unsupported scheme type:UserWarning"),
]


@pytest.mark.parametrize(
    ("grouping", "crash_kind"), [("none", "invoice"), ("weekly", "credit_note")]
)
async def test_every_request_of_an_expense_cycle_and_its_recovery_is_valid_by_the_spec(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, grouping: str, crash_kind: str
) -> None:
    async with expense_world(tmp_path, expenses=120, grouping=grouping) as world:
        real_settle = document_outbox.settle

        async def crash_on_done(*args: Any, **kwargs: Any) -> None:
            if args[2] == crash_kind and any(s.state == "done" for s in args[3]):
                raise Crash
            await real_settle(*args, **kwargs)

        monkeypatch.setattr(document_outbox, "settle", crash_on_done)
        with pytest.raises(Crash):
            await world.cycle()
        monkeypatch.undo()
        await world.cycle()
        sent = _api_requests(world)
        kinds = Counter(f"{r.method} {r.url.path.split(API_PREFIX, 1)[1]}" for r in sent)
        lookup = "GET /Invoices" if crash_kind == "invoice" else "GET /CreditNotes"
        assert set(kinds) == {
            "GET /Contacts",
            "POST /Contacts",
            "POST /Invoices",
            "PUT /CreditNotes",
            lookup,
        }
        bills = [r for r in sent if r.method == "POST" and r.url.path.endswith("/Invoices")]
        assert all(b'"ACCPAY"' in r.content and b'"ContactID"' in r.content for r in bills)
        notes = [r for r in sent if r.url.path.endswith("/CreditNotes")]
        writes = [r for r in notes if r.method == "PUT"]
        assert all(b'"ACCPAYCREDIT"' in r.content and b'"ContactID"' in r.content for r in writes)
        assert all(r.url.params["summarizeErrors"] == "false" for r in writes)
        assert all(r.headers.get("Idempotency-Key") for r in writes)
        if crash_kind == "credit_note":
            [read] = [r for r in notes if r.method == "GET"]
            assert 'CreditNoteNumber=="EXPCR-' in read.url.params["where"]
        for request in sent:
            validate_request(_as_xero(request))
