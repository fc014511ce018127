"""Every Xero request the procurement streams send in a real cycle (directory read, vendor
contact batches, purchase orders, packing-slip bills, manual journals, the in-doubt lookups
after a crash), checked against the official spec."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tests.connectwise.procurement_world import PURCHASES, procurement_world, stored
from tests.connectwise.stream_world import World
from tests.contract.test_connectwise_stream_requests import Crash, _api_requests, _as_xero
from tests.spec import API_PREFIX, validate_request
from xerowatch.store import document_outbox

__all__ = ["procurement_world"]

pytestmark = [
    pytest.mark.contract,
    pytest.mark.filterwarnings("ignore:Unsupported scheme type:UserWarning"),
]


async def test_every_procurement_request_and_its_recovery_is_valid_by_the_spec(
    procurement_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = procurement_world
    real_settle = document_outbox.settle
    crashed: set[str] = set()

    async def crash_on_done(*args: Any, **kwargs: Any) -> None:
        kind = args[2]
        if any(s.state == "done" for s in args[3]) and kind not in crashed:
            crashed.add(kind)
            raise Crash  # one batch of each kind ends in doubt, then is looked up
        await real_settle(*args, **kwargs)

    monkeypatch.setattr(document_outbox, "settle", crash_on_done)
    for _ in range(3):
        with pytest.raises(Crash):
            await w.cycle()
    monkeypatch.undo()
    summary = await w.cycle()
    assert summary.failures == []
    assert crashed == {"purchase_order", "invoice", "manual_journal"}
    orders = Counter(o["PurchaseOrderNumber"] for o in stored(w, "PurchaseOrders"))
    assert len(orders) == PURCHASES and set(orders.values()) == {1}  # no duplicate
    journals = Counter(j["Narration"] for j in stored(w, "ManualJournals"))
    assert set(journals.values()) == {1}
    sent = _api_requests(w)
    kinds = Counter(f"{r.method} {r.url.path.split(API_PREFIX, 1)[1]}" for r in sent)
    assert set(kinds) == {
        "GET /Contacts",
        "POST /Contacts",
        "POST /PurchaseOrders",
        "GET /PurchaseOrders",
        "POST /Invoices",
        "GET /Invoices",
        "PUT /ManualJournals",
        "GET /ManualJournals",
    }, kinds
    for request in sent:
        validate_request(_as_xero(request))
