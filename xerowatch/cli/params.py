"""Click parameter types for numbers the store keeps: range-checked before SQLite sees them."""

from __future__ import annotations

import click

SQLITE_INT_MAX = 2**63 - 1
"""The largest INTEGER SQLite stores; Python ints beyond it raise OverflowError in sqlite3."""


class BoundedInt(click.ParamType[int, object]):
    """A whole number in [minimum, maximum], named in its error (e.g. "alert ids")."""

    name = "integer"

    def __init__(self, what: str, *, minimum: int = 1, maximum: int = SQLITE_INT_MAX) -> None:
        self.what = what
        self.minimum = minimum
        self.maximum = maximum

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> int:
        """Parse and range-check; fail with one line naming the value and the range."""
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            text = str(value).strip()
            try:
                number = int(text)
            except ValueError:  # also a number past Python's 4,300-digit conversion limit
                shown = text if len(text) <= 40 else text[:40] + "…"
                self.fail(f"{shown!r} is not a whole number ({self._range()})", param, ctx)
        if not self.minimum <= number <= self.maximum:
            shown = str(number) if len(str(number)) <= 40 else str(number)[:40] + "…"
            self.fail(f"{shown} is out of range ({self._range()})", param, ctx)
        return number

    def _range(self) -> str:
        return f"{self.what} go from {self.minimum} to {self.maximum:,}"


ALERT_ID = BoundedInt("alert ids")
RESYNC_ID = BoundedInt("resync ids")
ROW_COUNT = BoundedInt("row counts")
LEARNER_COUNT = BoundedInt("learner counts", maximum=100_000)
