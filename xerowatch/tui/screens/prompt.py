"""Small dialogs: a line of text (search, record filter) or one choice from a list."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option


class TextPrompt(ModalScreen[str | None]):
    """Ask for one line; enter returns it (empty clears the filter), escape returns None."""

    BINDINGS = [Binding("escape", "cancel", "cancel", id="prompt.cancel")]

    def __init__(self, title: str, value: str = "", placeholder: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.value = value
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        """Title, input, keys."""
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-title")
            yield Input(self.value, placeholder=self.placeholder, id="prompt-input")
            yield Static("enter: apply (empty clears)    escape: cancel", classes="dialog-keys")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        """Close without a value."""
        self.dismiss(None)


class ChoicePrompt(ModalScreen[str | None]):
    """Pick one of (value, label) pairs; enter returns the value, escape None."""

    BINDINGS = [Binding("escape", "cancel", "cancel", id="choice.cancel")]

    def __init__(self, title: str, choices: list[tuple[str, str]], current: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices
        self.current = current

    def compose(self) -> ComposeResult:
        """Title, options, keys."""
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-title")
            yield OptionList(
                *(Option(label, id=value or "\x00") for value, label in self.choices),
                id="choice-list",
            )
            yield Static("enter: choose    escape: cancel", classes="dialog-keys")

    def on_mount(self) -> None:
        """Start on the current choice."""
        options = self.query_one(OptionList)
        for index, (value, _) in enumerate(self.choices):
            if value == self.current:
                options.highlighted = index

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        value = event.option.id or ""
        self.dismiss("" if value == "\x00" else value)

    def action_cancel(self) -> None:
        """Close without a choice."""
        self.dismiss(None)
