"""`FileSource`: learners from CSV exports dropped in a folder; transactions out as files.

Crash safety: a file moves to `done/` (or `rejected/`) only after its last batch has been handed
to the engine and the engine has asked for more, i.e. after it stored that batch's cursor. The
cursor names the file and its SHA-256 and how many rows were handed over, so a restart resumes
mid-file, and a file whose last batch was committed but not yet moved is moved without being
read again. Files are streamed a batch at a time (memory does not grow with their size); one
written in place while it was read stays in the inbox and is read again from the start. Outbox
files are written to a temporary file in the same folder, fsynced, then renamed over the target,
so readers never see half a file.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import re
import tempfile
from collections.abc import AsyncGenerator, Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import anyio

from xerowatch.clock import Clock
from xerowatch.config import FileSourceSettings
from xerowatch.records import SourceLearner, SourceTransaction
from xerowatch.source.files_csv import LearnerFile
from xerowatch.source.port import LearnerBatch, SourceBudget, SourceError
from xerowatch.source.wisenet.timestamps import load_zone

log = logging.getLogger(__name__)

DONE_DIR = "done"
REJECTED_DIR = "rejected"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_T = TypeVar("_T")


@dataclass(frozen=True)
class FileCursor:
    """Which file the last committed batch came from, and how far into it."""

    file: str
    sha256: str
    rows: int
    done: bool

    def dump(self) -> str:
        """Serialise as compact JSON."""
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def load(cls, cursor: str | None) -> FileCursor | None:
        """Read a cursor back; anything unreadable means "no file in progress"."""
        if not cursor:
            return None
        try:
            raw = json.loads(cursor)
            return cls(str(raw["file"]), str(raw["sha256"]), int(raw["rows"]), bool(raw["done"]))
        except (ValueError, KeyError, TypeError):
            log.warning("file source: ignoring an unreadable cursor")
            return None


class FileSource:
    """A watched inbox of learner CSV exports and an outbox of transaction files."""

    name = "file"

    def __init__(
        self,
        settings: FileSourceSettings,
        clock: Clock,
        *,
        batch_size: int = 500,
        settle_seconds: float = 2.0,
    ) -> None:
        self._inbox = settings.inbox
        self._outbox = settings.outbox
        self._format = settings.write_format
        self._clock = clock
        self._zone = load_zone(settings.timezone, setting="[file_source] timezone")
        self._batch_size = max(1, batch_size)
        self._settle = settle_seconds

    async def changed_learners(self, cursor: str | None) -> AsyncGenerator[LearnerBatch, None]:
        """Yield each waiting file in arrival order, in batches; archive it once committed."""
        committed = FileCursor.load(cursor)
        for path in self._waiting_files():
            learner_file = await anyio.to_thread.run_sync(LearnerFile, path, self._zone)
            try:
                async for batch in self._file_batches(learner_file, committed):
                    yield batch
                # Reaching this line means the engine took the last batch and asked for more.
                if await anyio.to_thread.run_sync(learner_file.changed):
                    log.warning("file source: %s changed while read; reading it again", path.name)
                    continue
            finally:
                learner_file.close()  # not awaited: it must run even when the poll is cancelled
            self._archive(path, REJECTED_DIR if learner_file.rejected else DONE_DIR)

    async def get_learner(self, source_id: str) -> SourceLearner | None:
        """The learner as in the newest file that holds it (inbox first, then done/).

        Within a file the last row wins, as it does when the engine reads the file.
        """
        candidates = self._waiting_files()[::-1] + self._archived_newest_first()
        for path in candidates:
            found = await anyio.to_thread.run_sync(_last_row_of, path, self._zone, source_id)
            if found is not None:
                return found
        return None

    async def _file_batches(
        self, learner_file: LearnerFile, committed: FileCursor | None
    ) -> AsyncGenerator[LearnerBatch, None]:
        name = learner_file.name
        digest = await anyio.to_thread.run_sync(learner_file.scan)
        if not learner_file.rejected:
            await anyio.to_thread.run_sync(learner_file.open_rows)
        resumed = committed if committed and committed.file == name else None
        if resumed and resumed.sha256 != digest:
            resumed = None  # a new file under an old name
        if resumed and resumed.done:
            return  # committed before a crash, not yet moved
        if learner_file.rejected:
            done = FileCursor(name, digest, rows=0, done=True).dump()
            yield LearnerBatch(learners=[], cursor=done, problems=list(learner_file.rejected))
            return
        handed = await self._read(learner_file.skip, resumed.rows if resumed else 0, name)
        rows = await self._read(learner_file.read, self._batch_size + 1, name)
        while True:
            chunk, ahead = rows[: self._batch_size], rows[self._batch_size :]
            handed += len(chunk)
            cursor = FileCursor(name, digest, handed, done=not ahead).dump()
            yield LearnerBatch(
                learners=[row.learner for row in chunk if row.learner is not None],
                cursor=cursor,
                problems=[row.problem for row in chunk if row.problem is not None],
            )
            if not ahead:
                return
            rows = ahead + await self._read(learner_file.read, self._batch_size, name)

    async def _read(self, step: Callable[[int], _T], count: int, name: str) -> _T:
        try:
            return await anyio.to_thread.run_sync(step, count)
        except UnicodeDecodeError:  # it was UTF-8 when scanned: rewritten since
            raise SourceError(
                f"file {name} changed while it was read; it is read again on the next poll",
                transient=True,
            ) from None

    async def write_transaction(self, tx: SourceTransaction) -> None:
        """Write the transaction to the outbox as `<kind>-<xero id>.json|csv`, atomically."""
        name = f"{tx.kind}-{_UNSAFE.sub('_', tx.xero_id)}.{self._format}"
        content = _as_json(tx) if self._format == "json" else _as_csv(tx)
        try:
            await anyio.to_thread.run_sync(atomic_write, self._outbox / name, content)
        except OSError as exc:
            raise SourceError(
                f"cannot write {self._outbox / name}: {exc}", transient=True
            ) from None

    def budget(self) -> SourceBudget | None:
        """Files have no request quota."""
        return None

    async def aclose(self) -> None:
        """Nothing to release."""

    def _waiting_files(self) -> list[Path]:
        """CSV files in the inbox, oldest first, skipping hidden, partial and unsettled ones."""
        if not self._inbox.is_dir():
            raise SourceError(
                f"file source inbox {self._inbox} does not exist: create it or set "
                "[file_source] inbox",
                transient=True,
            )
        now = self._clock.now().timestamp()
        found: list[tuple[int, str, Path]] = []
        for path in self._inbox.iterdir():
            if path.name.startswith(".") or path.suffix.lower() != ".csv" or not path.is_file():
                continue
            stat = path.stat()
            if self._settle > 0 and stat.st_mtime > now - self._settle:
                continue  # probably still being written
            found.append((stat.st_mtime_ns, path.name, path))
        return [path for _, _, path in sorted(found)]

    def _archived_newest_first(self) -> list[Path]:
        folder = self._inbox / DONE_DIR
        if not folder.is_dir():
            return []
        files = [p for p in folder.iterdir() if p.suffix.lower() == ".csv" and p.is_file()]
        return sorted(files, key=lambda p: (p.stat().st_mtime_ns, p.name), reverse=True)

    def _archive(self, path: Path, folder_name: str) -> None:
        folder = self._inbox / folder_name
        folder.mkdir(exist_ok=True)
        target = folder / path.name
        counter = 1
        while target.exists():
            target = folder / f"{path.stem}.{counter}{path.suffix}"
            counter += 1
        os.replace(path, target)
        _fsync_dir(folder)
        _fsync_dir(self._inbox)
        log.info("file source: %s moved to %s/", path.name, folder_name)


def _last_row_of(path: Path, zone: ZoneInfo, source_id: str) -> SourceLearner | None:
    """The last learner row of a file with this source id, or None (blocking)."""
    with LearnerFile(path, zone) as learner_file:
        learner_file.scan()
        if not learner_file.rejected:
            learner_file.open_rows()
        if learner_file.rejected:
            return None
        found: SourceLearner | None = None
        while rows := learner_file.read(500):
            for row in rows:
                if row.learner is not None and row.learner.source_id == source_id:
                    found = row.learner
        return found


def atomic_write(target: Path, content: bytes) -> None:
    """Write `content` to `target` via a fsynced temp file in the same folder and a rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _as_json(tx: SourceTransaction) -> bytes:
    """The transaction as JSON; amounts are strings so no decimal digit is lost."""
    return (json.dumps(tx.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n").encode()


CSV_COLUMNS = (
    "XeroId", "Kind", "LearnerId", "LearnerNumber", "Number", "Reference", "Status", "Date",
    "DueDate", "Currency", "Total", "AmountDue", "AmountPaid", "AmountCredited", "UpdatedUtc",
    "LineItemCode", "LineDescription", "LineQuantity", "LineUnitAmount", "LineAccountCode",
    "LineTaxType", "LineTaxAmount", "LineAmount",
)  # fmt: skip


def _as_csv(tx: SourceTransaction) -> bytes:
    """One row per line item (the transaction columns repeated); one row if it has none."""
    head: list[Any] = [
        tx.xero_id, tx.kind, tx.learner_source_id, tx.ref_internal, tx.number, tx.reference,
        tx.status, tx.date, tx.due_date, tx.currency, tx.total, tx.amount_due, tx.amount_paid,
        tx.amount_credited, tx.updated_utc.isoformat() if tx.updated_utc else None,
    ]  # fmt: skip
    lines: list[list[Any]] = [
        [li.item_code, li.description, li.quantity, li.unit_amount, li.account_code,
         li.tax_type, li.tax_amount, li.line_amount]
        for li in tx.line_items
    ] or [[None] * 8]  # fmt: skip
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for line in lines:
        writer.writerow(["" if v is None else str(v) for v in head + line])
    return buffer.getvalue().encode("utf-8-sig")
