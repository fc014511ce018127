"""Assembly of the daemon that `run`, the dashboard and the demo serve: store, engine, runner."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from xerowatch.clock import Clock, SystemClock
from xerowatch.config import Settings, load_settings
from xerowatch.daemon.commands_loop import CommandExecutor
from xerowatch.daemon.credentials import credential_overrides
from xerowatch.daemon.engine_loops import engine_wiring
from xerowatch.daemon.metrics import CallMetrics, MetricsSource
from xerowatch.daemon.notify import StatusText
from xerowatch.daemon.runner import DaemonRunner, LoopsFactory
from xerowatch.store.db import Store, open_store


@dataclass(frozen=True)
class EngineParts:
    """What the sync engine plugs into the daemon."""

    loops_factory: LoopsFactory
    executor: CommandExecutor | None = None
    metrics_source: MetricsSource | None = None
    status_text: StatusText | None = None


@asynccontextmanager
async def engine_parts(
    settings: Settings, store: Store, clock: Clock, calls: CallMetrics
) -> AsyncIterator[EngineParts]:
    """Open the sync engine for the daemon's lifetime; its Xero calls feed `calls`."""
    async with engine_wiring(store, clock, calls) as wiring:
        yield EngineParts(
            loops_factory=wiring.loops_factory,
            executor=wiring.executor,
            metrics_source=wiring.host,
            status_text=wiring.status_text,
        )


def load_daemon_settings(config_path: Path | None) -> Settings:
    """Load settings, with secrets from systemd credentials taking precedence."""
    return load_settings(config_path, **credential_overrides())


@asynccontextmanager
async def daemon_runner(
    settings: Settings,
    config_path: Path | None,
    *,
    handle_signals: bool = True,
    on_start: Callable[[Settings, Store], Awaitable[None]] | None = None,
) -> AsyncIterator[DaemonRunner]:
    """The daemon `xerowatch run` serves, with its store and engine open until the block ends."""
    store = await open_store(settings.store.path, quick_check=True)
    try:
        clock = SystemClock()
        calls = CallMetrics()
        async with engine_parts(settings, store, clock, calls) as parts:
            yield DaemonRunner(
                settings=settings,
                store=store,
                clock=clock,
                loops_factory=parts.loops_factory,
                metrics_source=parts.metrics_source,
                executor=parts.executor,
                status_text=parts.status_text,
                settings_loader=partial(load_daemon_settings, config_path),
                call_metrics=calls,
                handle_signals=handle_signals,
                on_start=on_start,
            )
    finally:
        await store.close()
