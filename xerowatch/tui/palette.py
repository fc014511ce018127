"""The command palette (ctrl+p): every key's action by name, on whichever screen is open."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


class DashboardCommands(Provider):
    """Offers the open screen's bindings (those with an id) by their description."""

    def _commands(self) -> list[tuple[str, str, str]]:
        found: dict[str, tuple[str, str, str]] = {}
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if binding.id is None or binding.action in found or not active.enabled:
                continue
            key = self.app.get_key_display(binding)
            name = (binding.tooltip or binding.description).rstrip(".")
            found[binding.action] = (name, binding.action, f"key {key} · id {binding.id}")
        return sorted(found.values())

    async def discover(self) -> Hits:
        """All of them, when nothing is typed yet."""
        for name, action, help_text in self._commands():
            yield DiscoveryHit(name, partial(self.screen.run_action, action), help=help_text)

    async def search(self, query: str) -> Hits:
        """Those matching what is typed."""
        matcher = self.matcher(query)
        for name, action, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(name),
                    partial(self.screen.run_action, action),
                    help=help_text,
                )
