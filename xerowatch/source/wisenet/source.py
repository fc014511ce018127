"""`WisenetSource`: the source port over the Wisenet API (learners out, invoices back).

Polling reads every learner changed since the cursor, whatever its Sync to Xero flag: a learner
whose box was just un-ticked must still be seen so the engine can stop syncing it, and
`syncToXeroFilter=true` would hide exactly that change. The cursor is the largest
`LastModifiedTimeStamp` seen (as a UTC instant), never "now"; each poll re-reads `overlap_seconds`
before it, and pages before the last carry the old cursor because Wisenet's page order is
unspecified (a crash mid-poll then re-reads, which the engine's content hash makes free).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import AsyncGenerator
from datetime import datetime, timedelta
from typing import Any

from xerowatch.clock import Clock
from xerowatch.config import WisenetSettings
from xerowatch.records import SourceLearner, SourceTransaction
from xerowatch.source.port import LearnerBatch, SourceBudget, SourceError, SourceProblem
from xerowatch.source.wisenet.client import WisenetClient, WisenetHTTPError, path_segment
from xerowatch.source.wisenet.combos import ComboCache, Combos
from xerowatch.source.wisenet.learners import LearnerDataError, map_learner, unwrap
from xerowatch.source.wisenet.timestamps import (
    TimestampError,
    filter_start,
    format_cursor,
    load_zone,
    parse_cursor,
    parse_timestamp,
)
from xerowatch.source.wisenet.writeback import to_wisenet_invoice

log = logging.getLogger(__name__)

AUDIT_LOGS_PATH = "/audit-logs"
AUDIT_RETRY_SECONDS = 24 * 3600.0


class WisenetSource:
    """Reads learners from and writes transactions to Wisenet LRM."""

    name = "wisenet"

    def __init__(
        self,
        settings: WisenetSettings,
        *,
        client: WisenetClient,
        clock: Clock,
        combos: ComboCache | None = None,
    ) -> None:
        self._settings = settings
        self._client = client
        self._clock = clock
        self._zone = load_zone(settings.timezone)
        self._combos = combos or ComboCache(client, clock)
        self._learners_path = f"/learners{settings.region}"
        self._audit_disabled_until: float | None = None

    async def changed_learners(self, cursor: str | None) -> AsyncGenerator[LearnerBatch, None]:
        """Yield learners changed since `cursor` page by page; the last batch has the new cursor."""
        since = _read_cursor(cursor)
        sent_before = self._client.requests_sent
        params: dict[str, str | int] = {}
        if since is not None:
            overlap = timedelta(seconds=self._settings.overlap_seconds)
            params["lastModifiedTimeStampFilter"] = "gt:" + filter_start(since, overlap, self._zone)
        deleted, newest = await self._deleted_since(params)
        combos = await self._combos.get()
        pending: LearnerBatch | None = None
        async for page in self._client.pages(
            self._learners_path, params, page_size=self._settings.page_size
        ):
            if pending is not None:
                yield pending
            learners, problems = self._map_page(page, combos)
            for learner in learners:
                newest = _later(newest, learner.modified_at)
            pending = LearnerBatch(learners=learners, cursor=cursor, problems=problems)
        final = pending or LearnerBatch(learners=[], cursor=cursor)
        if newest is not None and (since is None or newest > since):
            final.cursor = format_cursor(newest)  # otherwise keep the cursor exactly as given
        final.deleted_source_ids = deleted
        self._client.budget.record_poll(self._client.requests_sent - sent_before)
        yield final

    async def get_learner(self, source_id: str) -> SourceLearner | None:
        """Fetch one learner by LearnerId; None if Wisenet no longer has it."""
        try:
            item = await self._client.get_json(f"{self._learners_path}/{path_segment(source_id)}")
        except WisenetHTTPError as exc:
            if exc.status == 404:
                return None
            raise
        if isinstance(item, list):  # tolerate a one-element list answer
            item = item[0] if item else None
        if item is None:
            return None
        if not isinstance(item, dict):
            raise SourceError(f"Wisenet learner {source_id}: unexpected answer", transient=False)
        try:
            return map_learner(item, await self._combos.get(), self._zone)
        except LearnerDataError as exc:
            raise SourceError(str(exc), transient=False) from None

    async def write_transaction(self, tx: SourceTransaction) -> None:
        """Upsert the transaction as a Wisenet invoice (`PUT /invoices/{XeroId}`)."""
        body = to_wisenet_invoice(tx)
        await self._client.put_json(f"/invoices/{path_segment(tx.xero_id)}", body)

    def write_fingerprint(self, tx: SourceTransaction) -> str | None:
        """A digest of the invoice body `write_transaction` would PUT (None if it cannot map).

        Fields Wisenet has no place for (the online-invoice link, the currency) are not in the
        body, so a change to them alone is not new information and costs no PUT.
        """
        try:
            body = to_wisenet_invoice(tx)
        except SourceError:
            return None
        text = json.dumps(body, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def budget(self) -> SourceBudget:
        """The rolling 24-hour request budget and the poll interval it allows."""
        return self._client.budget.snapshot()

    async def aclose(self) -> None:
        """Save the day's request count, then close the HTTP client."""
        await self._client.budget.flush()
        await self._client.aclose()

    def _map_page(
        self, page: list[dict[str, Any]], combos: Combos
    ) -> tuple[list[SourceLearner], list[SourceProblem]]:
        learners: list[SourceLearner] = []
        problems: list[SourceProblem] = []
        for item in page:
            try:
                learners.append(map_learner(item, combos, self._zone))
            except LearnerDataError as exc:
                problems.append(SourceProblem(record=exc.record, message=exc.message))
        return learners, problems

    async def _deleted_since(
        self, params: dict[str, str | int]
    ) -> tuple[list[str], datetime | None]:
        """Learner ids deleted in the window (from the audit log) and the newest entry's time.

        Skipped on a first full read, and for a day after Wisenet answers 403/404 (the audit
        log is not on every licence).
        """
        if not params:
            return [], None
        now = self._clock.monotonic()
        if self._audit_disabled_until is not None and now < self._audit_disabled_until:
            return [], None
        query = {**params, "auditActionFilter": "D", "entityNameFilter": "Learner"}
        deleted: dict[str, None] = {}
        newest: datetime | None = None
        try:
            async for page in self._client.pages(AUDIT_LOGS_PATH, query):
                for item in page:
                    entry = unwrap(item)
                    record_id = entry.get("RecordId")
                    if record_id is None or entry.get("AuditAction", "D") != "D":
                        continue
                    deleted[str(record_id)] = None
                    newest = _later(newest, self._audit_time(entry))
        except WisenetHTTPError as exc:
            if exc.status not in (403, 404):
                raise
            log.warning("Wisenet audit log unavailable (HTTP %s): deletes not tracked", exc.status)
            self._audit_disabled_until = now + AUDIT_RETRY_SECONDS
            return [], None
        self._audit_disabled_until = None
        return list(deleted), newest

    def _audit_time(self, entry: Any) -> datetime | None:
        stamp = entry.get("LastModifiedTimeStamp")
        if not isinstance(stamp, str):
            return None
        try:
            return parse_timestamp(stamp, self._zone)
        except TimestampError:
            return None


def _read_cursor(cursor: str | None) -> datetime | None:
    if cursor is None:
        return None
    try:
        return parse_cursor(cursor)
    except TimestampError as exc:
        raise SourceError(str(exc), transient=False) from None


def _later(current: datetime | None, candidate: datetime | None) -> datetime | None:
    if candidate is None:
        return current
    return candidate if current is None or candidate > current else current
