"""The resync-jobs pane: progress, calls used, ETA, and a clear line when one finished."""

from __future__ import annotations

from datetime import datetime, tzinfo

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from xerowatch.store.resyncs import ACTIVE_STATES, Resync
from xerowatch.tui.text import bar, hhmm, number, percent, shorten, span

STATE_STYLE = {
    "running": "bold green",
    "pending": "yellow",
    "paused": "bold yellow",
    "done": "green",
    "failed": "bold red",
    "cancelled": "dim",
}


def resync_text(run: Resync, tz: tzinfo | None, width: int = 78) -> Text:
    """Two lines: what and state; progress, or the finished line with totals."""
    text = Text()
    text.append(f"#{run.id} ")
    text.append(run.state, style=STATE_STYLE.get(run.state, ""))
    text.append(f"  {run.date_from}..{run.date_to}  {', '.join(run.types)}")
    if run.tenant_id:
        text.append(f"  ({shorten(run.tenant_id, 12)})", style="dim")
    text.append("\n   ")
    if run.state in ACTIVE_STATES:
        text.append(bar(run.done, run.total, 16), style="cyan")
        total = number(run.total) if run.total else "?"
        text.append(f" {percent(run.done, run.total)} {number(run.done)}/{total} records")
        text.append(f" · {number(run.calls_used)} calls")
        eta = run.progress.get("eta_seconds")
        if isinstance(eta, int | float) and run.state == "running":
            text.append(f" · ETA {span(float(eta))}")
        if run.message:
            text.append(f" · {shorten(run.message, 40)}", style="dim")
        return text
    ended = hhmm(run.finished_at, tz)
    verb = {"done": "finished", "failed": "FAILED", "cancelled": "cancelled"}.get(
        run.state, run.state
    )
    text.append(
        f"{verb} at {ended}: {number(run.done)} records, {number(run.calls_used)} calls",
        style=STATE_STYLE.get(run.state, ""),
    )
    if run.message:
        room = width - len(text.plain.split("\n")[-1]) - 3
        if room > 8:
            text.append(f" — {shorten(run.message, room)}")
    return text


class ResyncsPane(OptionList):
    """The recent resyncs, newest first; p pauses or resumes, x cancels the selected one."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.runs: list[Resync] = []

    def show_runs(self, runs: list[Resync], now: datetime, tz: tzinfo | None) -> None:
        """Replace the list, keeping the selection on the same run."""
        keep = self.selected()
        self.runs = list(runs)
        self.clear_options()
        if not runs:
            self.add_option(
                Option(Text("no resyncs yet — y starts one", style="dim"), disabled=True)
            )
            return
        width = max(40, (self.size.width or self.app.size.width) - 4)
        self.add_options(Option(resync_text(run, tz, width), id=str(run.id)) for run in runs)
        kept = [i for i, run in enumerate(runs) if keep is not None and run.id == keep.id]
        active = [i for i, run in enumerate(runs) if run.state in ACTIVE_STATES]
        self.highlighted = (kept or active or [0])[0]

    def selected(self) -> Resync | None:
        """The resync under the cursor."""
        index = self.highlighted
        if index is None or not 0 <= index < len(self.runs):
            return None
        return self.runs[index]
