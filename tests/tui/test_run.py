"""`run_dashboard`, the entry point the CLI and the demo call: exit codes and where logs go."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from tests.tui.world import settings_for
from xerowatch.logs import setup_logging
from xerowatch.tui import run_dashboard
from xerowatch.tui.run import LOG_NAME, log_file


def test_attach_only_without_a_daemon_returns_1_and_logs_beside_the_store(
    quiet_world: Path,
) -> None:
    setup_logging(level="INFO")
    code = run_dashboard(settings_for(quiet_world), None, mode="attach", headless=True)
    assert code == 1
    written = (quiet_world.parent / LOG_NAME).read_text("utf-8")
    assert "--attach-only: no daemon is running" in written  # the file, not the terminal
    [handler] = logging.getLogger().handlers  # the terminal is ours again afterwards
    assert isinstance(handler, logging.StreamHandler) and handler.stream is sys.stderr


def test_the_log_file_is_configurable(tmp_path: Path) -> None:
    chosen = tmp_path / "logs" / "tui.log"
    assert log_file(settings_for(tmp_path / "x.db", log_file=chosen)) == chosen
    assert log_file(settings_for(tmp_path / "x.db")) == tmp_path / LOG_NAME
