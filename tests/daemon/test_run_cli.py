"""`xerowatch run` from the command line: refused while another daemon holds the store."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from click.testing import CliRunner

from xerowatch.cli import cli
from xerowatch.clock import SystemClock
from xerowatch.daemon.lease import DaemonLease
from xerowatch.store.db import open_store


@pytest.fixture(autouse=True)
def restore_root_logger() -> Iterator[None]:
    """`run` configures logging for the process; put the test session's handlers back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_run_is_refused_while_another_daemon_holds_the_store(tmp_path: Path) -> None:
    db = tmp_path / "xerowatch.db"
    config = tmp_path / "xerowatch.toml"
    config.write_text(
        f'[store]\npath = "{db}"\n[xero]\nclient_id = "app"\n[wisenet]\napi_key = "key"\n'
    )

    async def hold() -> None:
        store = await open_store(db)
        await DaemonLease(store, SystemClock(), pid=4242, host="other-box").acquire()
        await store.close()

    anyio.run(hold)
    result = CliRunner().invoke(cli, ["--config", str(config), "run"])

    assert result.exit_code == 3
    assert "pid 4242 on host other-box" in result.stderr
    assert len([line for line in result.stderr.splitlines() if "pid 4242" in line]) == 1
