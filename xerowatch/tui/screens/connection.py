"""`c`: each connection's state and, when it needs one, exactly how to reconnect."""

from __future__ import annotations

from datetime import tzinfo

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from xerowatch.store.overview import Overview
from xerowatch.tui.summary import connection_text
from xerowatch.tui.text import hhmm


def connection_report(view: Overview, tz: tzinfo | None) -> Text:
    """Organisations, their tokens and pause state; other connections; what to run."""
    text = Text()
    if not view.tenants:
        text.append("No Xero organisation is connected.\n", style="bold red")
        text.append("Run `xerowatch connect` on this server to connect one.\n")
    for tenant in view.tenants:
        text.append(f"{tenant.name}\n", style="bold")
        text.append(f"  tenant {tenant.tenant_id} · connection {tenant.connection_id}\n")
        text.append("  ")
        text.append_text(connection_text(tenant, view.now, tz))
        text.append("\n")
        if tenant.connection_status == "needs_reconnect":
            text.append("  to reconnect: ", style="bold")
            text.append("run `xerowatch connect` as the user that owns the store, then the\n")
            text.append("  daemon picks the new tokens up by itself (no restart needed).\n")
        if tenant.paused:
            text.append("  paused: p resumes it (or `xerowatch resume`).\n")
    others = [row for row in view.connections if row.get("provider") != "xero"]
    for row in others:
        text.append(f"\n{row.get('provider')} ", style="bold")
        text.append(f"({row.get('auth_mode')}): {row.get('status')}")
        if row.get("status_reason"):
            text.append(f" — {row.get('status_reason')}")
        if row.get("access_expires_at"):
            text.append(f" · token until {hhmm(row.get('access_expires_at'), tz)}")
        if row.get("status") == "needs_reconnect":
            text.append("\n  to reconnect: run `xerowatch wisenet-connect`")
        text.append("\n")
    text.append("\nlist them: `xerowatch connections` · remove one: `xerowatch disconnect TENANT`")
    if view.daemon is not None:
        d = view.daemon
        text.append(f"\ndaemon pid {d.pid} on {d.host}, heartbeat {d.heartbeat_age_s:.0f} s ago")
    return text


class ConnectionScreen(ModalScreen[None]):
    """The connection report; escape or c closes it."""

    BINDINGS = [Binding("escape,c,q", "close", "close", id="connection.close")]

    def __init__(self, view: Overview, tz: tzinfo | None) -> None:
        super().__init__()
        self.view = view
        self.tz = tz

    def compose(self) -> ComposeResult:
        """The report."""
        with VerticalScroll(classes="dialog wide"):
            yield Static(Text("Connections", style="bold"), classes="dialog-title")
            yield Static(connection_report(self.view, self.tz), id="connection-report")
            yield Static("escape: back", classes="dialog-keys")

    def action_close(self) -> None:
        """Back to the dashboard."""
        self.dismiss(None)
