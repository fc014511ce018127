"""FileSource: CSV edge cases, crash safety of the archive step, atomic outbox writes."""

from __future__ import annotations

import csv
import io
import json
import os
import tracemalloc
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xerowatch.clock import FakeClock
from xerowatch.config import FileSourceSettings
from xerowatch.records import SourceLineItem, SourceTransaction
from xerowatch.source.files import FileCursor, FileSource
from xerowatch.source.port import LearnerBatch, SourceError, SourcePort

HEADER = (
    "LearnerId,LearnerNumber,FirstName,LastName,Email,"
    "PostalLine1,PostalCity,PostalState,PostalPostcode,SyncToXero\r\n"
)


@pytest.fixture
def folders(tmp_path: Path) -> FileSourceSettings:
    (tmp_path / "in").mkdir()
    return FileSourceSettings(inbox=tmp_path / "in", outbox=tmp_path / "out")


def make(folders: FileSourceSettings, **kwargs) -> FileSource:
    kwargs.setdefault("settle_seconds", 0)
    return FileSource(folders, FakeClock(), **kwargs)


def drop(folders: FileSourceSettings, name: str, content: str | bytes, mtime: int = 0) -> Path:
    path = folders.inbox / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    if mtime:
        os.utime(path, (mtime, mtime))
    return path


async def drain(source: FileSource, cursor: str | None = None) -> list[LearnerBatch]:
    return [b async for b in source.changed_learners(cursor)]


def test_is_a_source_port(folders: FileSourceSettings) -> None:
    source = make(folders)
    assert isinstance(source, SourcePort)
    assert source.budget() is None


async def test_bom_quotes_commas_and_newlines(folders: FileSourceSettings) -> None:
    drop(
        folders,
        "a.csv",
        "\ufeff"
        + HEADER
        + '7,DAU7,"Seán","O\'Brien",s@example.ie,"Unit 3, ""The Mews""",Perth,WA,6000,yes\r\n'
        '8,DAU8,Ciara,"O""Brien",c@example.ie,"Line one\nline two",Hobart,TAS,7000,\r\n',
    )
    (batch,) = await drain(make(folders))
    first, second = batch.learners
    assert first.source_id == "7" and first.ref_internal == "DAU7"
    assert first.first_name == "Seán" and first.last_name == "O'Brien"
    assert first.postal_address is not None
    assert first.postal_address.lines == ('Unit 3, "The Mews"',)
    assert (first.postal_address.city, first.postal_address.state) == ("Perth", "WA")
    assert second.last_name == 'O"Brien'
    assert second.postal_address is not None
    assert second.postal_address.lines == ("Line one\nline two",)
    assert second.sync_to_xero is True  # blank means the default
    assert batch.problems == []


async def test_bad_rows_are_reported_with_their_line_and_the_rest_imported(
    folders: FileSourceSettings,
) -> None:
    drop(
        folders,
        "b.csv",
        HEADER
        + '1,DAU1,Ann,"multi\nline",a@example.com,,,,,true\r\n'  # lines 2-3
        + "2,,Bob,Jones,b@example.com,,,,,true\r\n"  # line 4: no LearnerNumber
        + "3,DAU3,Cat,Lee,c@example.com,,,,,maybe\r\n"  # line 5: bad flag
        + "4,DAU4,Dan,Wu\r\n"  # line 6: short row
        + '5,DAU5,"Eve"x,Ng,e@example.com,,,,,true\r\n'  # line 7: broken quoting
        + "\r\n"  # blank line: skipped silently
        + "6,DAU6,Fay,Ho,f@example.com,,,,,no\r\n",  # line 9
    )
    (batch,) = await drain(make(folders))
    assert [le.ref_internal for le in batch.learners] == ["DAU1", "DAU6"]
    assert batch.learners[1].sync_to_xero is False
    assert [str(p) for p in batch.problems] == [
        "file b.csv line 4: LearnerNumber is empty",
        "file b.csv line 5: SyncToXero 'maybe' is not true/false (or yes/no, 1/0)",
        "file b.csv line 6: expected 10 fields, found 4",
        "file b.csv line 7: unreadable CSV (',' expected after '\"')",
    ]


async def test_headers_match_loosely_and_learner_number_is_the_id_without_learner_id(
    folders: FileSourceSettings,
) -> None:
    drop(
        folders,
        "c.csv",
        "Ref Internal,first_name,LAST-NAME,Email Address,Street City,Notes,Last Modified\n"
        "DAU9,Zoë,Nguyễn,z@example.vn,Sydney,ignored,2026-04-05T02:30:00\n",
    )
    (batch,) = await drain(make(folders))
    (learner,) = batch.learners
    assert learner.source_id == "DAU9"
    assert (learner.first_name, learner.last_name, learner.email) == (
        "Zoë",
        "Nguyễn",
        "z@example.vn",
    )
    assert learner.street_address is not None and learner.street_address.city == "Sydney"
    assert learner.postal_address is None
    assert learner.modified_at == datetime(2026, 4, 4, 15, 30, tzinfo=UTC)  # AEDT, first pass


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"Name,Email\nAnn,a@example.com\n", "no LearnerNumber column"),
        (b"LearnerNumber,RefInternal\nA,B\n", "mean the same field"),
        ("LearnerNumber,FirstName\nDAU1,Zo\xeb\n".encode("latin-1"), "not UTF-8 (byte 0xeb"),
    ],
)
async def test_unusable_files_are_reported_and_moved_to_rejected(
    folders: FileSourceSettings, content: bytes, problem: str
) -> None:
    drop(folders, "bad.csv", content)
    batches = await drain(make(folders))
    assert len(batches) == 1 and batches[0].learners == []
    assert problem in str(batches[0].problems[0])
    assert str(batches[0].problems[0]).startswith("file bad.csv: ")
    assert (folders.inbox / "rejected" / "bad.csv").exists()
    assert not (folders.inbox / "bad.csv").exists()


async def test_file_moves_to_done_only_after_the_engine_asks_for_more(
    folders: FileSourceSettings,
) -> None:
    drop(folders, "a.csv", HEADER + "1,DAU1,Ann,Lee,a@example.com,,,,,\r\n")
    source = make(folders)
    stream = source.changed_learners(None)
    batch = await anext(stream)
    assert batch.learners[0].ref_internal == "DAU1"
    assert (folders.inbox / "a.csv").exists()  # handed over, but not yet committed
    with pytest.raises(StopAsyncIteration):
        await anext(stream)
    assert not (folders.inbox / "a.csv").exists()
    assert (folders.inbox / "done" / "a.csv").exists()


async def test_crash_before_commit_re_reads_the_file(folders: FileSourceSettings) -> None:
    drop(folders, "a.csv", HEADER + "1,DAU1,Ann,Lee,a@example.com,,,,,\r\n")
    source = make(folders)
    stream = source.changed_learners(None)
    await anext(stream)
    await stream.aclose()  # the engine died before storing the cursor
    assert (folders.inbox / "a.csv").exists()

    again = await drain(make(folders), None)  # restart with the old (None) cursor
    assert [le.ref_internal for b in again for le in b.learners] == ["DAU1"]


async def test_crash_after_commit_but_before_the_move_does_not_re_read(
    folders: FileSourceSettings,
) -> None:
    drop(folders, "a.csv", HEADER + "1,DAU1,Ann,Lee,a@example.com,,,,,\r\n")
    stream = make(folders).changed_learners(None)
    committed = (await anext(stream)).cursor
    await stream.aclose()  # cursor stored, then the process died before the move

    again = await drain(make(folders), committed)
    assert again == []
    assert (folders.inbox / "done" / "a.csv").exists()


async def test_a_restart_resumes_mid_file(folders: FileSourceSettings) -> None:
    rows = "".join(f"{i},DAU{i},N{i},L{i},n{i}@example.com,,,,,\r\n" for i in range(1, 6))
    drop(folders, "a.csv", HEADER + rows)
    stream = make(folders, batch_size=2).changed_learners(None)
    first = await anext(stream)
    await stream.aclose()
    assert FileCursor.load(first.cursor) is not None

    rest = await drain(make(folders, batch_size=2), first.cursor)
    assert [[le.ref_internal for le in b.learners] for b in rest] == [["DAU3", "DAU4"], ["DAU5"]]
    assert json.loads(rest[-1].cursor or "")["done"] is True


async def test_a_changed_file_under_a_committed_name_is_read_again(
    folders: FileSourceSettings,
) -> None:
    drop(folders, "a.csv", HEADER + "1,DAU1,Ann,Lee,a@example.com,,,,,\r\n")
    committed = (await drain(make(folders)))[-1].cursor
    drop(folders, "a.csv", HEADER + "1,DAU1,Annie,Lee,a@example.com,,,,,\r\n")
    batches = await drain(make(folders), committed)
    assert [le.first_name for b in batches for le in b.learners] == ["Annie"]
    assert (folders.inbox / "done" / "a.1.csv").exists()  # the earlier a.csv is kept


async def test_files_are_read_oldest_first_and_others_ignored(
    folders: FileSourceSettings,
) -> None:
    drop(folders, "z.csv", HEADER + "1,DAU1,A,B,a@example.com,,,,,\r\n", mtime=1_700_000_000)
    drop(folders, "a.CSV", HEADER + "2,DAU2,C,D,c@example.com,,,,,\r\n", mtime=1_700_000_100)
    drop(folders, ".partial.csv", HEADER, mtime=1_700_000_000)
    drop(folders, "notes.txt", "hello", mtime=1_700_000_000)
    batches = await drain(make(folders))
    assert [b.learners[0].ref_internal for b in batches] == ["DAU1", "DAU2"]
    assert (folders.inbox / ".partial.csv").exists() and (folders.inbox / "notes.txt").exists()


async def test_files_still_being_written_wait_for_the_next_poll(
    folders: FileSourceSettings,
) -> None:
    drop(folders, "a.csv", HEADER + "1,DAU1,A,B,a@example.com,,,,,\r\n")
    clock = FakeClock(datetime.now(UTC))
    assert await drain(FileSource(folders, clock, settle_seconds=30)) == []
    clock.advance(31)
    assert len(await drain(FileSource(folders, clock, settle_seconds=30))) == 1


async def test_missing_inbox_is_a_transient_error(tmp_path: Path) -> None:
    source = make(FileSourceSettings(inbox=tmp_path / "nope", outbox=tmp_path / "out"))
    with pytest.raises(SourceError, match="does not exist") as info:
        await drain(source)
    assert info.value.transient is True


async def test_get_learner_reads_the_newest_archived_file(folders: FileSourceSettings) -> None:
    drop(folders, "a.csv", HEADER + "1,DAU1,Old,Name,a@example.com,,,,,\r\n", mtime=1_700_000_000)
    drop(folders, "b.csv", HEADER + "1,DAU1,New,Name,a@example.com,,,,,\r\n", mtime=1_700_000_500)
    source = make(folders)
    await drain(source)
    learner = await source.get_learner("1")
    assert learner is not None and learner.first_name == "New"
    assert await source.get_learner("2") is None


def _tx(**overrides) -> SourceTransaction:
    values = {
        "xero_id": "0f3a/..:weird id",
        "kind": "invoice",
        "learner_source_id": "1",
        "ref_internal": "DAU1",
        "number": "INV-1",
        "status": "AUTHORISED",
        "date": date(2026, 11, 2),
        "total": Decimal("110.10"),
        "line_items": [
            SourceLineItem(description='Course, "Cert IV"', line_amount=Decimal("100.10")),
            SourceLineItem(description="Kit", line_amount=Decimal("10.00")),
        ],
    }
    values.update(overrides)
    return SourceTransaction(**values)


async def test_write_transaction_json_is_atomic_and_idempotent(
    folders: FileSourceSettings,
) -> None:
    source = make(folders)
    await source.write_transaction(_tx())
    await source.write_transaction(_tx(status="PAID"))
    files = sorted(p.name for p in folders.outbox.iterdir())
    assert files == ["invoice-0f3a_.._weird_id.json"]  # no temp file left behind
    body = json.loads((folders.outbox / files[0]).read_text("utf-8"))
    assert body["status"] == "PAID"
    assert body["total"] == "110.10"  # decimals stay exact
    assert body["line_items"][0]["description"] == 'Course, "Cert IV"'


async def test_write_transaction_csv_has_a_row_per_line_item(tmp_path: Path) -> None:
    folders = FileSourceSettings(inbox=tmp_path, outbox=tmp_path / "out", write_format="csv")
    source = make(folders)
    await source.write_transaction(_tx())
    await source.write_transaction(_tx(xero_id="p1", kind="payment", line_items=[]))
    text = (folders.outbox / "invoice-0f3a_.._weird_id.csv").read_text("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [r["LineDescription"] for r in rows] == ['Course, "Cert IV"', "Kit"]
    assert {r["Total"] for r in rows} == {"110.10"}
    payment = (folders.outbox / "payment-p1.csv").read_text("utf-8-sig").splitlines()
    assert len(payment) == 2


async def test_write_failure_is_a_transient_source_error(tmp_path: Path) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("a file where the outbox folder should be")
    source = make(FileSourceSettings(inbox=tmp_path, outbox=blocker))
    with pytest.raises(SourceError, match="cannot write") as info:
        await source.write_transaction(_tx())
    assert info.value.transient is True


_TEXT = (
    st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=30)
    .map(str.strip)
    .filter(bool)
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.tuples(_TEXT, _TEXT, _TEXT), min_size=1, max_size=8), bom=st.booleans())
def test_any_text_round_trips_through_a_csv_export(
    tmp_path_factory: pytest.TempPathFactory, rows: list[tuple[str, str, str]], bom: bool
) -> None:
    """Whatever names an export holds (quotes, commas, newlines, unicode), they come back."""
    import anyio

    inbox = tmp_path_factory.mktemp("in")
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["LearnerNumber", "FirstName", "LastName"])
    writer.writerows(rows)
    data = buffer.getvalue().encode("utf-8")
    (inbox / "x.csv").write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    source = make(FileSourceSettings(inbox=inbox, outbox=inbox / "out"))
    batches = anyio.run(drain, source)
    got = [(le.ref_internal, le.first_name, le.last_name) for b in batches for le in b.learners]
    assert got == rows


def _big_export(rows: int, notes_bytes: int) -> str:
    """A learner export whose rows carry a large column xerowatch ignores."""
    header = "LearnerId,LearnerNumber,FirstName,LastName,Notes\r\n"
    notes = "ñ" * (notes_bytes // 2)  # two bytes each in UTF-8
    body = "".join(f"{i},DAU{i},Ann,Lee{i},{notes}\r\n" for i in range(rows))
    return header + body


async def _peak_bytes_while(coro: Any) -> tuple[Any, int]:
    tracemalloc.start()
    try:
        result = await coro
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


async def test_a_large_export_is_streamed_not_loaded_whole(folders: FileSourceSettings) -> None:
    content = _big_export(rows=60, notes_bytes=100_000)  # about 6 MB
    drop(folders, "big.csv", content)
    source = make(folders, batch_size=5)
    batches, peak = await _peak_bytes_while(drain(source))
    assert sum(len(b.learners) for b in batches) == 60 and len(batches) == 12
    size = len(content.encode())
    assert peak < size // 4, f"peak {peak} bytes for a {size}-byte file"
    assert (folders.inbox / "done" / "big.csv").exists()


async def test_get_learner_streams_and_the_last_row_of_a_file_wins(
    folders: FileSourceSettings,
) -> None:
    content = _big_export(rows=60, notes_bytes=100_000)
    content += "7,DAU7,Annabel,Lee7,later row\r\n"
    drop(folders, "big.csv", content)
    source = make(folders)
    learner, peak = await _peak_bytes_while(source.get_learner("7"))
    assert learner is not None and learner.first_name == "Annabel"  # as the engine would apply
    assert peak < len(content.encode()) // 4


async def test_a_file_rewritten_while_it_is_read_is_read_again(
    folders: FileSourceSettings,
) -> None:
    rows = "".join(f"{i},DAU{i},N{i},L{i},n{i}@example.com,,,,,\r\n" for i in range(1, 5))
    path = drop(folders, "a.csv", HEADER + rows)
    stream = make(folders, batch_size=2).changed_learners(None)
    first = await anext(stream)
    path.write_text(HEADER + rows.replace("N3", "Nina"))  # rewritten in place mid-read
    os.utime(path, ns=(0, 1_700_000_000_000_000_000))
    rest = [batch async for batch in stream]
    assert path.exists() and not (folders.inbox / "done").exists()  # not archived
    again = await drain(make(folders, batch_size=2), rest[-1].cursor)
    assert "Nina" in [le.first_name for b in again for le in b.learners]
    assert first.learners and (folders.inbox / "done" / "a.csv").exists()
