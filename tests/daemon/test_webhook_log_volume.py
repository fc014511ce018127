"""Replayed Xero webhooks do not flood the log: 300 replays give a handful of lines."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest

from tests.daemon.test_webhooks import client, delivery, event, loops, post_xero  # noqa: F401
from xerowatch.logs import flush_repeats, setup_logging


@pytest.fixture(autouse=True)
def restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


async def test_replays_log_a_few_lines_and_a_count(
    client: httpx.AsyncClient,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup_logging(level="INFO")  # as `xerowatch run` does
    body = delivery(event())
    for _ in range(300):
        assert (await post_xero(client, body)).status_code == 200
    flush_repeats(force=True)  # as the daemon does when it stops

    lines = [line for line in capsys.readouterr().err.splitlines() if "xero webhook" in line]
    assert len(lines) <= 12
    [summary] = [line for line in lines if "suppressed" in line]
    assert f"{300 - (len(lines) - 1)} more" in summary
