"""ConnectWise GL class → Xero tracking options, from `[connectwise] class_tracking`.

Wise-Sync ties Xero tracking categories to the GL class ConnectWise puts on each GL line
(notes §7). A class maps to one or two `Category:Option` pairs (Xero allows two tracking
categories per line). An unlisted class gives no tracking, or holds the record when
`class_tracking_required` is set (Wise-Sync's "halt on missing class").
"""

from __future__ import annotations

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
