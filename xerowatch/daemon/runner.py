"""The headless daemon's lifecycle: lease → startup → supervised loops and HTTP → shutdown.

Modelled on uvicorn's `Server.serve()`: signal handlers are installed only inside `serve()`
(never at import time, never in the TUI), the first SIGTERM/SIGINT asks for a graceful stop,
a second one forces it. SIGHUP re-reads the configuration and re-creates everything built from
it (the loops, the HTTP server, the log format); `store.path` alone needs a restart, because
the lease and every open transaction belong to the store.

Exit codes: 0 clean stop · 1 failure (lease lost, HTTP port unusable, crash) · 2 the store
turned out damaged (as the CLI's configuration and store errors) · 3 another daemon holds the
store's lease.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import anyio
import anyio.abc

from xerowatch.clock import Clock
from xerowatch.config import Settings
from xerowatch.daemon.commands_loop import (
    DEFAULT_POLL_SECONDS,
    CommandExecutor,
    command_loop,
    recover_interrupted_commands,
)
from xerowatch.daemon.http_routes import WakeTargets, build_app
from xerowatch.daemon.http_server import HttpBindError, HttpServer
from xerowatch.daemon.lease import DaemonLease, LeaseHeldError, LeaseLostError
from xerowatch.daemon.metrics import CallMetrics, MetricsSource
from xerowatch.daemon.notify import StatusText, SystemdNotifier, ping_systemd
from xerowatch.daemon.supervisor import LoopHealth, LoopSpec, Supervisor
from xerowatch.logs import flush_repeats, redact, setup_logging
from xerowatch.store.alerts import count_open
from xerowatch.store.db import Store, StoreDamagedError
from xerowatch.store.health import damage_in, damaged

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_STORE_DAMAGED = 2
EXIT_LEASE_HELD = 3
LOG_FLUSH_SECONDS = 10.0
DEFAULT_SHUTDOWN_GRACE = 7.0
"""Seconds in-flight iterations get after SIGTERM; the whole stop stays under 10 s."""


@dataclass(frozen=True)
class LoopServices:
    """What `loops_factory` receives to build the engine's loops for one configuration."""

    settings: Settings
    store: Store
    clock: Clock
    call_metrics: CallMetrics
    wake: Callable[[str], None]
    """Cut the pause of loops whose name starts with the given prefix."""
    restart: Callable[[], None]
    """Rebuild the loops with the configuration in force (e.g. the set of tenants changed)."""
    health: Callable[[], dict[str, LoopHealth]] = dict
    """Each loop's health in this generation (for the live state dashboards read)."""


LoopsFactory = Callable[[LoopServices], Sequence[LoopSpec]]
SettingsLoader = Callable[[], Settings]


class DaemonRunner:
    """Runs the daemon until SIGTERM/SIGINT or `request_stop()`; `serve()` returns the exit code."""

    def __init__(
        self,
        *,
        settings: Settings,
        store: Store,
        clock: Clock,
        loops_factory: LoopsFactory,
        metrics_source: MetricsSource | None = None,
        executor: CommandExecutor | None = None,
        status_text: StatusText | None = None,
        settings_loader: SettingsLoader | None = None,
        call_metrics: CallMetrics | None = None,
        notifier: SystemdNotifier | None = None,
        lease: DaemonLease | None = None,
        wake_targets: WakeTargets | None = None,
        handle_signals: bool = True,
        shutdown_grace: float = DEFAULT_SHUTDOWN_GRACE,
        command_poll_seconds: float = DEFAULT_POLL_SECONDS,
        on_start: Callable[[Settings, Store], Awaitable[None]] | None = None,
    ) -> None:
        self._settings = settings
        self._store = store
        self._clock = clock
        self._loops_factory = loops_factory
        self._metrics_source = metrics_source
        self._executor = executor
        self._status_text = status_text or self._default_status
        self._settings_loader = settings_loader
        self.call_metrics = call_metrics or CallMetrics()
        self._notifier = notifier or SystemdNotifier.from_environ()
        self._lease = lease or DaemonLease(store, clock)
        self._wake_targets = wake_targets
        self._handle_signals = handle_signals
        self._grace = shutdown_grace
        self._command_poll = command_poll_seconds
        self.ready = anyio.Event()
        """Set once the first generation of loops (and the HTTP server) is running."""
        self.generation = 0
        self.http_address: tuple[str, int] | None = None
        self._supervisor: Supervisor | None = None
        self._stop_requested = False
        self._stopping_sent = False
        self._pending: Settings | None = None
        self._reloaded = False
        self._generation_end = anyio.Event()
        self._deadline: anyio.CancelScope | None = None
        self._exit_code = EXIT_OK
        self._on_start = on_start

    @property
    def settings(self) -> Settings:
        """The configuration currently in force."""
        return self._settings

    @property
    def stop_requested(self) -> bool:
        """True once a stop was asked for."""
        return self._stop_requested

    @property
    def store(self) -> Store:
        """The store the daemon holds the lease of."""
        return self._store

    @property
    def supervisor(self) -> Supervisor | None:
        """The running generation's supervisor (None between generations)."""
        return self._supervisor

    def request_stop(self) -> None:
        """Begin a graceful stop: no new iterations, in-flight ones get the grace period."""
        if self._stop_requested:
            return
        self._stop_requested = True
        self._notifier.stopping()
        self._stopping_sent = True
        self._generation_end.set()

    def force_stop(self) -> None:
        """Stop now: cancel in-flight iterations without waiting for the grace period."""
        self.request_stop()
        if self._deadline is not None:
            self._deadline.cancel()

    def request_reload(self) -> bool:
        """Re-read the configuration; if it is valid, restart the loops with it."""
        if self._stop_requested:
            return False
        if self._settings_loader is None:
            log.warning("reload ignored: no configuration source to re-read; restart instead")
            return False
        try:
            fresh = self._settings_loader()
        except Exception as exc:  # ConfigError, unreadable file or credential
            log.error("reload failed, keeping the running configuration: %s", redact(str(exc)))
            return False
        if fresh.store.path != self._settings.store.path:
            log.error(
                "reload refused: store.path changed (%s -> %s); restart xerowatch to switch stores",
                self._settings.store.path,
                fresh.store.path,
            )
            return False
        self._pending = fresh
        self._notifier.reloading()
        self._generation_end.set()
        return True

    async def serve(self) -> int:
        """Take the lease, run until stopped, release the lease; return the exit code."""
        try:
            await self._lease.acquire()
        except LeaseHeldError as exc:
            log.error("%s", exc)
            return EXIT_LEASE_HELD
        try:
            if self._on_start is not None:
                await self._on_start(self._settings, self._store)
            await recover_interrupted_commands(self._store)
            async with anyio.create_task_group() as tg:
                if self._handle_signals:
                    await tg.start(self._watch_signals)
                tg.start_soon(self._keep_lease)
                tg.start_soon(ping_systemd, self._notifier, self._clock, self._status_text)
                tg.start_soon(self._flush_log_repeats)
                try:
                    await self._run_generations()
                finally:
                    tg.cancel_scope.cancel()
        except Exception as exc:
            if damage_in(exc) is not None:
                self._store_damaged(exc)
            else:
                log.critical("daemon failed: %s", redact(repr(exc)), exc_info=exc)
                self._exit_code = EXIT_FAILURE
        finally:
            with anyio.CancelScope(shield=True):
                await self._shut_down()
        return self._exit_code

    def _store_damaged(self, exc: BaseException) -> None:
        """SQLite reports the store file damaged: stop with one line rather than loop on it."""
        if self._exit_code != EXIT_STORE_DAMAGED:
            error = damage_in(exc) or exc
            if not isinstance(error, StoreDamagedError):
                error = damaged(self._store.path, str(error))
            log.critical("%s; stopping the daemon", error)
        self._exit_code = EXIT_STORE_DAMAGED
        self.request_stop()

    async def _shut_down(self) -> None:
        if not self._stopping_sent:
            self._notifier.stopping()
        try:
            await self._lease.release()
        except Exception as exc:
            log.error("could not release the daemon lease: %s", redact(str(exc)))
        self._notifier.close()
        flush_repeats(force=True)
        log.info("xerowatch daemon stopped (exit code %d)", self._exit_code)

    async def _run_generations(self) -> None:
        previous: Settings | None = None  # what a reload replaced, until its port is bound
        while not self._stop_requested:
            try:
                await self._run_generation(self._settings)
            except HttpBindError as exc:
                log.error("%s", exc)
                if previous is None:
                    self._exit_code = EXIT_FAILURE
                    return
                log.error("reload undone: keeping the configuration that was running")
                self._adopt(previous)
                previous, self._reloaded = None, False
                continue
            previous = None
            fresh, self._pending = self._pending, None
            if fresh is not None and not self._stop_requested:
                previous = self._settings
                self._adopt(fresh)
                self._reloaded = True

    def _adopt(self, settings: Settings) -> None:
        """Make `settings` the configuration in force, switching the log format if it changed."""
        if settings.daemon.log_json != self._settings.daemon.log_json:
            level = logging.getLevelName(logging.getLogger().level)
            setup_logging(level=str(level), json_lines=settings.daemon.log_json)
        self._settings = settings

    async def _run_generation(self, settings: Settings) -> None:
        """Run one configuration's loops and HTTP server until a stop or reload request."""
        generation_end = self._generation_end = anyio.Event()
        if self._stop_requested:
            return
        supervisor = Supervisor(self._store, self._clock, on_store_damaged=self._store_damaged)

        def restart() -> None:  # bound to this generation: a late call cannot end the next one
            if not self._stop_requested:
                generation_end.set()

        context = LoopServices(
            settings=settings,
            store=self._store,
            clock=self._clock,
            call_metrics=self.call_metrics,
            wake=supervisor.wake,
            restart=restart,
            health=supervisor.health,
        )
        loops = list(self._loops_factory(context))
        if self._executor is not None:
            loops.append(command_loop(self._store, self._executor, poll_seconds=self._command_poll))
        http = self._http_server(settings)
        self.http_address = None
        if http is not None:
            http.bind()
            self.http_address = http.address
        deadline = anyio.CancelScope()
        self._deadline = deadline
        with deadline:
            async with anyio.create_task_group() as tg:
                tg.start_soon(supervisor.run, loops)
                if http is not None:
                    tg.start_soon(http.serve)
                self._supervisor = supervisor
                self._announce(len(loops))
                await self._generation_end.wait()
                in_flight = [name for name, h in supervisor.health().items() if h.running]
                if in_flight:
                    log.info(
                        "waiting up to %.1f s for in-flight iterations: %s",
                        self._grace,
                        ", ".join(in_flight),
                    )
                supervisor.stop()
                if http is not None:
                    http.stop()
                deadline.deadline = anyio.current_time() + self._grace
        self._deadline = None
        self._supervisor = None
        if deadline.cancelled_caught:
            log.warning(
                "stopped without waiting for in-flight work (the outbox resumes it next start)"
            )

    def _http_server(self, settings: Settings) -> HttpServer | None:
        daemon = settings.daemon
        if not daemon.http_enabled:
            return None
        app = build_app(
            store=self._store,
            clock=self._clock,
            daemon=daemon,
            loops=lambda: self._supervisor,
            calls=self.call_metrics,
            metrics_source=self._metrics_source,
            wake_targets=self._wake_targets,
        )
        graceful = max(1, int(self._grace) - 1)
        return HttpServer(app, daemon.http_host, daemon.http_port, graceful_seconds=graceful)

    def _announce(self, loop_count: int) -> None:
        self.generation += 1
        address = self.http_address if self._settings.daemon.http_enabled else None
        where = f", HTTP on {address[0]}:{address[1]}" if address else ""
        self._notifier.ready()
        if self.generation == 1:
            log.info("xerowatch daemon ready: %d loop(s)%s", loop_count, where)
            self.ready.set()
        else:
            what = "configuration reloaded" if self._reloaded else "loops restarted"
            log.info("%s: %d loop(s)%s", what, loop_count, where)
        self._reloaded = False

    async def _watch_signals(
        self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT, signal.SIGHUP) as signals:
            task_status.started()
            async for signum in signals:
                name = signal.Signals(signum).name
                if signum == signal.SIGHUP:
                    log.info("SIGHUP: re-reading the configuration")
                    self.request_reload()
                elif self._stop_requested:
                    log.warning("%s again: stopping now", name)
                    self.force_stop()
                else:
                    log.info("%s: stopping (in-flight work gets %.1f s)", name, self._grace)
                    self.request_stop()

    async def _flush_log_repeats(self) -> None:
        """Write the counts of rate-limited log lines when their interval ends, not only when
        the next such line comes."""
        while True:
            await self._clock.sleep(LOG_FLUSH_SECONDS)
            flush_repeats()

    async def _keep_lease(self) -> None:
        while True:
            await self._clock.sleep(self._lease.heartbeat_every)
            try:
                await self._lease.heartbeat()
            except LeaseLostError as exc:
                log.error("%s", exc)
                self._exit_code = EXIT_FAILURE
                self.force_stop()
                return
            except Exception as exc:  # a busy or briefly unwritable store: try again
                if damage_in(exc) is not None:
                    self._store_damaged(exc)
                    return
                log.warning("lease heartbeat failed, retrying: %s", redact(str(exc)))

    async def _default_status(self) -> str:
        supervisor = self._supervisor
        health = supervisor.health() if supervisor else {}
        up = sum(1 for h in health.values() if h.alive)
        alerts = await count_open(self._store)
        return f"{up}/{len(health)} loops up · {alerts} open alert(s)"
