"""The dashboard's widgets: panes, the key bar, line blocks."""

from xerowatch.tui.widgets.alerts import AlertsPane
from xerowatch.tui.widgets.choices import Choices
from xerowatch.tui.widgets.history import HistoryPane
from xerowatch.tui.widgets.keybar import KeyBar
from xerowatch.tui.widgets.lines import Lines
from xerowatch.tui.widgets.pending import PendingPane
from xerowatch.tui.widgets.resyncs import ResyncsPane

__all__ = [
    "AlertsPane",
    "Choices",
    "HistoryPane",
    "KeyBar",
    "Lines",
    "PendingPane",
    "ResyncsPane",
]
