"""ConnectWise GL class → Xero tracking options, from `[connectwise] class_tracking`.

Wise-Sync ties Xero tracking categories to the GL class ConnectWise puts on each GL line
(notes §7). A class maps to one or two `Category:Option` pairs (Xero allows two tracking
categories per line). An unlisted class gives no tracking, or holds the record when
`class_tracking_required` is set (Wise-Sync's "halt on missing class").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from xerowatch.config_connectwise import ConnectWiseSettings, parse_tracking
from xerowatch.xero.models_documents import TrackingRef


def tracking_for(
    gl_class: str | None, settings: ConnectWiseSettings
) -> tuple[TrackingRef, ...] | str:
    """The tracking of a line of class `gl_class`, or why its record must be held."""
    if not settings.class_tracking:
        return ()
    spec = settings.class_tracking.get((gl_class or "").strip())
    if spec is None:
        if settings.class_tracking_required:
            name = gl_class or "(none)"
            return (
                f"GL class {name!r} has no Xero tracking: add it to [connectwise] class_tracking "
                "or set class_tracking_required = false"
            )
        return ()
    return tuple(TrackingRef(name=name, option=option) for name, option in parse_tracking(spec))


@dataclass(frozen=True)
class LineClasses:
    """The GL classes ConnectWise's export gave a record's lines, by line number.

    A line the export did not carry (a PO line not received yet has no GL entry) takes
    `default` (the record's own class), else no class: it goes untracked and never holds the
    record, since its class is unknown rather than missing.
    """

    by_line: Mapping[int, str] = field(default_factory=dict)
    default: str | None = None

    def of(self, line_number: int) -> str | None:
        """The class of line `line_number`, or None when ConnectWise has not said."""
        return self.by_line.get(line_number, self.default)


def tracking_of_known(
    gl_class: str | None, settings: ConnectWiseSettings
) -> tuple[TrackingRef, ...] | str:
    """`tracking_for` a class ConnectWise sent; nothing (never a hold) for an unknown one."""
    return () if gl_class is None else tracking_for(gl_class, settings)
