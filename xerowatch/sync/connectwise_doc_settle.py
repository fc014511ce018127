"""The document streams' last two steps: settle records from the outbox, post them in ConnectWise.

A record is in_xero once every outbox document it is in (`cw_records.doc_keys`) is done, and
rejected (alert with Xero's message) once one of them is refused. Records in_xero are posted in
ConnectWise one batch per Xero document: the records sharing a batch identifier go together.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any, Protocol

from xerowatch.source.connectwise.accounting import ConnectWiseAccounting, PostKind
from xerowatch.source.port import SourceAuthError, SourceError
from xerowatch.store import alerts, history
from xerowatch.store import connectwise_records as records
from xerowatch.store import document_outbox as outbox
from xerowatch.store.connectwise_records import CwRecord, RecordKind, RecordUpdate, record_ref
from xerowatch.sync.engine_deps import EngineDeps

if TYPE_CHECKING:
    from xerowatch.sync.connectwise_doc_stream import DocSummary

POST_FAILED_ALERT = "cw_post_failed"
"""The invoice stream's alert type too: a record in Xero that ConnectWise refused to post."""


class _Spec(Protocol):
    kind: RecordKind
    post_kind: PostKind


def _keys(row: CwRecord) -> list[tuple[str, str]]:
    pairs = []
    for line in row.doc_keys.splitlines():
        kind, _, key = line.partition("|")
        if key:
            pairs.append((kind, key))
    return pairs


async def settle_records(ctx: EngineDeps, tid: str, kind: RecordKind, summary: DocSummary) -> None:
    """Move queued records whose documents are all done (in_xero) or one refused (rejected)."""
    store = ctx.store
    queued = await records.in_state(store, tid, kind, ["queued"])
    if not queued:
        return
    wanted: dict[str, set[str]] = defaultdict(set)
    for row in queued:
        for doc_kind, key in _keys(row):
            wanted[doc_kind].add(key)
    docs: dict[tuple[str, str], outbox.OutboxDocument] = {}
    for doc_kind, keys in wanted.items():
        found = await outbox.get_documents(store, tid, doc_kind, sorted(keys))
        docs.update({(doc_kind, key): doc for key, doc in found.items()})
    updates: list[RecordUpdate] = []
    entries: list[history.HistoryEntry] = []
    refused: list[tuple[CwRecord, str]] = []
    for row in queued:
        mine = [docs.get(pair) for pair in _keys(row)]
        ref = record_ref(kind, row.cw_id)
        bad = [d for d in mine if d is not None and d.state in ("rejected", "dead")]
        if bad:
            reason = "; ".join(dict.fromkeys(d.last_error or "refused by Xero" for d in bad))
            updates.append(RecordUpdate(row.cw_id, row.number, "rejected", error=reason))
            entries.append(history.HistoryEntry(ref, kind, "error", "to_xero", tid, reason))
            refused.append((row, reason))
            continue
        if not mine or any(d is None or d.state != "done" for d in mine):
            continue  # still pending or in doubt (or lost: the next read queues it again)
        xero_ids = ",".join(d.xero_id or "" for d in mine if d is not None)
        updates.append(RecordUpdate(row.cw_id, row.number, "in_xero", xero_id=xero_ids))
        entries.append(history.HistoryEntry(ref, kind, "ok", "to_xero", tid, xero_ids))
    async with store.transaction() as conn:
        await records.save_in(conn, tid, kind, updates)
        await history.add_entries(conn, entries)
    summary.created += sum(1 for u in updates if u.state == "in_xero")
    summary.rejected += len(refused)
    for row, reason in refused:
        await alerts.raise_alert(
            store,
            f"cw_{kind}_rejected",
            f"Xero refused ConnectWise {kind} {row.number}: {reason}",
            fix="Fix the record in ConnectWise (or the [connectwise] mapping), then `r` "
            "re-sends just this record",
            record=record_ref(kind, row.cw_id),
            tenant_id=tid,
        )


async def post_records(
    ctx: EngineDeps,
    accounting: ConnectWiseAccounting,
    tid: str,
    spec: _Spec,
    summary: DocSummary,
) -> None:
    """Post in ConnectWise each batch whose records are all in Xero (one batch per document)."""
    store, kind = ctx.store, spec.kind
    ready = await records.in_state(store, tid, kind, ["in_xero"])
    batches: dict[str, list[CwRecord]] = defaultdict(list)
    for row in ready:
        batches[row.batch or f"XW-{kind[:1].upper()}{row.cw_id}"].append(row)
    for batch, rows in batches.items():
        ids = [int(i) for row in rows for i in row.gl_entry_ids.split(",") if i.strip().isdigit()]
        try:
            await accounting.post_records(batch, spec.post_kind, ids or [r.cw_id for r in rows])
        except SourceError as exc:
            if exc.transient or isinstance(exc, SourceAuthError):
                raise  # ConnectWise is down or refuses us: the step's policy alerts
            await _refused(ctx, tid, kind, rows, batch, exc)
            summary.problems.append(f"post {batch}: {exc}")
            continue
        refs = [record_ref(kind, row.cw_id) for row in rows]
        async with store.transaction() as conn:
            await records.save_in(
                conn, tid, kind, [RecordUpdate(r.cw_id, r.number, "posted") for r in rows]
            )
            await history.add_entries(
                conn,
                [history.HistoryEntry(ref, "post", "ok", "to_source", tid, batch) for ref in refs],
            )
        for ref in refs:
            await alerts.resolve_alerts(
                store, record=ref, tenant_id=tid, types=(POST_FAILED_ALERT,)
            )
        summary.posted += len(rows)


async def _refused(
    ctx: EngineDeps, tid: str, kind: RecordKind, rows: list[CwRecord], batch: str, exc: Any
) -> None:
    await records.save(
        ctx.store,
        tid,
        kind,
        [RecordUpdate(r.cw_id, r.number, "in_xero", error=str(exc)) for r in rows],
    )
    for row in rows:
        await alerts.raise_alert(
            ctx.store,
            POST_FAILED_ALERT,
            f"ConnectWise {kind} {row.number} is in Xero but ConnectWise refused to post it "
            f"(batch {batch}): {exc}",
            fix="Fix it in ConnectWise; the next run posts it again (Xero is not touched)",
            record=record_ref(kind, row.cw_id),
            tenant_id=tid,
        )
