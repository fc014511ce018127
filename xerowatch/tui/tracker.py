"""The commands this dashboard sent, followed to their result, and the line that shows them."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.text import Text

from xerowatch.store.command_queue import Command

TRACK_COMMANDS = 20
"""Commands whose life the command line follows."""
NO_DAEMON = "waiting for the daemon — none is running (start `xerowatch run`)"


def finished(command: Command | None) -> bool:
    """Done or failed."""
    return command is not None and command.state in ("done", "failed")


@dataclass
class CommandTracker:
    """Labels and last-read states of the commands sent; a hint replaces them until the next."""

    labels: dict[int, str] = field(default_factory=dict)
    states: dict[int, Command] = field(default_factory=dict)
    hint: Text | None = None

    def sent(self, command_id: int, label: str) -> None:
        """Follow a new command (forgetting the oldest beyond TRACK_COMMANDS)."""
        self.hint = None
        self.labels[command_id] = label
        while len(self.labels) > TRACK_COMMANDS:
            oldest = next(iter(self.labels))
            del self.labels[oldest]
            self.states.pop(oldest, None)

    def update(self, commands: list[Command]) -> None:
        """The states just read."""
        for command in commands:
            if command.id in self.labels:
                self.states[command.id] = command

    def open_ids(self) -> list[int]:
        """The followed commands not finished yet."""
        return [i for i in self.labels if not finished(self.states.get(i))]

    def line(self, *, daemon_running: bool) -> Text:
        """The newest command's life (accepted → running → done/failed), or the hint."""
        if self.hint is not None:
            return self.hint
        if not self.labels:
            return Text("ready · ctrl+p: all actions by name", style="dim")
        newest = next(reversed(self.labels))
        command = self.states.get(newest)
        text = Text(f"#{newest} {self.labels[newest]}: ")
        if command is None or command.state == "pending":
            if daemon_running:
                text.append("accepted, waiting for the daemon to pick it up…", style="yellow")
            else:
                text.append(NO_DAEMON, style="bold yellow")
        elif command.state == "running":
            text.append("running…", style="bold yellow")
        elif command.state == "done":
            text.append("done", style="bold green")
            text.append(f": {command.result}" if command.result else "")
        else:
            text.append("FAILED", style="bold red")
            text.append(f": {command.result}" if command.result else "")
        busy = sum(1 for i in self.open_ids() if i != newest)
        if busy:
            text.append(f"  (+{busy} more in progress)", style="dim")
        return text
