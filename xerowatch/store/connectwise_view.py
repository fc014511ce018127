"""The ConnectWise streams as people look at them: per kind of record, its counts by state, its
cursor and last activity, and a page of its records (the ones needing attention first, each
with its open alert's fix). Read by the dashboard's Streams pane and by `status`.

Generic over whatever kinds `cw_records` holds: parties (customers, members) first, then the
documents in the order money flows (invoices, expenses, purchases, adjustments, transfers), then
any kind added later, alphabetically.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from xerowatch.store.chunked import select_in
from xerowatch.store.db import Store

KIND_ORDER: tuple[tuple[str, str], ...] = (
    ("customer", "customers"),
    ("member", "members"),
    ("invoice", "invoices"),
    ("expense", "expenses"),
    ("purchase", "purchases"),
    ("adjustment", "adjustments"),
    ("transfer", "transfers"),
)
PARTY_KINDS = frozenset({"customer", "member"})
"""Kinds that become Xero contacts; the others become Xero documents."""
STATE_WORDS: tuple[tuple[str, str], ...] = (
    ("posted", "posted"),
    ("done", "in Xero"),
    ("in_xero", "in Xero, not yet posted"),
    ("queued", "queued"),
    ("pending", "to write"),
    ("sending", "in doubt"),
    ("held", "held"),
    ("rejected", "refused by Xero"),
)
"""Each state in words, in the order a stream's counts are told."""
ATTENTION = ("held", "rejected")
"""States an operator has to act on (fix in ConnectWise, then `r`)."""
UNSETTLED = ("held", "rejected", "sending", "pending", "queued", "in_xero")
"""States a record leaves again, in the order its list shows them (the first two need a fix);
the rest (done, posted) follow, newest ConnectWise id first."""
_UNSETTLED_SQL = ", ".join(f"'{state}'" for state in UNSETTLED)
_UNSETTLED_RANK = (
    "CASE state "
    + " ".join(f"WHEN '{state}' THEN {rank}" for rank, state in enumerate(UNSETTLED))
    + " END"
)
_COLUMNS = "tenant_id, kind, cw_id, number, state, last_error, updated_at"


def label_of(kind: str) -> str:
    """A kind's stream name: 'invoice' → 'invoices'."""
    return dict(KIND_ORDER).get(kind, f"{kind}s")


def kind_rank(kind: str) -> tuple[int, str]:
    """Where a kind's stream goes: parties, then documents as money flows, then new kinds."""
    known = [name for name, _ in KIND_ORDER]
    return (known.index(kind), "") if kind in known else (len(known), kind)


SHORT_WORDS = {"in_xero": "in Xero", "rejected": "refused"}
"""Where a narrow screen says less (within one stream "in Xero" cannot be misread)."""


def describe_counts(by_state: dict[str, int], *, short: bool = False) -> str:
    """'posted 280 · held 3 · refused by Xero 1' (states with no records left out)."""
    words = dict(STATE_WORDS) | (SHORT_WORDS if short else {})
    known = [state for state, _ in STATE_WORDS if by_state.get(state)]
    other = sorted(state for state in by_state if state not in words and by_state[state])
    return " · ".join(f"{words.get(s, s)} {by_state[s]:,}" for s in [*known, *other])


@dataclass(frozen=True)
class StreamView:
    """One stream (a kind of ConnectWise record): counts by state, cursor, last activity."""

    kind: str
    label: str
    by_state: dict[str, int]
    cursor: str | None = None
    """The stream's incremental cursor (ConnectWise `lastUpdated` read up to), if it has one."""
    cursor_moved_at: str | None = None
    last_activity: str | None = None
    """When a record of the stream last changed state."""

    @property
    def total(self) -> int:
        """Records of the stream."""
        return sum(self.by_state.values())

    @property
    def attention(self) -> int:
        """Records held or refused: what the operator has to act on."""
        return sum(self.by_state.get(state, 0) for state in ATTENTION)

    @property
    def is_party(self) -> bool:
        """True for customers and members (Xero contacts), False for documents."""
        return self.kind in PARTY_KINDS


@dataclass(frozen=True)
class RecordRow:
    """One record of a stream as its list shows it, with its open alert (if any)."""

    tenant_id: str
    kind: str
    cw_id: int
    number: str
    state: str
    last_error: str | None
    updated_at: str
    alert_message: str = ""
    fix: str = ""

    @property
    def ref(self) -> str:
        """The key `xerowatch retry` and history take: `cw-invoice:42`."""
        return f"cw-{self.kind}:{self.cw_id}"


@dataclass(frozen=True)
class StreamPage:
    """The streams, and one page of the chosen one's records (held and refused first)."""

    streams: list[StreamView]
    kind: str
    """The stream the rows are of ('' when there is none yet)."""
    offset: int
    rows: list[RecordRow] = field(default_factory=list)
    tenant_id: str | None = None
    """The organisation it is of (None: all)."""

    def chosen(self) -> StreamView | None:
        """The stream the rows are of."""
        return next((s for s in self.streams if s.kind == self.kind), None)


def _cursor_names(kind: str) -> tuple[str, str]:
    return (f"connectwise:{label_of(kind)}", f"connectwise:{kind}")


async def stream_views(store: Store, tenant_id: str | None = None) -> list[StreamView]:
    """Every kind with records, in order; of one organisation, or all (None)."""
    where, args = ("WHERE tenant_id = ?", (tenant_id,)) if tenant_id else ("", ())
    rows = await store.fetchall(
        f"SELECT kind, state, COUNT(*), MAX(updated_at) FROM cw_records {where} "
        "GROUP BY kind, state",
        args,
    )
    counts: dict[str, dict[str, int]] = {}
    latest: dict[str, str] = {}
    for kind, state, n, last in rows:
        counts.setdefault(str(kind), {})[str(state)] = int(n)
        if last and str(last) > latest.get(str(kind), ""):
            latest[str(kind)] = str(last)
    cursor_rows = await store.fetchall(
        "SELECT stream, MIN(value), MAX(updated_at) FROM cursors "
        f"WHERE stream LIKE 'connectwise:%' {'AND tenant_id = ?' if tenant_id else ''} "
        "GROUP BY stream",
        args,
    )
    cursors = {str(row[0]): (row[1], row[2]) for row in cursor_rows}
    views = []
    for kind in sorted(counts, key=kind_rank):
        found = next((cursors[name] for name in _cursor_names(kind) if name in cursors), None)
        views.append(
            StreamView(
                kind=kind,
                label=label_of(kind),
                by_state=counts[kind],
                cursor=found[0] if found else None,
                cursor_moved_at=found[1] if found else None,
                last_activity=latest.get(kind),
            )
        )
    return views


def default_kind(streams: Sequence[StreamView]) -> str:
    """The stream to show before the operator picks one: the first with records to act on,
    else the first document stream, else the first."""
    for pick in (
        lambda s: s.attention > 0,
        lambda s: not s.is_party,
        lambda s: True,
    ):
        for stream in streams:
            if pick(stream):
                return stream.kind
    return ""


async def record_rows(
    store: Store, kind: str, *, tenant_id: str | None = None, offset: int = 0, limit: int = 100
) -> list[RecordRow]:
    """A page of one stream's records: held, refused, in doubt, to write, queued, in Xero not
    yet posted (newest change first within each), then done and posted ones, newest ConnectWise
    id first; each with its newest open alert's message and fix.

    Bounded whatever the history: the unsettled records are few and come from the state index,
    the settled ones are read in primary-key order (ids only grow in ConnectWise), never sorted.
    """
    where, args = (
        ("tenant_id = ? AND kind = ?", (tenant_id, kind))
        if tenant_id
        else (
            "kind = ?",
            (kind,),
        )
    )
    # One statement, so one snapshot: a record the daemon moves from queued to posted while
    # this reads is in one part or the other, never in both (nor in neither).
    rows = await store.fetchall(
        f"""
        SELECT {_COLUMNS}, part, rank, moved, seq FROM (
            SELECT {_COLUMNS}, 0 AS part, {_UNSETTLED_RANK} AS rank, updated_at AS moved,
                   cw_id AS seq
            FROM cw_records WHERE {where} AND state IN ({_UNSETTLED_SQL})
            ORDER BY rank, moved DESC, seq LIMIT ? OFFSET ?
        )
        UNION ALL
        SELECT {_COLUMNS}, part, rank, moved, seq FROM (
            SELECT {_COLUMNS}, 1 AS part, 0 AS rank, '' AS moved, -cw_id AS seq
            FROM cw_records WHERE {where} AND state NOT IN ({_UNSETTLED_SQL})
            ORDER BY cw_id DESC LIMIT ? OFFSET MAX(0, ? - (
                SELECT COUNT(*) FROM cw_records WHERE {where} AND state IN ({_UNSETTLED_SQL})
            ))
        )
        ORDER BY part, rank, moved DESC, seq LIMIT ?
        """,
        (*args, limit, offset, *args, limit, offset, *args, limit),
    )
    records = [
        RecordRow(
            tenant_id=str(row[0]),
            kind=str(row[1]),
            cw_id=int(row[2]),
            number=str(row[3]),
            state=str(row[4]),
            last_error=row[5],
            updated_at=str(row[6]),
        )
        for row in rows
    ]
    alerts = await _open_alerts(store, [r.ref for r in records])
    found = [(r, alerts.get((r.tenant_id, r.ref))) for r in records]
    return [r if a is None else replace(r, alert_message=a[0], fix=a[1]) for r, a in found]


async def _open_alerts(store: Store, refs: list[str]) -> dict[tuple[str, str], tuple[str, str]]:
    """(message, fix) of the newest open alert per (tenant, record)."""
    rows = await select_in(
        store,
        "SELECT tenant_id, record, message, fix FROM alerts "
        "WHERE resolved_at IS NULL AND record IN ({marks}) ORDER BY last_seen, id",
        list(dict.fromkeys(refs)),
    )
    return {(str(r[0]), str(r[1])): (str(r[2]), str(r[3])) for r in rows}


async def stream_page(
    store: Store, kind: str, offset: int, tenant_id: str | None = None, limit: int = 100
) -> StreamPage:
    """The streams and a page of `kind` ('' or a kind with no records: the default one)."""
    streams = await stream_views(store, tenant_id)
    if kind not in {s.kind for s in streams}:  # not chosen yet, or none of it is left
        kind, offset = default_kind(streams), offset if not kind else 0
    rows = (
        await record_rows(store, kind, tenant_id=tenant_id, offset=offset, limit=limit)
        if kind
        else []
    )
    return StreamPage(streams, kind, offset, rows, tenant_id)
