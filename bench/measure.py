"""What a benchmark phase reports, and the meter that takes the readings around it."""

from __future__ import annotations

import re
import resource
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from xerowatch.clock import Clock
from xerowatch.sim.xero import XeroSim
from xerowatch.sync.engine_deps import CallCounter

XERO_MINUTE_LIMIT = 60
"""Xero's published per-tenant calls per minute."""
XERO_DAY_LIMIT = 5000
"""Xero's published per-tenant calls per day."""
WISENET_PER_SECOND = 10
"""Wisenet's published requests per second per API key."""

_ID_SEGMENT = re.compile(r"^(/invoices|/learners(?:AU|NZ))/[^/]+$")

Detail = int | float | str


@dataclass
class PhaseResult:
    """The readings of one measured phase of a scenario."""

    scenario: str
    phase: str
    clock: Literal["real", "virtual"]
    wall_s: float
    """Real seconds the phase took."""
    virtual_s: float | None
    """Seconds of virtual time that passed (virtual-clock scenarios only)."""
    records: int
    records_label: str
    xero_calls: dict[str, int]
    """Accounting API calls by endpoint as the client sent them (retries included)."""
    xero_429: int
    """429 answers the Xero simulator gave during the phase."""
    source_requests: dict[str, int]
    """Requests the Wisenet simulator answered, by method and path."""
    peak_rss_mb: float
    """The process's resident-set high-water mark so far (simulators included)."""
    details: dict[str, Detail] = field(default_factory=dict)
    source_429: int = 0
    """429 answers the Wisenet simulator gave during the phase (each costs a quota unit)."""
    computed: dict[str, float] = field(default_factory=dict)
    """Figures derived from call counts rather than measured (labelled as such in reports)."""

    @property
    def elapsed_s(self) -> float:
        """The phase's duration on its own clock."""
        return self.virtual_s if self.virtual_s is not None else self.wall_s

    @property
    def records_per_s(self) -> float | None:
        """Records handled per second of the phase's own clock (None if no time passed on it)."""
        return self.records / self.elapsed_s if self.elapsed_s > 0 else None

    @property
    def xero_total(self) -> int:
        """All accounting calls of the phase."""
        return sum(self.xero_calls.values())

    @property
    def xero_writes(self) -> int:
        """Accounting calls that write (POST or PUT)."""
        return sum(n for ep, n in self.xero_calls.items() if ep.startswith(("POST ", "PUT ")))

    @property
    def source_writes(self) -> int:
        """Requests that wrote to the source system."""
        return sum(n for ep, n in self.source_requests.items() if ep.startswith(("POST ", "PUT ")))


def peak_rss_mb() -> float:
    """The process's peak resident set size in MiB (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def seconds_at_minute_limit(calls: int, per_minute: int = XERO_MINUTE_LIMIT) -> float:
    """Least time `calls` calls need under a per-minute limit: a new minute per `per_minute` calls.

    Network latency is ignored, so this is a lower bound.
    """
    return 60.0 * ((calls - 1) // per_minute) if calls > 0 else 0.0


def minute_limit_estimate(result: PhaseResult) -> dict[str, float]:
    """Computed (not measured) lower bounds of the phase under Xero's and Wisenet's real limits."""
    source_total = sum(result.source_requests.values())
    return {
        "xero_s_at_60_per_min": seconds_at_minute_limit(result.xero_total),
        "xero_days_at_5000_per_day": result.xero_total / XERO_DAY_LIMIT,
        "wisenet_s_at_10_per_s": source_total / WISENET_PER_SECOND,
    }


_CONNECTWISE_PREFIX = re.compile(r"^/[^/]+/apis/3\.0(?=/)")
_NUMERIC_SEGMENT = re.compile(r"/\d+(?=/|$)")


def source_key(method: str, path: str) -> str:
    """A source request's endpoint with its ids folded: "PUT /invoices/{id}",
    "GET /company/companies/{id}" (ConnectWise's codebase and API prefix dropped)."""
    path = _NUMERIC_SEGMENT.sub("/{id}", _CONNECTWISE_PREFIX.sub("", path))
    return method + " " + _ID_SEGMENT.sub(r"\1/{id}", path)


class SourceRequest(Protocol):
    """One request a source simulator answered (Wisenet's or ConnectWise's)."""

    @property
    def method(self) -> str:
        """The HTTP method."""
        ...

    @property
    def path(self) -> str:
        """The URL path."""
        ...

    @property
    def status(self) -> int:
        """The status it answered."""
        ...


class SourceSim(Protocol):
    """A source simulator that logs what it answered."""

    @property
    def requests(self) -> Sequence[SourceRequest]:
        """Every request so far, oldest first."""
        ...


class Meter:
    """Readings at the start of a phase; `finish` turns the differences into a `PhaseResult`."""

    def __init__(
        self,
        *,
        calls: CallCounter,
        xero_sim: XeroSim,
        source_sim: SourceSim,
        clock: Clock,
        virtual: bool,
    ) -> None:
        self._calls = calls
        self._xero_sim = xero_sim
        self._source_sim = source_sim
        self._clock = clock
        self._virtual = virtual
        self._calls_before = calls.snapshot()
        self._xero_log_start = self._xero_log_length()
        self._source_log_start = len(source_sim.requests)
        self._clock_start = clock.monotonic()
        self._wall_start = time.perf_counter()

    def _xero_log_length(self) -> int:
        with self._xero_sim.lock:
            return len(self._xero_sim.requests)

    def finish(
        self,
        scenario: str,
        phase: str,
        *,
        records: int,
        records_label: str,
        details: dict[str, Detail] | None = None,
    ) -> PhaseResult:
        """Stop the clocks and report what happened since the meter was made."""
        wall = time.perf_counter() - self._wall_start
        virtual = self._clock.monotonic() - self._clock_start if self._virtual else None
        after = self._calls.snapshot()
        calls = {
            ep: n - self._calls_before.get(ep, 0)
            for ep, n in after.items()
            if n - self._calls_before.get(ep, 0)
        }
        with self._xero_sim.lock:
            xero_log = self._xero_sim.requests[self._xero_log_start :]
        throttled = sum(1 for entry in xero_log if entry.status == 429)
        source_log = self._source_sim.requests[self._source_log_start :]
        source = Counter(source_key(r.method, r.path) for r in source_log)
        source_throttled = sum(1 for r in source_log if r.status == 429)
        return PhaseResult(
            scenario=scenario,
            phase=phase,
            clock="virtual" if self._virtual else "real",
            wall_s=wall,
            virtual_s=virtual,
            records=records,
            records_label=records_label,
            xero_calls=dict(sorted(calls.items())),
            xero_429=throttled,
            source_requests=dict(sorted(source.items())),
            peak_rss_mb=peak_rss_mb(),
            details=dict(details or {}),
            source_429=source_throttled,
        )
