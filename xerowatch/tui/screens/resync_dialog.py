"""`y`: a resync's range and types, validated, with its cost and ETA shown before it starts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from xerowatch.config import Settings
from xerowatch.store.db import Store
from xerowatch.store.live import LiveState
from xerowatch.sync.resync import RESYNC_TYPES
from xerowatch.sync.resync_preview import ResyncPreview, parse_resync_input, preview_resync
from xerowatch.tui.text import number, span
from xerowatch.tui.widgets.choices import Choices

Previewer = Callable[[date, date, list[str]], Awaitable[ResyncPreview]]


def store_previewer(
    store: Store, settings: Settings, live: LiveState | None, tenant_id: str
) -> Previewer:
    """Cost resyncs against `store` at the budget `live` reports (of one tenant, or all)."""

    async def preview(date_from: date, date_to: date, types: list[str]) -> ResyncPreview:
        return await preview_resync(
            store,
            settings,
            date_from=date_from,
            date_to=date_to,
            types=types,
            tenant_id=tenant_id,
            live=live,
        )

    return preview


DEFAULT_TYPES = ("invoices",)


@dataclass(frozen=True)
class ResyncRequest:
    """What the operator confirmed: the `resync` command's arguments."""

    date_from: date
    date_to: date
    types: list[str]
    preview: ResyncPreview

    def args(self, tenant_id: str) -> dict[str, object]:
        """The command's arguments."""
        args: dict[str, object] = {
            "from": self.date_from.isoformat(),
            "to": self.date_to.isoformat(),
            "types": self.types,
        }
        if tenant_id:
            args["tenant_id"] = tenant_id
        return args


def describe_preview(preview: ResyncPreview) -> Text:
    """The cost lines: calls, source writes, ETA, whether it fits today's budget."""
    text = Text()
    text.append(f"≈ {number(preview.calls)} Xero calls", style="bold")
    text.append(
        f" ({number(preview.reads)} reads + at most {number(preview.writes_at_most)} writes)"
    )
    text.append(f" · {number(preview.source_requests)} source writes at most")
    text.append(f"\nETA {span(preview.eta_seconds)} at the current budget · ")
    if preview.fits_today:
        text.append("fits today's budget", style="green")
    else:
        text.append("does NOT fit today's budget", style="bold yellow")
    for line in preview.lines:
        text.append(f"\n· {line}")
    return text


class ResyncDialog(ModalScreen[ResyncRequest | None]):
    """Dates and types; the preview refreshes as they change; ctrl+s (or Start) starts."""

    BINDINGS = [
        Binding("escape", "cancel", "cancel", id="resync_dialog.cancel"),
        Binding("ctrl+s", "start", "start", id="resync_dialog.start"),
    ]

    class Previewed(Message):
        """The preview of the inputs as they were when it was asked for."""

        def __init__(
            self, key: tuple[date, date, tuple[str, ...]], preview: ResyncPreview | str
        ) -> None:
            super().__init__()
            self.key = key
            self.preview = preview

    def __init__(self, previewer: Previewer, today: date, *, scope: str) -> None:
        super().__init__()
        self.previewer = previewer
        self.today = today
        self.scope = scope
        self.request: ResyncRequest | None = None
        self._key: tuple[date, date, tuple[str, ...]] | None = None

    def compose(self) -> ComposeResult:
        """Range, types, preview, buttons."""
        with Vertical(classes="dialog", id="resync-dialog"):
            yield Static(f"Resync from Xero — {self.scope}", classes="dialog-title")
            yield Static("tab: next field · space: toggle a type", classes="dialog-hint")
            with Horizontal(id="resync-range"):
                yield Label("from ")
                yield Input(
                    (self.today - timedelta(days=30)).isoformat(), id="resync-from", compact=True
                )
                yield Label("  to ")
                yield Input(
                    (self.today + timedelta(days=1)).isoformat(), id="resync-to", compact=True
                )
            yield Choices(list(RESYNC_TYPES), set(DEFAULT_TYPES), id="resync-types")
            yield Static(id="resync-preview")
            with Horizontal(id="resync-buttons"):
                yield Button(
                    "Start (ctrl+s)",
                    id="resync-start",
                    variant="primary",
                    disabled=True,
                    compact=True,
                )
                yield Button("Cancel (esc)", id="resync-cancel", compact=True)

    def on_mount(self) -> None:
        """Preview the defaults straight away."""
        self._inputs_changed()

    @on(Input.Changed)
    @on(Choices.Changed)
    def _inputs_changed(self) -> None:
        date_from = self.query_one("#resync-from", Input).value
        date_to = self.query_one("#resync-to", Input).value
        types = self.query_one("#resync-types", Choices).selected
        self.request = None
        self.query_one("#resync-start", Button).disabled = True
        try:
            start, end, names = parse_resync_input(date_from, date_to, types)
        except ValueError as exc:
            self._key = None
            self.query_one("#resync-preview", Static).update(Text(f"✗ {exc}", style="bold red"))
            return
        self._key = (start, end, tuple(names))
        self.query_one("#resync-preview", Static).update(Text("working out the cost…", style="dim"))
        self._preview(self._key)

    @work(group="preview", exclusive=True)
    async def _preview(self, key: tuple[date, date, tuple[str, ...]]) -> None:
        try:
            preview: ResyncPreview | str = await self.previewer(key[0], key[1], list(key[2]))
        except Exception as exc:  # a store glitch: say so, never start blind
            preview = f"cannot work out the cost: {exc}"
        self.post_message(self.Previewed(key, preview))

    @on(Previewed)
    def _previewed(self, message: Previewed) -> None:
        if message.key != self._key:
            return  # the inputs moved on since
        shown = self.query_one("#resync-preview", Static)
        if isinstance(message.preview, str):
            shown.update(Text(f"✗ {message.preview}", style="bold red"))
            return
        start, end, names = message.key
        self.request = ResyncRequest(start, end, list(names), message.preview)
        shown.update(describe_preview(message.preview))
        self.query_one("#resync-start", Button).disabled = False

    @on(Button.Pressed, "#resync-start")
    def action_start(self) -> None:
        """Start the previewed resync (nothing happens until a preview is shown)."""
        if self.request is not None:
            self.dismiss(self.request)

    @on(Button.Pressed, "#resync-cancel")
    def action_cancel(self) -> None:
        """Close without starting anything."""
        self.dismiss(None)
