"""Whether the dashboard attaches to a running daemon, hosts one, or refuses (no Textual)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from xerowatch.daemon.runner import EXIT_LEASE_HELD
from xerowatch.store.overview import DaemonInfo

Mode = Literal["auto", "attach", "embedded"]
EXIT_NO_DAEMON = 1


@dataclass(frozen=True)
class Start:
    """What to do at start-up: attach, embed, or exit with a code and one line."""

    action: Literal["attach", "embed", "exit"]
    code: int = 0
    message: str = ""


def decide(mode: Mode, holder: DaemonInfo | None, store_path: Path) -> Start:
    """auto: attach to a live daemon, else embed · attach: never embed · embedded: never attach."""
    if holder is not None:
        if mode == "embedded":
            return Start(
                "exit",
                EXIT_LEASE_HELD,
                f"xerowatch tui --embedded: a daemon already runs on this store (pid "
                f"{holder.pid} on {holder.host}); run `xerowatch tui` to attach to it",
            )
        return Start("attach")
    if mode == "attach":
        return Start(
            "exit",
            EXIT_NO_DAEMON,
            f"xerowatch tui --attach-only: no daemon is running on {store_path}; start it "
            "(`xerowatch run` or the service), or run `xerowatch tui` to run one inside "
            "the dashboard",
        )
    return Start("embed")


def lost_race(mode: Mode) -> Start:
    """The embedded daemon found the lease taken (another one started meanwhile)."""
    if mode == "embedded":
        return Start(
            "exit",
            EXIT_LEASE_HELD,
            "xerowatch tui --embedded: another daemon took this store's lease first; "
            "run `xerowatch tui` to attach to it",
        )
    return Start("attach")
