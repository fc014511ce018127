"""`run_dashboard`: what `xerowatch tui` and `xerowatch demo` call."""

from __future__ import annotations

import logging
from datetime import tzinfo
from pathlib import Path

from xerowatch.clock import Clock
from xerowatch.config import Settings
from xerowatch.logs import setup_logging, stop_logging_to_file
from xerowatch.tui.app import DashboardApp
from xerowatch.tui.hosting import Mode

LOG_NAME = "xerowatch-tui.log"


def log_file(settings: Settings) -> Path:
    """Where logging goes while the dashboard owns the terminal."""
    if settings.tui.log_file is not None:
        return settings.tui.log_file
    return settings.store.path.resolve().parent / LOG_NAME


def run_dashboard(
    settings: Settings,
    config_path: Path | None,
    *,
    mode: Mode = "auto",
    clock: Clock | None = None,
    tz: tzinfo | None = None,
    headless: bool = False,
) -> int:
    """Run the dashboard until `q`; return the exit code.

    auto: attach to the daemon holding the store's lease, else run one embedded · attach:
    exit 1 when none runs · embedded: exit 3 when one already runs. Logging goes to a file
    (never the terminal Textual draws on) and back to stderr afterwards. `headless` runs
    without a terminal (tests).
    """
    level = logging.getLevelName(logging.getLogger().getEffectiveLevel())
    target = log_file(settings)
    setup_logging(level=str(level), json_lines=settings.daemon.log_json, file=target)
    settings = settings.model_copy(
        update={"tui": settings.tui.model_copy(update={"log_file": target})}
    )
    app = DashboardApp(settings, config_path, mode=mode, clock=clock, tz=tz)
    try:
        app.run(headless=headless)
    finally:
        stop_logging_to_file(level=str(level))
    return app.return_code or 0
