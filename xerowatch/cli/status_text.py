"""`xerowatch status` as text: the overview the dashboard shows, one fact per line."""

from __future__ import annotations

from datetime import datetime

from xerowatch.store.overview import Overview, TenantOverview, last_activity, parse_time
from xerowatch.store.resyncs import Resync


def _ago(now: datetime, text: str | None) -> str:
    moment = parse_time(text)
    if moment is None:
        return "never"
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 90:
        return f"{seconds} s ago"
    if seconds < 5400:
        return f"{seconds // 60} min ago"
    return f"{seconds // 3600} h ago"


def _in(now: datetime, text: str | None) -> str:
    moment = parse_time(text)
    if moment is None:
        return "unknown"
    seconds = int((moment - now).total_seconds())
    if seconds <= 0:
        return "expired (refreshed on the next call)"
    return f"in {seconds // 60} min" if seconds >= 60 else f"in {seconds} s"


def connection_line(tenant: TenantOverview, now: datetime) -> str:
    """Connected · token expires in …, needs reconnect (and how), parked until HH:MM."""
    if tenant.connection_status == "needs_reconnect":
        reason = f" ({tenant.status_reason})" if tenant.status_reason else ""
        return f"needs reconnect{reason}: run `xerowatch connect`"
    parts = [f"connected · token expires {_in(now, tenant.access_expires_at)}"]
    quota = tenant.quota
    parked = parse_time(quota.parked_until) if quota else None
    if parked is not None and parked > now:
        local = parked.astimezone()
        parts.append(f"parked until {local:%H:%M} (Xero's day limit was reached)")
    if tenant.paused:
        parts.append("paused: `xerowatch resume` to continue")
    return " · ".join(parts)


def quota_line(tenant: TenantOverview, now: datetime, day_limit: int) -> str:
    """This minute, today with its forecast, app-wide and in flight."""
    forecast = tenant.forecast(now, day_limit).describe()
    quota = tenant.quota
    parked = parse_time(quota.parked_until) if quota else None
    if parked is not None and parked > now:
        forecast = f"day spent: parked until {parked.astimezone():%H:%M}"
    if quota is None:
        return (
            f"{sum(tenant.calls_per_minute[-1:])} calls this minute, "
            f"{tenant.day_calls_sampled:,} in the last 24 h ({forecast}); "
            "live figures need a running daemon"
        )
    return (
        f"{quota.minute_used}/{quota.minute_limit} this minute · "
        f"{quota.day_used:,}/{quota.day_limit:,} today ({forecast}) · in flight {quota.in_flight}"
    )


def resync_line(run: Resync) -> str:
    """One resync on one line, with its end when it ended."""
    progress = f"{run.done:,}/{run.total:,}" if run.total else f"{run.done:,}/?"
    eta = run.progress.get("eta_seconds")
    tail = f", eta {int(eta)} s" if eta and run.state == "running" else ""
    message = f" — {run.message}" if run.message else ""
    return (
        f"resync {run.id} {run.state}: {run.date_from}..{run.date_to} ({', '.join(run.types)}), "
        f"{progress} records, {run.calls_used} calls{tail}{message}"
    )


def _counts(values: dict[str, int]) -> str:
    return ", ".join(f"{name} {count:,}" for name, count in sorted(values.items())) or "none"


def _learner_lines(view: Overview) -> list[str]:
    p, tx = view.pending, view.transactions
    lines = [
        f"learners: {view.learners_total:,} · contacts: {_counts(view.contacts_by_state)}",
        f"waiting for Xero: queued {p.queued:,} · in doubt {p.in_doubt:,} · retrying "
        f"{p.retrying:,} · failed {p.failed:,} (need a fix) · dead {p.dead:,}",
        f"transactions: {tx.get('matched', 0):,} matched to learners, "
        f"{tx.get('pending_write', 0):,} waiting to be written back, "
        f"{tx.get('unmatched', 0):,} of contacts that are no learner's",
    ]
    if view.backlog.to_write:
        lines.append(f"write-back: {view.backlog.describe()}")
    return [*lines, *view.streams]


def render_status(view: Overview, day_limit: int, *, connectwise: bool = False) -> list[str]:
    """The lines `xerowatch status` prints (ConnectWise as the source: its streams instead of
    learners, their contacts and transactions)."""
    now = view.now
    lines: list[str] = []
    if view.daemon is None:
        lines.append("daemon: not running (start it with `xerowatch run` or `xerowatch tui`)")
    else:
        d = view.daemon
        lines.append(
            f"daemon: running (pid {d.pid} on {d.host}, heartbeat {d.heartbeat_age_s:.0f} s ago)"
        )
    if view.paused.get("*"):
        lines.append("paused: all organisations (`xerowatch resume` to continue)")
    if not view.tenants:
        lines.append("organisations: none connected: run `xerowatch connect`")
    for tenant in view.tenants:
        lines.append(f"organisation: {tenant.name} (tenant {tenant.tenant_id})")
        lines.append(f"  {connection_line(tenant, now)}")
        lines.append(f"  quota: {quota_line(tenant, now, day_limit)}")
    activity = last_activity(view)
    if activity:
        lines.append(f"last cycle: {activity.describe(now)}")
    if connectwise:
        lines.extend(view.streams or ["ConnectWise: no records read yet"])
    else:
        lines.extend(_learner_lines(view))
    if view.live and view.live.source:
        source = view.live.source
        lines.append(f"{source.name}: {source.used_today:,}/{source.daily_quota:,} requests today")
    lines.append(
        f"open alerts: {view.open_alerts:,}"
        + (f" ({_counts(view.open_alerts_by_type)})" if view.open_alerts else "")
        + (" — `xerowatch alerts` lists them with their fixes" if view.open_alerts else "")
    )
    lines.extend(resync_line(run) for run in view.resyncs)
    return lines
