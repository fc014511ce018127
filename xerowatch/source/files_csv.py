"""Learner CSV exports → SourceLearner rows, with a located problem for every unreadable row.

Columns are matched by name, ignoring case, spaces, underscores and dashes; unknown columns are
ignored. `LearnerNumber` (or `RefInternal`) is required; `LearnerId` is the source id when the
file has it, else the LearnerNumber is. Files are UTF-8 with or without a BOM, comma-separated,
quoted fields may hold commas, quotes ("") and newlines. See docs/wisenet.md for the list.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from xerowatch.source.port import SourceAddress, SourceLearner, SourceProblem
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


@dataclass
class ParsedFile:
    """The rows of a file, or `rejected` with the file-level problems when it is unusable."""

    rows: list[ParsedRow] = field(default_factory=list)
    rejected: list[SourceProblem] = field(default_factory=list)


def parse_learner_csv(data: bytes, name: str, zone: ZoneInfo) -> ParsedFile:
    """Parse a learner export; bad rows become problems, the rest become learners."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.start + 1].hex()
        return _reject(
            name,
            f"not UTF-8 (byte 0x{bad} at offset {exc.start}); export the file as 'CSV UTF-8'",
        )
    records = _records(text)
    header = next(records, None)
    if header is None:
        return ParsedFile()
    _, header_cells, header_error = header
    if header_error is not None:
        return _reject(name, f"line 1: {header_error}")
    columns, problem = _columns(header_cells)
    if problem:
        return _reject(name, problem)
    parsed = ParsedFile()
    for line, cells, error in records:
        if error is None and not any(cell.strip() for cell in cells):
            continue  # blank line
        try:
            if error is not None:
                raise RowError(error)
            if len(cells) != len(header_cells):
                raise RowError(f"expected {len(header_cells)} fields, found {len(cells)}")
            learner = _learner({columns[i]: c for i, c in enumerate(cells) if i in columns}, zone)
            parsed.rows.append(ParsedRow(line=line, learner=learner))
        except RowError as exc:
            problem_row = SourceProblem(record=f"file {name} line {line}", message=str(exc))
            parsed.rows.append(ParsedRow(line=line, problem=problem_row))
    return parsed


def _reject(name: str, message: str) -> ParsedFile:
    return ParsedFile(rejected=[SourceProblem(record=f"file {name}", message=message)])


def _records(text: str) -> Iterator[tuple[int, list[str], str | None]]:
    """Yield (first line number, cells, csv error) per record; quoted newlines span lines."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
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
