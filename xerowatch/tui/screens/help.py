"""`?`: every key with its binding id (for `[tui.keymap]`) and what it does."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYMAP_HINT = (
    'Remap a key in the config: [tui.keymap] then  retry = "ctrl+r"  (binding id = keys).\n'
    "ctrl+p opens the command palette: every action by name."
)


class HelpScreen(ModalScreen[None]):
    """The keys, their ids and descriptions; escape, q or ? closes."""

    BINDINGS = [Binding("escape,q,question_mark", "close", "close", id="help.close")]

    def __init__(self, rows: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.rows = rows
        """(key as shown, binding id, what it does)."""

    def compose(self) -> ComposeResult:
        """The table of keys."""
        table = Text()
        table.append(f"{'key':<11}{'binding id':<21}does\n", style="bold underline")
        for key, binding_id, does in self.rows:
            table.append(f"{key:<10} ", style="bold")
            table.append(f"{binding_id:<20} {does}\n")
        with VerticalScroll(classes="dialog wide"):
            yield Static(Text("Keys", style="bold"), classes="dialog-title")
            yield Static(table, id="help-table")
            yield Static(KEYMAP_HINT, classes="dialog-keys")

    def action_close(self) -> None:
        """Back to the dashboard."""
        self.dismiss(None)
