"""A block of ready-made lines (the header, the quota pane, the command line)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class Lines(Static):
    """Shows a list of Rich lines, each cut to the width (never wrapped)."""

    DEFAULT_CSS = """
    Lines { text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def show(self, lines: list[Text]) -> None:
        """Replace the lines."""
        shown = []
        for line in lines:
            line = line.copy()
            line.no_wrap = True
            line.overflow = "ellipsis"
            shown.append(line)
        self.update(Text("\n").join(shown))
