"""Fault injection: make matching requests fail, hang, drop, or succeed but lose their answer."""

from __future__ import annotations

import fnmatch
import random
from dataclasses import dataclass
from typing import Literal

import httpx

FaultKind = Literal["status", "drop", "slow", "apply_then_503", "apply_then_drop"]
FAULT_KINDS: tuple[FaultKind, ...] = ("status", "drop", "slow", "apply_then_503", "apply_then_drop")


class SimulatedDisconnect(httpx.RemoteProtocolError):
    """Raised inside the app to abort a response: the client sees a dropped connection.

    It is the error httpx raises when a real server hangs up, so under httpx.ASGITransport the
    client meets the same exception class it would meet over a socket (where uvicorn closes it).
    """


@dataclass
class Fault:
    """One planned failure.

    kinds: `status` answers `status` (500/502/503/504, optional Retry-After) without running the
    request; `drop` aborts the connection without running it; `slow` sleeps `delay` seconds on
    the simulator's clock and then answers normally; `apply_then_503` runs the request (a write
    IS applied and its answer cached for idempotent replays) but answers 503; `apply_then_drop`
    runs it and then drops the connection.
    """

    kind: FaultKind
    match: str = "*"
    """`"METHOD /Path"` or `"/Path"`; shell-style wildcards; paths are below /api.xro/2.0."""
    times: int | None = 1
    """How many matching requests it hits; None = every one."""
    status: int = 503
    retry_after: float | None = None
    delay: float = 5.0
    skip: int = 0
    """Let this many matching requests through before the fault starts."""
    rate: float = 1.0
    """The share of matching requests it hits, at random (chaos runs); 1.0 = every one."""
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        """Whether a request is one this fault targets."""
        pattern = self.match.strip()
        if " " in pattern:
            want_method, want_path = pattern.split(None, 1)
        else:
            want_method, want_path = "*", pattern
        return fnmatch.fnmatchcase(method.upper(), want_method.upper()) and (
            fnmatch.fnmatchcase(path, want_path)
        )

    @property
    def exhausted(self) -> bool:
        """Whether it has hit all the requests it was planned for."""
        return self.times is not None and self.hits >= self.times


class FaultPlan:
    """The faults waiting for requests, applied first-added first."""

    def __init__(self, seed: int | None = None) -> None:
        self._faults: list[Fault] = []
        self._rng = random.Random(seed)

    def add(
        self,
        kind: FaultKind,
        match: str = "*",
        times: int | None = 1,
        *,
        status: int = 503,
        retry_after: float | None = None,
        delay: float = 5.0,
        skip: int = 0,
        rate: float = 1.0,
    ) -> Fault:
        """Plan a fault for requests matching `match` (e.g. "PUT /Contacts")."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
        if kind == "status" and not 400 <= status <= 599:
            raise ValueError(f"a status fault needs an error status, got {status}")
        if not 0.0 < rate <= 1.0:
            raise ValueError(f"a fault's rate must be in (0, 1], got {rate}")
        fault = Fault(kind, match, times, status, retry_after, delay, skip, rate)
        self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """Return the fault that hits this request, counting the hit, or None."""
        for fault in self._faults:
            if fault.exhausted or not fault.matches(method, path):
                continue
            if fault.skip > 0:
                fault.skip -= 1
                continue
            if fault.rate < 1.0 and self._rng.random() >= fault.rate:
                continue
            fault.hits += 1
            return fault
        return None

    def pending(self) -> list[Fault]:
        """Faults that will still hit requests."""
        return [fault for fault in self._faults if not fault.exhausted]

    def clear(self) -> None:
        """Forget every planned fault."""
        self._faults.clear()
