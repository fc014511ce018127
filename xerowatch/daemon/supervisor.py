"""Runs the daemon's loops: a failing loop restarts alone, with capped backoff and an alert."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import anyio
import anyio.lowlevel

from xerowatch.clock import Clock
from xerowatch.logs import redact
from xerowatch.store.alerts import raise_alert, resolve_alerts
from xerowatch.store.db import Store
from xerowatch.store.health import is_damage

log = logging.getLogger(__name__)

LOOP_FAILED = "loop_failed"
"""Alert type raised when a loop iteration fails; the alert's record is the loop name."""


@dataclass(frozen=True)
class LoopSpec:
    """One supervised loop: `body` runs one iteration and returns seconds until the next."""

    name: str
    body: Callable[[], Awaitable[float | None]]
    interval: float
    tenant_id: str = ""
    alerted: tuple[type[Exception], ...] = ()
    """Failures the body raised its own alert for: backed off, but no second `loop_failed`."""


@dataclass(frozen=True)
class LoopHealth:
    """A loop's state as shown by /healthz, /metrics and the systemd status line."""

    name: str
    tenant_id: str
    alive: bool
    """Running and not crash-looping (fewer consecutive failures than the supervisor tolerates)."""
    running: bool
    """An iteration is in flight right now."""
    last_ok_at: datetime | None
    failures: int
    """Consecutive failed iterations; 0 once an iteration succeeds."""
    total_failures: int
    last_error: str | None


@dataclass(frozen=True)
class Backoff:
    """Restart delay after `n` consecutive failures: base · 2^(n-1), capped."""

    base: float = 1.0
    cap: float = 300.0

    def delay(self, failures: int) -> float:
        """Return the seconds to wait before the next attempt."""
        if failures <= 0:
            return 0.0
        return float(min(self.cap, self.base * 2 ** min(failures - 1, 32)))


class _LoopState:
    """Mutable bookkeeping for one loop (private to the supervisor)."""

    def __init__(self, spec: LoopSpec) -> None:
        self.spec = spec
        self.wake = anyio.Event()
        self.started = False
        self.ended = False
        self.running = False
        self.last_ok_at: datetime | None = None
        self.failures = 0
        self.total_failures = 0
        self.last_error: str | None = None


class Supervisor:
    """Runs each `LoopSpec` until `stop()`; one broken loop never stops the others."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        backoff: Backoff | None = None,
        unhealthy_after: int = 3,
        on_store_damaged: Callable[[BaseException], None] | None = None,
    ) -> None:
        self._store = store
        self._on_store_damaged = on_store_damaged
        self._clock = clock
        self._backoff = backoff or Backoff()
        self._unhealthy_after = unhealthy_after
        self._states: dict[str, _LoopState] = {}
        self._stop = anyio.Event()

    @property
    def stopping(self) -> bool:
        """True once `stop()` was called."""
        return self._stop.is_set()

    async def run(self, loops: Sequence[LoopSpec]) -> None:
        """Run every loop until `stop()`; returns when all in-flight iterations have finished."""
        names = [spec.name for spec in loops]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"loop names must be unique, repeated: {', '.join(duplicates)}")
        self._states = {spec.name: _LoopState(spec) for spec in loops}
        async with anyio.create_task_group() as tg:
            for state in self._states.values():
                tg.start_soon(self._supervise, state, name=f"loop:{state.spec.name}")

    def stop(self) -> None:
        """Start no new iterations and end every pause; in-flight iterations run to their end."""
        self._stop.set()
        for state in self._states.values():
            state.wake.set()

    def wake(self, name_prefix: str) -> None:
        """Cut short the pause of every loop whose name starts with `name_prefix`.

        A wake that arrives mid-iteration is kept, so the loop runs again right after.
        Backoff pauses after failures are not cut short: pokes must not hammer a broken loop.
        """
        for name, state in self._states.items():
            if name.startswith(name_prefix):
                state.wake.set()

    def health(self) -> dict[str, LoopHealth]:
        """Return each loop's health, keyed by loop name."""
        return {
            name: LoopHealth(
                name=name,
                tenant_id=state.spec.tenant_id,
                alive=state.started and not state.ended and state.failures < self._unhealthy_after,
                running=state.running,
                last_ok_at=state.last_ok_at,
                failures=state.failures,
                total_failures=state.total_failures,
                last_error=state.last_error,
            )
            for name, state in self._states.items()
        }

    async def _supervise(self, state: _LoopState) -> None:
        state.started = True
        try:
            while not self.stopping:
                delay, after_failure = await self._iterate(state)
                if self.stopping:
                    break
                await self._pause(state, delay, wakeable=not after_failure)
        finally:
            state.ended = True

    async def _iterate(self, state: _LoopState) -> tuple[float, bool]:
        """Run one iteration; return (seconds to pause, whether it failed)."""
        spec = state.spec
        state.wake = anyio.Event()  # wakes from now on are remembered for the next pause
        state.running = True
        try:
            requested = await spec.body()
        except Exception as exc:
            state.failures += 1
            state.total_failures += 1
            state.last_error = redact(f"{type(exc).__name__}: {exc}")[:500]
            if self._on_store_damaged is not None and is_damage(exc):
                # Restarting cannot repair the file and every loop would fail the same way.
                self.stop()
                self._on_store_damaged(exc)
                return 0.0, True
            delay = self._backoff.delay(state.failures)
            if isinstance(exc, spec.alerted):
                log.warning(
                    "loop %s backs off %.0f s (%d in a row): %s",
                    spec.name,
                    delay,
                    state.failures,
                    state.last_error,
                )
                return delay, True
            log.error(
                "loop %s failed (%d in a row), restarting in %.0f s: %s",
                spec.name,
                state.failures,
                delay,
                state.last_error,
                exc_info=exc,
            )
            await self._record_failure(state)
            return delay, True
        finally:
            state.running = False
        if state.failures:
            log.info("loop %s recovered after %d failures", spec.name, state.failures)
            await self._record_recovery(state)
        state.failures = 0
        state.last_ok_at = self._clock.now()
        return (spec.interval if requested is None else max(0.0, requested)), False

    async def _pause(self, state: _LoopState, seconds: float, *, wakeable: bool) -> None:
        """Sleep `seconds` of clock time, or less if woken (or stopped)."""
        if seconds <= 0:
            await anyio.lowlevel.checkpoint()
            return
        event = state.wake if wakeable else self._stop
        if event.is_set():
            return
        async with anyio.create_task_group() as tg:

            async def sleep_then_cancel() -> None:
                await self._clock.sleep(seconds)
                tg.cancel_scope.cancel()

            async def wait_then_cancel() -> None:
                await event.wait()
                tg.cancel_scope.cancel()

            tg.start_soon(sleep_then_cancel)
            tg.start_soon(wait_then_cancel)

    async def _record_failure(self, state: _LoopState) -> None:
        spec = state.spec
        try:
            await raise_alert(
                self._store,
                LOOP_FAILED,
                f"loop {spec.name} failed {state.failures} time(s) in a row: {state.last_error}",
                fix="It restarts by itself with backoff; if it keeps failing, read the daemon log "
                "(journalctl -u xerowatch) for the traceback.",
                record=spec.name,
                tenant_id=spec.tenant_id,
            )
        except Exception as exc:  # the store may be the thing that is broken
            log.error("could not record the alert for loop %s: %s", spec.name, redact(str(exc)))

    async def _record_recovery(self, state: _LoopState) -> None:
        spec = state.spec
        try:
            await resolve_alerts(
                self._store, record=spec.name, tenant_id=spec.tenant_id, types=(LOOP_FAILED,)
            )
        except Exception as exc:
            log.error("could not resolve the alert of loop %s: %s", spec.name, redact(str(exc)))
