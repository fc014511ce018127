"""The daemon's HTTP app: Xero and Wisenet webhooks, /metrics and /healthz (Starlette)."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import anyio
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from xerowatch.clock import Clock
from xerowatch.config import DaemonSettings
from xerowatch.daemon.metrics import (
    METRICS_CONTENT_TYPE,
    CallMetrics,
    MetricsSource,
    render_metrics,
)
from xerowatch.daemon.supervisor import LoopHealth
from xerowatch.daemon.webhooks import (
    WebhookPayloadError,
    enqueue_wisenet_poke,
    enqueue_xero_events,
    parse_wisenet_event,
    parse_xero_payload,
    verify_shared_secret,
    verify_xero_signature,
)
from xerowatch.logs import redact
from xerowatch.store import runtime_state
from xerowatch.store.alerts import raise_alert
from xerowatch.store.db import Store, StoreError

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
STORE_TIMEOUT_SECONDS = 2.0
"""Bound on each store write a request makes, so Xero always has its answer within 5 s."""
WISENET_SECRET_HEADER = "X-Wisenet-Secret"  # noqa: S105 (a header name, not a secret)
WEBHOOK_MALFORMED = "webhook_malformed"
HEALTHZ_KEY = "daemon.healthz_at"
"""runtime_state key /healthz writes to prove the store takes writes."""


class LoopMonitor(Protocol):
    """The supervisor as the HTTP app sees it (satisfied by `Supervisor`)."""

    def health(self) -> dict[str, LoopHealth]:
        """Return each loop's health."""
        ...

    def wake(self, name_prefix: str) -> None:
        """Cut the pause of matching loops short."""
        ...


@dataclass(frozen=True)
class WakeTargets:
    """Which loops (name prefixes) a new webhook event wakes.

    Xero events wake `<prefix>[<tenant id>]`: the loop of the event's organisation only.
    """

    xero_by_category: tuple[tuple[str, str], ...] = (
        ("INVOICE", "pull_transactions"),
        ("CREDITNOTE", "pull_transactions"),
        ("CONTACT", "pull_contacts"),
    )
    xero_default: str = "pull_transactions"
    wisenet: str = "poke_learners"

    def for_xero(self, category: str) -> str:
        """Return the loop prefix to wake for a Xero event category."""
        return dict(self.xero_by_category).get(category, self.xero_default)


class BodyTooLarge(Exception):
    """The request body passed the size cap."""


async def read_capped_body(request: Request, limit: int) -> bytes:
    """Read the raw body, stopping as soon as it passes `limit` bytes (Content-Length is a hint)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _empty(status: int) -> Response:
    """A response with no body (what Xero asks for)."""
    return Response(status_code=status)


class _Handlers:
    """Request handlers bound to the daemon's store, clock and loops."""

    def __init__(
        self,
        *,
        store: Store,
        clock: Clock,
        daemon: DaemonSettings,
        loops: Callable[[], LoopMonitor | None],
        calls: CallMetrics,
        metrics_source: MetricsSource | None,
        wake_targets: WakeTargets,
        max_body: int,
    ) -> None:
        self.store = store
        self.clock = clock
        self.xero_key = daemon.xero_webhook_key
        self.wisenet_secret = daemon.wisenet_webhook_secret
        self.loops = loops
        self.calls = calls
        self.metrics_source = metrics_source
        self.wake_targets = wake_targets
        self.max_body = max_body

    def _wake(self, prefix: str) -> None:
        monitor = self.loops()
        if monitor is not None:
            monitor.wake(prefix)

    async def xero_webhook(self, request: Request) -> Response:
        """POST /webhooks/xero: verify, enqueue new events, wake the pullers; 200 with no body."""
        try:
            body = await read_capped_body(request, self.max_body)
        except BodyTooLarge:
            log.warning("xero webhook rejected: body larger than %d bytes", self.max_body)
            return _empty(413)
        except ClientDisconnect:
            return _empty(400)
        key = self.xero_key.get_secret_value() if self.xero_key else ""
        if not verify_xero_signature(body, request.headers.get("x-xero-signature"), key):
            log.info("xero webhook rejected: bad signature")
            return _empty(401)
        try:
            payload = parse_xero_payload(body)
        except WebhookPayloadError as exc:
            # Correctly signed, so it is Xero's: a non-200 would be retried for 24 h and then
            # disable the webhook. Nothing is lost by accepting it: polling picks the change up.
            log.warning("xero webhook: signed payload could not be parsed: %s", exc)
            await self._alert_malformed(str(exc))
            return _empty(200)
        if payload.skipped:
            log.warning("xero webhook: %d event(s) lacked required fields", payload.skipped)
        if not payload.events:
            return _empty(200)  # intent-to-receive, or nothing usable
        try:
            with anyio.fail_after(STORE_TIMEOUT_SECONDS):
                fresh = await enqueue_xero_events(self.store, self.clock, payload.events)
        except (TimeoutError, sqlite3.Error, StoreError) as exc:
            log.error("xero webhook: could not store events, Xero will retry: %r", exc)
            return _empty(503)
        log.info("xero webhook: %d event(s), %d new", len(payload.events), len(fresh))
        woken = {f"{self.wake_targets.for_xero(e.event_category)}[{e.tenant_id}]" for e in fresh}
        for prefix in sorted(woken):  # only the event's organisation: a pull spends its budget
            self._wake(prefix)
        return _empty(200)

    async def wisenet_webhook(self, request: Request) -> Response:
        """POST /webhooks/wisenet: check the shared secret, queue a learner poke."""
        try:
            body = await read_capped_body(request, self.max_body)
        except BodyTooLarge:
            return _empty(413)
        except ClientDisconnect:
            return _empty(400)
        secret = self.wisenet_secret.get_secret_value() if self.wisenet_secret else ""
        if not verify_shared_secret(request.headers.get(WISENET_SECRET_HEADER), secret):
            log.info("wisenet webhook rejected: bad or missing %s", WISENET_SECRET_HEADER)
            return _empty(401)
        try:
            event = parse_wisenet_event(body)
        except WebhookPayloadError as exc:
            # Wisenet is not known to disable endpoints, and its delivery log is where an admin
            # looks: say what is wrong. Polling still covers the change.
            log.warning("wisenet webhook: malformed payload: %s", exc)
            return JSONResponse({"error": str(exc)}, status_code=400)
        if not event.is_learner:
            return _empty(200)
        try:
            with anyio.fail_after(STORE_TIMEOUT_SECONDS):
                added = await enqueue_wisenet_poke(self.store, self.clock, event)
        except (TimeoutError, sqlite3.Error, StoreError) as exc:
            log.error("wisenet webhook: could not store the poke: %r", exc)
            return _empty(503)
        if added:
            self._wake(self.wake_targets.wisenet)
        return _empty(200)

    async def metrics(self, request: Request) -> Response:
        """GET /metrics: Prometheus text, read from the store and the engine at scrape time."""
        monitor = self.loops()
        body = await render_metrics(
            store=self.store,
            now=self.clock.now(),
            calls=self.calls,
            source=self.metrics_source,
            loops=monitor.health() if monitor else {},
        )
        return Response(body, media_type=METRICS_CONTENT_TYPE)

    async def healthz(self, request: Request) -> Response:
        """GET /healthz: 200 while every loop is alive and the store takes a write, else 503."""
        reasons: list[str] = []
        monitor = self.loops()
        if monitor is None:
            reasons.append("loops not running (starting, reloading or stopping)")
        else:
            for name, health in sorted(monitor.health().items()):
                if not health.alive:
                    detail = f": {health.last_error}" if health.last_error else ""
                    reasons.append(f"loop {name} is down after {health.failures} failures{detail}")
        try:
            with anyio.fail_after(STORE_TIMEOUT_SECONDS):
                await runtime_state.put(self.store, HEALTHZ_KEY, self.clock.now().isoformat())
        except TimeoutError:
            reasons.append(f"store not writable within {STORE_TIMEOUT_SECONDS:.0f} s")
        except (sqlite3.Error, StoreError) as exc:
            reasons.append(f"store not writable: {exc}")
        if reasons:
            return JSONResponse({"status": "unhealthy", "reasons": reasons}, status_code=503)
        loops = len(monitor.health()) if monitor else 0
        return JSONResponse({"status": "ok", "loops": loops})

    async def _alert_malformed(self, reason: str) -> None:
        try:
            with anyio.fail_after(STORE_TIMEOUT_SECONDS):
                await raise_alert(
                    self.store,
                    WEBHOOK_MALFORMED,
                    f"Xero sent a correctly signed webhook that could not be read: {reason}",
                    fix="Nothing is lost: the next incremental poll picks the changes up. "
                    "If it repeats, report it with the daemon log.",
                    record="xero",
                )
        except (TimeoutError, sqlite3.Error, StoreError) as exc:
            log.error("could not record the malformed-webhook alert: %s", redact(repr(exc)))


def build_app(
    *,
    store: Store,
    clock: Clock,
    daemon: DaemonSettings,
    loops: Callable[[], LoopMonitor | None],
    calls: CallMetrics,
    metrics_source: MetricsSource | None = None,
    wake_targets: WakeTargets | None = None,
    max_body: int = MAX_BODY_BYTES,
) -> Starlette:
    """Build the app; a webhook route exists only when its key or secret is configured.

    `loops` returns the running supervisor (None between configuration generations).
    """
    handlers = _Handlers(
        store=store,
        clock=clock,
        daemon=daemon,
        loops=loops,
        calls=calls,
        metrics_source=metrics_source,
        wake_targets=wake_targets or WakeTargets(),
        max_body=max_body,
    )
    routes = [
        Route("/metrics", handlers.metrics, methods=["GET"]),
        Route("/healthz", handlers.healthz, methods=["GET"]),
    ]
    if daemon.xero_webhook_key is not None:
        routes.append(Route("/webhooks/xero", handlers.xero_webhook, methods=["POST"]))
    else:
        log.info("POST /webhooks/xero disabled: set daemon.xero_webhook_key to enable it")
    if daemon.wisenet_webhook_secret is not None:
        routes.append(Route("/webhooks/wisenet", handlers.wisenet_webhook, methods=["POST"]))
    return Starlette(routes=routes)
