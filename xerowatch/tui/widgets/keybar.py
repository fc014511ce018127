"""A footer that wraps: every key of the screen stays visible even at 80 columns."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.binding import ActiveBinding, Binding
from textual.widgets import Static


class KeyBar(Static):
    """The active screen's shown bindings, as `key label` pairs wrapped over as many lines."""

    DEFAULT_CSS = """
    KeyBar { height: auto; max-height: 3; background: $panel; color: $text; }
    """

    def on_mount(self) -> None:
        """Follow the screen's bindings (keymap changes and enabled actions included)."""
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._render_keys()

    def on_unmount(self) -> None:
        """Stop following the screen."""
        self.screen.bindings_updated_signal.unsubscribe(self)

    def on_resize(self, _event: events.Resize) -> None:
        """Re-wrap for the new width."""
        self._render_keys()

    def _in_order(self) -> list[ActiveBinding]:
        """The screen's own keys in the order its BINDINGS list them, then the rest."""
        declared = [b.action for b in type(self.screen).BINDINGS if isinstance(b, Binding)]
        rank = {action: n for n, action in enumerate(declared)}
        actives = list(self.screen.active_bindings.values())
        return sorted(actives, key=lambda a: rank.get(a.binding.action, len(rank)))

    def _bindings_changed(self, _screen: object) -> None:
        self._render_keys()

    def _render_keys(self) -> None:
        width = max(20, self.size.width or 80)
        lines: list[Text] = [Text()]
        seen: set[str] = set()
        for active in self._in_order():
            binding = active.binding
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            pair = Text()
            pair.append(self.app.get_key_display(binding), style="bold reverse")
            pair.append(f" {binding.description}", style="" if active.enabled else "dim")
            line = lines[-1]
            if line and line.cell_len + 2 + pair.cell_len > width:
                lines.append(Text())
                line = lines[-1]
            if line:
                line.append("  ")
            line.append_text(pair)
        self.update(Text("\n").join(lines))
