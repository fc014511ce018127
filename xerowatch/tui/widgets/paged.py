"""A pane that shows one page of a list and shows it again, refitted, when its width changes."""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime, tzinfo
from typing import Generic, TypeVar

from textual.containers import Vertical

PageT = TypeVar("PageT")


class PagedPane(Vertical, Generic[PageT]):
    """Remembers the page on screen; a resize shows it again fitted to the new width."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.shown: tuple[PageT, datetime, tzinfo | None] | None = None
        """The page on screen, with the time and zone it was drawn for."""

    def on_resize(self) -> None:
        """Refit the rows to the new width."""
        self.refit()

    def refit(self) -> None:
        """Show the rows again, fitted to the width the pane has now."""
        if self.shown is not None:
            self.show_page(*self.shown)

    @abstractmethod
    def show_page(self, page: PageT, now: datetime, tz: tzinfo | None) -> None:
        """Draw a page (each pane draws its own rows)."""
