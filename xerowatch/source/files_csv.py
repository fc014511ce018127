"""Learner CSV exports → SourceLearner rows, with a located problem for every unreadable row.

Columns are matched by name, ignoring case, spaces, underscores and dashes; unknown columns are
ignored. `LearnerNumber` (or `RefInternal`) is required; `LearnerId` is the source id when the
file has it, else the LearnerNumber is. Files are UTF-8 with or without a BOM, comma-separated,
quoted fields may hold commas, quotes ("") and newlines. See docs/wisenet.md for the list.
Files are streamed (`LearnerFile`): memory stays bounded by a batch, not by the file's size.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from xerowatch.records import SourceAddress, SourceLearner
from xerowatch.source.port import SourceProblem
from xerowatch.source.wisenet.timestamps import TimestampError, parse_timestamp

_FIELDS: dict[str, tuple[str, ...]] = {
    "learner_id": ("learnerid",),
    "ref_internal": ("learnernumber", "refinternal"),
    "first_name": ("firstname",),
    "last_name": ("lastname", "surname"),
    "email": ("email", "emailaddress"),
    "mobile": ("mobile",),
    "phone_home": ("phonehome",),
    "phone_work": ("phonework",),
    "sync_to_xero": ("synctoxero",),
    "is_active": ("isactive",),
    "modified": ("lastmodified", "lastmodifiedtimestamp"),
}
for _kind in ("street", "postal"):
    _FIELDS.update(
        {
            f"{_kind}_line1": (f"{_kind}line1",),
            f"{_kind}_line2": (f"{_kind}line2",),
            f"{_kind}_line3": (f"{_kind}line3",),
            f"{_kind}_city": (f"{_kind}city", f"{_kind}suburb", f"{_kind}suburbtowncity"),
            f"{_kind}_state": (f"{_kind}state",),
            f"{_kind}_postcode": (f"{_kind}postcode",),
            f"{_kind}_country": (f"{_kind}country",),
        }
    )
_BY_HEADER = {alias: name for name, aliases in _FIELDS.items() for alias in aliases}
_TRUE = frozenset({"true", "yes", "y", "1"})
_FALSE = frozenset({"false", "no", "n", "0"})


class RowError(ValueError):
    """One row's problem, phrased for the operator."""


@dataclass(frozen=True)
class ParsedRow:
    """One data row: its first physical line and either a learner or a problem."""

    line: int
    learner: SourceLearner | None = None
    problem: SourceProblem | None = None


_CHUNK = 64 * 1024
Record = tuple[int, list[str], str | None]
"""(first line number, cells, csv error) of one CSV record."""


class LearnerFile:
    """A learner export read in one pass of constant memory, whatever the file's size.

    Blocking file I/O: call it from a worker thread. `scan()` hashes the file and checks that it
    is UTF-8, `open_rows()` checks the header, then `read()` / `skip()` hand rows over a batch at
    a time; a file unusable as a whole has its problems in `rejected`. Everything is read
    through one open handle, so the digest and the rows describe the same file even if another
    is renamed over it meanwhile; `changed()` tells if it was written in place.
    """

    def __init__(self, path: Path, zone: ZoneInfo) -> None:
        self.name = path.name
        self._zone = zone
        self._binary = path.open("rb")
        self._opened = _identity(os.fstat(self._binary.fileno()))
        self._text: io.TextIOWrapper | None = None
        self._records: Iterator[Record] = iter(())
        self._header_width = 0
        self._columns: dict[int, str] = {}
        self.rejected: list[SourceProblem] = []
        """Why the whole file is unusable (not UTF-8, no usable header); empty when it is fine."""

    def __enter__(self) -> LearnerFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the file."""
        if self._text is not None:
            self._text.close()
        self._binary.close()

    def scan(self) -> str:
        """Return the file's SHA-256; a file that is not UTF-8 is `rejected`."""
        self._binary.seek(0)
        digest = hashlib.sha256()
        decoder = codecs.getincrementaldecoder("utf-8")()
        offset = 0
        problem: SourceProblem | None = None
        while chunk := self._binary.read(_CHUNK):
            digest.update(chunk)
            if problem is None:
                problem = _utf8_problem(self.name, decoder, chunk, offset, final=False)
            offset += len(chunk)
        if problem is None:
            problem = _utf8_problem(self.name, decoder, b"", offset, final=True)
        if problem is not None:
            self.rejected.append(problem)
        return digest.hexdigest()

    def open_rows(self) -> None:
        """Read the header (after a clean `scan`); a file without a usable one is `rejected`."""
        self._binary.seek(0)
        self._text = io.TextIOWrapper(self._binary, encoding="utf-8-sig", newline="")
        self._records = _records(self._text)
        header = next(self._records, None)
        if header is None:
            return  # an empty file: no rows
        _, cells, error = header
        columns, problem = _columns(cells) if error is None else ({}, f"line 1: {error}")
        if problem:
            self.rejected.append(_file_problem(self.name, problem))
            self._records = iter(())
            return
        self._header_width, self._columns = len(cells), columns

    def read(self, count: int) -> list[ParsedRow]:
        """Parse up to `count` more rows (blank lines are not rows)."""
        rows: list[ParsedRow] = []
        for line, cells, error in self._data_records(count):
            rows.append(self._parse(line, cells, error))
        return rows

    def skip(self, count: int) -> int:
        """Pass over up to `count` rows without parsing them; return how many there were."""
        return sum(1 for _ in self._data_records(count))

    def changed(self) -> bool:
        """True if the file was written in place since it was opened."""
        return _identity(os.fstat(self._binary.fileno())) != self._opened

    def _data_records(self, count: int) -> Iterator[Record]:
        taken = 0
        while taken < count:
            record = next(self._records, None)
            if record is None:
                return
            _, cells, error = record
            if error is None and not any(cell.strip() for cell in cells):
                continue  # blank line
            taken += 1
            yield record

    def _parse(self, line: int, cells: list[str], error: str | None) -> ParsedRow:
        try:
            if error is not None:
                raise RowError(error)
            if len(cells) != self._header_width:
                raise RowError(f"expected {self._header_width} fields, found {len(cells)}")
            columns = self._columns
            values = {columns[i]: cell for i, cell in enumerate(cells) if i in columns}
            return ParsedRow(line=line, learner=_learner(values, self._zone))
        except RowError as exc:
            problem = SourceProblem(record=f"file {self.name} line {line}", message=str(exc))
            return ParsedRow(line=line, problem=problem)


def _identity(stat: os.stat_result) -> tuple[int, int]:
    return stat.st_size, stat.st_mtime_ns


def _utf8_problem(
    name: str, decoder: codecs.IncrementalDecoder, chunk: bytes, offset: int, *, final: bool
) -> SourceProblem | None:
    """Feed `chunk` (at file `offset`) to the decoder; a problem naming the first bad byte."""
    try:
        decoder.decode(chunk, final)
    except UnicodeDecodeError as exc:
        held = len(exc.object) - len(chunk)  # bytes of an unfinished character from before
        bad = exc.object[exc.start : exc.start + 1].hex()
        at = offset - held + exc.start
        return _file_problem(
            name, f"not UTF-8 (byte 0x{bad} at offset {at}); export the file as 'CSV UTF-8'"
        )
    return None


def _file_problem(name: str, message: str) -> SourceProblem:
    return SourceProblem(record=f"file {name}", message=message)


def _records(text: TextIO) -> Iterator[Record]:
    """Yield (first line number, cells, csv error) per record; quoted newlines span lines."""
    reader = csv.reader(text, strict=True)
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, [], f"unreadable CSV ({exc})"
            continue
        yield start, cells, None


def _columns(header: list[str]) -> tuple[dict[int, str], str | None]:
    columns: dict[int, str] = {}
    seen: dict[str, str] = {}
    for index, cell in enumerate(header):
        key = "".join(ch for ch in cell.lower() if ch.isalnum())
        name = _BY_HEADER.get(key)
        if name is None:
            continue
        if name in seen:
            return {}, f"columns {seen[name]!r} and {cell.strip()!r} mean the same field"
        seen[name] = cell.strip()
        columns[index] = name
    if "ref_internal" not in seen:
        return {}, "no LearnerNumber column (the header row must name the columns)"
    return columns, None


def _learner(values: dict[str, str], zone: ZoneInfo) -> SourceLearner:
    text = {key: value.strip() for key, value in values.items()}
    ref_internal = text.get("ref_internal", "")
    if not ref_internal:
        raise RowError("LearnerNumber is empty")
    source_id = text.get("learner_id", ref_internal)  # no LearnerId column: use RefInternal
    if not source_id:
        raise RowError("LearnerId is empty")
    modified = None
    if text.get("modified"):
        try:
            modified = parse_timestamp(text["modified"], zone)
        except TimestampError:
            raise RowError(f"LastModified {text['modified']!r} is not a date and time") from None
    try:
        return SourceLearner(
            source_id=source_id,
            ref_internal=ref_internal,
            first_name=text.get("first_name") or None,
            last_name=text.get("last_name") or None,
            email=text.get("email") or None,
            mobile=text.get("mobile") or None,
            phone_home=text.get("phone_home") or None,
            phone_work=text.get("phone_work") or None,
            street_address=_address(text, "street"),
            postal_address=_address(text, "postal"),
            sync_to_xero=_flag(text, "sync_to_xero", "SyncToXero"),
            is_active=_flag(text, "is_active", "IsActive"),
            modified_at=modified,
        )
    except ValidationError as exc:  # defensive: every field above is already text or None
        raise RowError(str(exc.errors()[0]["msg"])) from None


def _address(text: dict[str, str], kind: str) -> SourceAddress | None:
    lines = tuple(line for line in (text.get(f"{kind}_line{i}", "") for i in (1, 2, 3)) if line)
    address = SourceAddress(
        lines=lines,
        city=text.get(f"{kind}_city") or None,
        state=text.get(f"{kind}_state") or None,
        postcode=text.get(f"{kind}_postcode") or None,
        country=text.get(f"{kind}_country") or None,
    )
    return None if address == SourceAddress() else address


def _flag(text: dict[str, str], key: str, column: str) -> bool:
    value = text.get(key, "").lower()
    if not value or value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise RowError(f"{column} {text[key]!r} is not true/false (or yes/no, 1/0)")
