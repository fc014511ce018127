"""Xero transport retries are INFO lines with their cause: expected weather, not warnings."""

from __future__ import annotations

import logging

import httpx
import pytest
import respx

from tests.xero.test_transport import API, Rig, get_contacts, rig  # noqa: F401 (fixture)


@respx.mock
async def test_a_retried_503_is_one_info_line_naming_the_cause(
    rig: Rig,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="xerowatch.xero.retry")
    respx.get(f"{API}/Contacts").mock(
        side_effect=[httpx.Response(503, text="Service Unavailable"), httpx.Response(200, json={})]
    )
    await get_contacts(rig)

    [line] = [r for r in caplog.records if r.name == "xerowatch.xero.retry"]
    assert line.levelno == logging.INFO
    assert "Xero is unavailable" in line.getMessage()
    assert "retry 1/3" in line.getMessage()
