"""Every Xero request the ConnectWise stream sends in a real cycle (directory read, contact
batches, invoice batches, the in-doubt lookup after a crash), checked against the official spec."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest

from tests.connectwise.stream_world import World, world
from tests.spec import API_HOST, API_PREFIX, validate_request
from xerowatch.store import document_outbox

__all__ = ["world"]

pytestmark = [
    pytest.mark.contract,
    pytest.mark.filterwarnings("ignore:Unsupported scheme type:UserWarning"),
]


def _as_xero(request: httpx.Request) -> httpx.Request:
    """The captured request as it would reach api.xero.com (the simulator's host swapped)."""
    path = request.url.raw_path.decode("ascii")
    path = API_PREFIX + path.split(API_PREFIX, 1)[1]
    return httpx.Request(
        request.method, API_HOST + path, headers=request.headers, content=request.content
    )


def _api_requests(w: World) -> list[httpx.Request]:
    return [r for r in w.transport.seen if API_PREFIX in r.url.path]


class Crash(BaseException):
    """Stands in for the process being killed between Xero's answer and our commit."""


async def test_every_request_of_a_cycle_and_its_recovery_is_valid_by_the_spec(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_settle = document_outbox.settle

    async def crash_on_done(*args: Any, **kwargs: Any) -> None:
        if any(s.state == "done" for s in args[3]):
            raise Crash
        await real_settle(*args, **kwargs)

    monkeypatch.setattr(document_outbox, "settle", crash_on_done)
    with pytest.raises(Crash):
        await world.cycle()
    monkeypatch.undo()
    await world.cycle()
    sent = _api_requests(world)
    kinds = Counter(f"{r.method} {r.url.path.split(API_PREFIX, 1)[1]}" for r in sent)
    # the lookup of the batch in doubt is a GET /Invoices; everything else is a write or the
    # directory read
    assert set(kinds) == {"GET /Contacts", "POST /Contacts", "GET /Invoices", "POST /Invoices"}
    for request in sent:
        validate_request(_as_xero(request))
