"""What every part of the engine shares: store, Xero client, source, settings, clock, counters."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from xerowatch.clock import Clock
from xerowatch.config import SyncSettings
from xerowatch.source.port import SourcePort
from xerowatch.store.db import Store
from xerowatch.sync.backoff import JobBackoff
from xerowatch.xero.client import XeroClient
from xerowatch.xero.transport import CallRecord, TenantRef


@dataclass
class CallCounter:
    """Counts Xero calls per endpoint (fed by the transport's on_call hook)."""

    by_endpoint: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)
    unreached: Counter[str] = field(default_factory=Counter)
    """Attempts that got no answer (connection refused, timeout): not Xero calls."""

    def record(self, call: CallRecord) -> None:
        """Count one HTTP attempt: a Xero call if Xero answered it, else an unreached attempt."""
        if call.status is None:
            self.unreached[call.endpoint] += 1
            return
        self.by_endpoint[call.endpoint] += 1
        self.by_status[f"{call.endpoint} {call.status}"] += 1

    @property
    def unreached_total(self) -> int:
        """Attempts that never reached Xero."""
        return sum(self.unreached.values())

    @property
    def total(self) -> int:
        """All calls counted."""
        return sum(self.by_endpoint.values())

    def snapshot(self) -> dict[str, int]:
        """Calls per endpoint, sorted."""
        return dict(sorted(self.by_endpoint.items()))


SOURCE_WORDS = {
    "wisenet": "Wisenet",
    "file": "the learner CSV files",
    "connectwise": "ConnectWise",
}
"""How alerts and logs name each kind of source (never "the source system")."""


@dataclass
class EngineDeps:
    """The engine's dependencies, built once by the composition root."""

    store: Store
    xero: XeroClient
    source: SourcePort
    settings: SyncSettings
    clock: Clock
    calls: CallCounter = field(default_factory=CallCounter)
    backoff: JobBackoff = field(default_factory=JobBackoff)

    @property
    def source_label(self) -> str:
        """The source in the operator's words: "Wisenet", "the learner CSV files"."""
        return SOURCE_WORDS.get(self.source.name, self.source.name)

    def tenant_ref(self, tenant_id: str, connection_id: str) -> TenantRef:
        """Build the transport's tenant reference."""
        return TenantRef(tenant_id=tenant_id, connection_id=connection_id)
