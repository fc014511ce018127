"""Every Wisenet retry is one INFO line with its cause (faults were retried silently)."""

from __future__ import annotations

import logging

import httpx
import pytest
import respx

from tests.source.test_wisenet_client import BASE, KEY, client, clock  # noqa: F401 (fixtures)
from xerowatch.source.wisenet.client import WisenetClient


@respx.mock
async def test_each_retry_logs_its_cause_at_info(
    client: WisenetClient,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="xerowatch.source.wisenet.client")
    respx.get(f"{BASE}/combos/states").mock(
        side_effect=[
            httpx.Response(503),
            httpx.ConnectError("refused"),
            httpx.Response(200, json=[]),
        ]
    )
    assert await client.get_json("/combos/states") == []

    lines = [r for r in caplog.records if r.name == "xerowatch.source.wisenet.client"]
    assert [r.levelno for r in lines] == [logging.INFO, logging.INFO]
    assert "GET /combos/states" in lines[0].getMessage()
    assert "HTTP 503" in lines[0].getMessage() and "retry 1/5" in lines[0].getMessage()
    assert "(ConnectError)" in lines[1].getMessage()
    assert all(KEY not in r.getMessage() for r in lines)
