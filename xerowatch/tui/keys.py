"""Every key of the dashboard: its binding id (for `[tui.keymap]`), help and palette text."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from textual.binding import Binding, BindingType

MAIN_BINDINGS: list[BindingType] = [
    Binding("s", "sync_now", "sync", id="sync_now", tooltip="Wake every sync loop now"),
    Binding(
        "r",
        "retry",
        "retry",
        id="retry",
        tooltip="Retry the selected learner or ConnectWise record (just that one)",
    ),
    Binding("R", "retry_all", "retry all", id="retry_all", tooltip="Retry every failed learner"),
    Binding("a", "acknowledge", "ack", id="acknowledge", tooltip="Acknowledge the selected alert"),
    Binding(
        "A",
        "acknowledge_all",
        "ack shown",
        id="acknowledge_all",
        tooltip="Acknowledge every alert shown",
    ),
    Binding("y", "resync", "resync", id="resync", tooltip="Resync a date range from Xero"),
    Binding(
        "p",
        "pause",
        "pause",
        id="pause",
        tooltip="Pause or resume (the resync selected, else syncing)",
    ),
    Binding(
        "x",
        "cancel_resync",
        "cancel resync",
        id="cancel_resync",
        show=False,
        tooltip="Cancel the selected resync (Resyncs pane)",
    ),
    Binding(
        "slash",
        "search",
        "search",
        id="search",
        tooltip="Search alerts, history by record, or open a learner",
    ),
    Binding(
        "f",
        "filter",
        "filter",
        id="filter",
        tooltip="Alert type, pending bucket, ConnectWise stream, history record",
    ),
    Binding(
        "enter",
        "detail",
        "detail",
        id="detail",
        priority=True,
        tooltip="The selected learner's detail (a ConnectWise record: its history)",
    ),
    Binding(
        "tab",
        "next_pane",
        "pane",
        id="next_pane",
        priority=True,
        tooltip="Next pane: Pending (ConnectWise: Streams), Alerts, History, Resyncs",
    ),
    Binding(
        "shift+tab", "previous_pane", "previous pane", id="previous_pane", show=False, priority=True
    ),
    Binding(
        "right_square_bracket",
        "page(1)",
        "next page",
        id="next_page",
        show=False,
        tooltip="Next page of the pending, streams or alerts list",
    ),
    Binding(
        "left_square_bracket",
        "page(-1)",
        "previous page",
        id="previous_page",
        show=False,
        tooltip="Previous page of the pending, streams or alerts list",
    ),
    Binding(
        "o",
        "next_tenant",
        "next organisation",
        id="next_tenant",
        show=False,
        tooltip="Next organisation in the header and quota pane",
    ),
    Binding(
        "c", "connection", "connection", id="connection", tooltip="Connections and how to reconnect"
    ),
    Binding("question_mark", "help", "help", id="help", tooltip="This list of keys"),
    Binding(
        "q",
        "app.quit",
        "quit",
        id="quit",
        tooltip="Quit (an embedded daemon stops gracefully first)",
    ),
]


def key_rows(
    bindings: Sequence[BindingType],
    keymap: Mapping[str, str],
    display: Callable[[Binding], str],
) -> list[tuple[str, str, str]]:
    """(keys as shown, binding id, what it does) for each binding with an id, remaps applied."""
    rows: list[tuple[str, str, str]] = []
    for binding in bindings:
        if not isinstance(binding, Binding) or binding.id is None:
            continue
        keys = keymap.get(binding.id, binding.key)
        shown = ", ".join(display(Binding(key.strip(), binding.action)) for key in keys.split(","))
        rows.append((shown, binding.id, binding.tooltip or binding.description))
    return rows


def keymap_problem(bindings: Sequence[BindingType], keymap: Mapping[str, str]) -> str:
    """One line naming a keymap entry that names no binding, else "" (a typo must not be
    silently ignored)."""
    known = [b.id for b in bindings if isinstance(b, Binding) and b.id]
    unknown = sorted(set(keymap) - set(known))
    if not unknown:
        return ""
    return (
        f"config error: tui.keymap: unknown binding id {unknown[0]!r} — use one of: "
        f"{', '.join(known)} (`?` in the dashboard lists them)"
    )
