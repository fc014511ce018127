"""What a failing step does, whoever runs it: the one alert, the log line, and the fix to show.

The daemon's loops and `sync --once` both call these, so the same failure raises the same alert.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from xerowatch.source.port import SourceError
from xerowatch.store import alerts
from xerowatch.sync.engine_deps import EngineDeps
from xerowatch.xero.errors import XeroAuthError, XeroError, XeroRateLimited

log = logging.getLogger(__name__)

SOURCE_DOWN_ALERT = "source_unavailable"
XERO_AUTH_ALERT = "xero_auth"
XERO_ERROR_ALERT = "xero_error"
XERO_STATUS_PAGE = "https://status.developer.xero.com"


@dataclass(frozen=True)
class XeroFailure:
    """How a Xero error stopped a tenant's step: what to say, the fix, and whether to back off."""

    error: str
    fix: str
    back_off: bool
    """True: the runner should retry later (the daemon's loop backs off); False: handled."""


def xero_error_fix(exc: XeroError) -> str:
    """What to do about a Xero error that stopped a cycle: the setting when Xero was unreachable."""
    if exc.config_key:
        return (
            f"check {exc.config_key} in xerowatch.toml (the URL above could not be reached); "
            "retried on the next cycle"
        )
    return f"retried on the next cycle; if it persists, check {XERO_STATUS_PAGE}"


def source_error_fix(source_name: str, exc: SourceError) -> str:
    """What to do about a source read that failed, in the words of the source in use."""
    if source_name == "connectwise":
        if exc.transient:
            return (
                "retried on the next poll; if it persists check [connectwise] site_url and codebase"
            )
        return (
            "check [connectwise] company_id, the API keys and the API member's security role, "
            "or the record named above in ConnectWise; retried on the next poll"
        )
    if source_name == "file":
        return "check [file_source] inbox and the learner CSV named above; retried on the next poll"
    if exc.transient:
        return (
            "retried on the next poll; if it persists check [wisenet] base_url, the API key "
            "or `xerowatch wisenet-status`, and the licence's daily quota"
        )
    return (
        "check [wisenet] api_key and base_url (or run `xerowatch wisenet-connect` for OAuth), "
        "then `xerowatch retry --all`"
    )


async def xero_auth_failed(ctx: EngineDeps, tenant_id: str, exc: XeroAuthError) -> None:
    """The one alert for Xero refusing a tenant's token; its writes wait without cost."""
    log.warning("Xero refused the token of %s: %s", tenant_id, exc)
    await alerts.raise_alert(
        ctx.store,
        XERO_AUTH_ALERT,
        str(exc),
        fix=(
            "Run `xerowatch connect` to reconnect this organisation; pending writes wait "
            "and resume by themselves"
        ),
        tenant_id=tenant_id,
    )


async def xero_failed(ctx: EngineDeps, tenant_id: str, exc: XeroError) -> XeroFailure:
    """The one policy for a Xero error in a tenant's step: raise its alert, say what to do."""
    if isinstance(exc, XeroAuthError):
        await xero_auth_failed(ctx, tenant_id, exc)
        return XeroFailure(
            f"auth: {exc}", "run `xerowatch connect` to reconnect this organisation", False
        )
    if isinstance(exc, XeroRateLimited):
        return XeroFailure(
            f"rate limited ({exc.problem}): {exc}",
            "wait for the limit to reset; the next cycle carries on",
            True,
        )
    fix = xero_error_fix(exc)
    log.warning("cycle for %s stopped: %s", tenant_id, exc)
    await alerts.raise_alert(
        ctx.store,
        XERO_ERROR_ALERT,
        f"Sync with Xero stopped for this cycle: {exc}",
        fix=fix[0].upper() + fix[1:],
        tenant_id=tenant_id,
    )
    return XeroFailure(str(exc), fix, True)


async def xero_worked(ctx: EngineDeps, tenant_id: str) -> None:
    """A call with the tenant's token succeeded: its auth alert is over."""
    await alerts.resolve_alerts(ctx.store, record="", tenant_id=tenant_id, types=(XERO_AUTH_ALERT,))
