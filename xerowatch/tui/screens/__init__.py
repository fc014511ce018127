"""The dashboard's screens and dialogs."""

from xerowatch.tui.screens.confirm import ConfirmScreen
from xerowatch.tui.screens.connection import ConnectionScreen
from xerowatch.tui.screens.detail import DetailScreen
from xerowatch.tui.screens.help import HelpScreen
from xerowatch.tui.screens.main import MainScreen
from xerowatch.tui.screens.prompt import ChoicePrompt, TextPrompt
from xerowatch.tui.screens.resync_dialog import ResyncDialog, ResyncRequest

__all__ = [
    "ChoicePrompt",
    "ConfirmScreen",
    "ConnectionScreen",
    "DetailScreen",
    "HelpScreen",
    "MainScreen",
    "ResyncDialog",
    "ResyncRequest",
    "TextPrompt",
]
