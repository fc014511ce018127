"""Shared state for CLI commands: the config path, loaded settings, and an async runner."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import anyio

from xerowatch.config import Settings, load_settings
from xerowatch.logs import setup_logging
from xerowatch.store.db import Store, StoreError, open_store

T = TypeVar("T")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


@dataclass
class CliContext:
    """What every subcommand receives via `click.pass_obj`."""

    config_path: Path | None
    chosen_log_level: str | None = None
    """`--log-level` as given (None: the command's default)."""
    _settings: Settings | None = field(default=None, repr=False)

    @property
    def log_level(self) -> str:
        """The log level for a command: `--log-level`, else WARNING."""
        return self.log_level_or("WARNING")

    def log_level_or(self, default: str) -> str:
        """`--log-level` if given, else `default` (the daemon logs INFO by default)."""
        return (self.chosen_log_level or default).upper()

    @property
    def settings(self) -> Settings:
        """Load settings on first use (so `--help` works without a config)."""
        if self._settings is None:
            self._settings = load_settings(self.config_path)
            setup_logging(level=self.log_level, json_lines=self._settings.daemon.log_json)
        return self._settings

    def run(self, func: Callable[[], Awaitable[T]]) -> T:
        """Run an async command body to completion."""
        return anyio.run(func)

    def read_store(self, query: Callable[[Store], Awaitable[T]]) -> T:
        """Run a read-only query against the existing store (never creates one)."""
        path = self.settings.store.path
        if not path.exists():
            raise StoreError(
                f"no store at {path}: run `xerowatch connect` first, or point [store] path "
                "(or --config) at the store the daemon uses"
            )

        async def body() -> T:
            store = await open_store(path)
            try:
                return await query(store)
            finally:
                await store.close()

        return self.run(body)
