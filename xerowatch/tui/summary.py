"""The header's and the quota pane's lines, from the shared overview (no Textual)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Literal

from rich.text import Text

from xerowatch.store.overview import Overview, TenantOverview, last_activity, parse_time
from xerowatch.tui.text import ago, local, number, shorten, span, sparkline

HostMode = Literal["starting", "attached", "embedded", "stopping", "stopped"]
RECONNECT = "run `xerowatch connect`"


@dataclass(frozen=True)
class HostState:
    """How this dashboard relates to the daemon (the app owns it, the header shows it)."""

    mode: HostMode
    note: str = ""
    """Why the daemon stopped, or how it is stopping."""


def _token(tenant: TenantOverview, now: datetime) -> str:
    expires = parse_time(tenant.access_expires_at)
    if expires is None:
        return "token expiry unknown"
    left = (expires - now).total_seconds()
    if left <= 0:
        return "token expired (refreshed on the next call)"
    return f"token expires in {span(left)}"


def connection_text(tenant: TenantOverview, now: datetime, tz: tzinfo | None) -> Text:
    """connected · token expires in …, needs reconnect (what to run), parked, paused."""
    text = Text()
    if tenant.connection_status == "needs_reconnect":
        reason = f" ({shorten(tenant.status_reason, 40)})" if tenant.status_reason else ""
        text.append("✗ needs reconnect", style="bold red")
        text.append(f"{reason}: {RECONNECT}")
    else:
        text.append("● connected", style="green")
        text.append(f" · {_token(tenant, now)}")
    quota = tenant.quota
    parked = parse_time(quota.parked_until) if quota else None
    if parked is not None and parked > now:
        text.append(f" · parked until {local(parked, tz):%H:%M}", style="bold yellow")
        text.append(" (day limit)")
    if tenant.paused:
        text.append(" · PAUSED", style="bold yellow")
    return text


def daemon_text(view: Overview | None, host: HostState, pid: int) -> Text:
    """attached to pid N on HOST · embedded · not running · stopping…"""
    text = Text("daemon: ")
    paused = bool(view and view.paused.get("*"))
    if host.mode == "stopping":
        text.append(f"stopping… {host.note}".rstrip(), style="bold yellow")
        return text
    if host.mode == "embedded":
        text.append(f"embedded (pid {pid})", style="bold green")
    elif view is not None and view.daemon is not None:
        d = view.daemon
        style = "bold green" if host.mode == "attached" else "green"
        text.append(f"attached to pid {d.pid} on {d.host}", style=style)
    elif host.mode == "starting":
        text.append("starting…", style="yellow")
    else:
        text.append("not running", style="bold red")
        text.append(f" {host.note}" if host.note else " (start `xerowatch run`)")
    if paused:
        text.append(" · paused", style="bold yellow")
    return text


def cycle_text(view: Overview) -> Text:
    """The last completed sync step and its outcome."""
    activity = last_activity(view)
    text = Text("last cycle: ")
    if activity is None:
        text.append("none yet")
        return text
    text.append(ago(activity.at, view.now))
    style = "green" if activity.outcome == "ok" else "bold red"
    text.append(" · ")
    text.append(shorten(activity.outcome, 70), style=style)
    return text


def header_lines(
    view: Overview | None,
    tenant: TenantOverview | None,
    host: HostState,
    *,
    pid: int,
    tenant_pos: tuple[int, int],
    tz: tzinfo | None,
) -> list[Text]:
    """Organisation and connection; daemon state and the last cycle."""
    first = Text()
    if view is None:
        first.append("xerowatch", style="bold")
        first.append(" · reading the store…")
        return [first, daemon_text(None, host, pid)]
    if tenant is None:
        first.append("no organisation connected", style="bold red")
        first.append(f": {RECONNECT}")
    else:
        first.append(tenant.name, style="bold")
        index, count = tenant_pos
        if count > 1:
            first.append(f" ({index + 1}/{count}, o: next)")
        first.append("  ")
        first.append_text(connection_text(tenant, view.now, tz))
    second = daemon_text(view, host, pid)
    second.append(" · ")
    second.append_text(cycle_text(view))
    return [first, second]


def quota_lines(
    view: Overview | None, tenant: TenantOverview | None, *, day_limit: int, tz: tzinfo | None
) -> list[Text]:
    """Xero calls (minute, day, app, in flight), the last hour, the forecast, the source."""
    if view is None or tenant is None:
        return [Text("Xero quota: no organisation"), Text(), Text()]
    now = view.now
    quota = tenant.quota
    first = Text("Xero ", style="bold")
    if quota is None:
        why = "not reported yet" if view.live is not None else "need a running daemon"
        first.append(
            f"{number(tenant.calls_per_minute[-1])} calls this minute · "
            f"{number(tenant.day_calls_sampled)} in 24 h · live figures {why}"
        )
    else:
        first.append(f"minute {quota.minute_used}/{quota.minute_limit}")
        first.append(f" · today {number(quota.day_used)}/{number(quota.day_limit)}")
        live = view.live
        if live is not None and live.app_minute_limit:
            first.append(f" · app {number(live.app_minute_used)}/{number(live.app_minute_limit)}")
        first.append(f" · in flight {quota.in_flight}")
    spark = Text("last hour ")
    spark.append(sparkline(tenant.calls_per_minute), style="cyan")
    spark.append(f" {number(sum(tenant.calls_per_minute))}")
    third = Text("forecast: ")
    parked = parse_time(quota.parked_until) if quota else None
    if parked is not None and parked > now:
        third.append(f"day spent: parked until {local(parked, tz):%H:%M}", style="bold yellow")
    else:
        forecast = tenant.forecast(now, day_limit)
        out = forecast.runs_out_at
        described = "lasts the day" if out is None else f"runs out at {local(out, tz):%H:%M}"
        third.append(described, style="green" if out is None else "bold yellow")
    source = view.live.source if view.live else None
    if source is not None:
        third.append(
            f" · {source.name} {number(source.used_today)}/{number(source.daily_quota)} today"
        )
    if quota is not None and quota.last_problem:
        third.append(f" · {shorten(quota.last_problem, 40)}", style="yellow")
    return [first, spark, third]
