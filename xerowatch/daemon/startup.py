"""What `xerowatch run` says at start: one line of facts, and what to run if it cannot sync."""

from __future__ import annotations

import logging

from xerowatch import __version__
from xerowatch.config import Settings
from xerowatch.store.db import Store
from xerowatch.store.tenants import list_tenants
from xerowatch.store.tokens import list_connections

log = logging.getLogger("xerowatch.daemon")

NO_TENANT_HINT = (
    "no Xero organisation is connected, so nothing is synced: run `xerowatch connect` "
    "(the running daemon picks the organisation up within 10 s)"
)


def _source(settings: Settings) -> str:
    if settings.source.kind == "file":
        return f"learner CSV files in {settings.file_source.inbox}"
    wisenet = settings.wisenet
    return f"Wisenet {wisenet.base_url} ({wisenet.auth_mode.replace('_', ' ')})"


def _http(settings: Settings) -> str:
    daemon = settings.daemon
    if not daemon.http_enabled:
        return "HTTP off"
    base = f"http://{daemon.http_host}:{daemon.http_port}"
    return f"HTTP {base} (/webhooks/xero, /webhooks/wisenet, /metrics, /healthz)"


async def startup_report(settings: Settings, store: Store) -> list[tuple[int, str]]:
    """The start-up line, then a warning per thing that keeps the daemon from syncing."""
    tenants = await list_tenants(store)
    names = ", ".join(f"{t.name} ({t.tenant_id})" for t in tenants) or "none"
    lines = [
        (
            logging.INFO,
            f"xerowatch {__version__} starting: store {settings.store.path}; "
            f"organisations: {names}; source: {_source(settings)}; {_http(settings)}",
        )
    ]
    if not tenants:
        lines.append((logging.WARNING, NO_TENANT_HINT))
    if settings.source.kind == "wisenet" and settings.wisenet.auth_mode == "oauth":
        usable = [
            c for c in await list_connections(store, provider="wisenet") if c.status == "connected"
        ]
        if not usable:
            lines.append(
                (
                    logging.WARNING,
                    "Wisenet is not authorised (auth_mode oauth and no usable token), so no "
                    "learner is read: run `xerowatch wisenet-connect`",
                )
            )
    return lines


async def log_startup(settings: Settings, store: Store) -> None:
    """Log the start-up report."""
    for level, line in await startup_report(settings, store):
        log.log(level, "%s", line)
