"""Fuzzed CSV exports: every data row becomes a learner or a located problem, never a crash."""

from __future__ import annotations

import csv
import io

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.source.test_file_source import drain, make
from xerowatch.config import FileSourceSettings

COLUMNS = [
    *("LearnerId", "LearnerNumber", "FirstName", "LastName", "Email", "Mobile"),
    *("PostalLine1", "PostalCity", "PostalState", "PostalPostcode", "PostalCountry"),
    *("SyncToXero", "IsActive", "LastModified", "Notes"),
]
cells = st.one_of(
    st.text(max_size=20),
    st.sampled_from(
        [
            "",
            "true",
            "No",
            "maybe",
            "2026-11-02 10:15:00",
            "2026-02-30T25:61:00",
            "31/12/2026",
            "\x00",
            "\u202e",
            '"',
            "a,b",
            "line\nbreak",
            "9" * 400,
        ]
    ),
)
rows = st.lists(st.lists(cells, min_size=0, max_size=len(COLUMNS) + 2), min_size=1, max_size=6)


def export(header: list[str], data: list[list[str]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(data)
    return buffer.getvalue().encode("utf-8", "surrogatepass")


FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(
    header=st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=len(COLUMNS), unique=True),
    data=rows,
)
def test_every_row_is_a_learner_or_a_located_problem(
    tmp_path_factory: pytest.TempPathFactory, header: list[str], data: list[list[str]]
) -> None:
    inbox = tmp_path_factory.mktemp("in")
    (inbox / "x.csv").write_bytes(export(header, data))
    batches = anyio.run(drain, make(FileSourceSettings(inbox=inbox, outbox=inbox / "out")))

    learners = [le for b in batches for le in b.learners]
    problems = [p for b in batches for p in b.problems]
    assert all(p.record.startswith("file x.csv") and p.message for p in problems)
    assert len(learners) <= len(data)
    if not problems:
        assert len(learners) == sum(1 for row in data if any(cell.strip() for cell in row))


@FUZZ
@given(content=st.binary(max_size=300))
def test_any_bytes_are_read_or_reported(
    tmp_path_factory: pytest.TempPathFactory, content: bytes
) -> None:
    inbox = tmp_path_factory.mktemp("in")
    (inbox / "x.csv").write_bytes(b"LearnerNumber,FirstName,LastName\r\n" + content)
    batches = anyio.run(drain, make(FileSourceSettings(inbox=inbox, outbox=inbox / "out")))
    assert all(p.message for b in batches for p in b.problems)
