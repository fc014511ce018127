"""The Textual dashboard (the only package allowed to import textual)."""

from xerowatch.tui.run import run_dashboard

__all__ = ["run_dashboard"]
