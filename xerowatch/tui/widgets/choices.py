"""A list of on/off choices that reads the same in colour, in 16 colours and with NO_COLOR."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option


class Choices(OptionList):
    """Each line `[x] name` or `[ ] name`; enter or space toggles the highlighted one."""

    BINDINGS = [("space", "flip", "toggle")]

    class Changed(Message):
        """The set of chosen names changed."""

        def __init__(self, chosen: list[str]) -> None:
            super().__init__()
            self.chosen = chosen

    def __init__(self, names: list[str], chosen: set[str], *, id: str | None = None) -> None:
        super().__init__(*(Option(self._label(n, n in chosen), id=n) for n in names), id=id)
        self.names = names
        self.chosen = set(chosen)

    @staticmethod
    def _label(name: str, on_: bool) -> Text:
        return Text(f"[{'x' if on_ else ' '}] {name}", style="bold" if on_ else "")

    @property
    def selected(self) -> list[str]:
        """The chosen names, in list order."""
        return [name for name in self.names if name in self.chosen]

    def action_flip(self) -> None:
        """Toggle the highlighted choice."""
        if self.highlighted is not None:
            self._toggle(self.highlighted)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._toggle(event.option_index)

    def _toggle(self, index: int) -> None:
        name = self.names[index]
        self.chosen.symmetric_difference_update({name})
        self.replace_option_prompt_at_index(index, self._label(name, name in self.chosen))
        self.post_message(self.Changed(self.selected))
