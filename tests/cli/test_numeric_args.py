"""Numeric CLI arguments out of any sensible range: one clear error line, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.test_store_cli import xerowatch
from xerowatch.cli.auth_cmds import _parse_choice
from xerowatch.sync.command_args import CommandError, _alert_ids, _int_arg

HUGE = "99999999999999999999999"


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["ack", HUGE], "alert id"),
        (["ack", "--", f"-{HUGE}"], "alert id"),
        (["ack", "0"], "alert id"),
        (["ack", "x7"], "alert id"),
        (["resync", "--cancel", HUGE], "resync id"),
        (["history", "A1", "--limit", HUGE], "row count"),
        (["demo", "--learners", HUGE], "learner count"),
    ],
)
def test_out_of_range_numbers_are_one_clear_error(
    tmp_path: Path, args: list[str], names: str
) -> None:
    done = xerowatch(tmp_path, *args)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "OverflowError" not in done.stderr
    [error] = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert names in error


def test_a_huge_tenant_choice_is_an_invalid_answer_not_a_crash() -> None:
    assert _parse_choice("9" * 5000, 3) == []
    assert _parse_choice("²", 3) == []
    assert _parse_choice("1, 3", 3) == [0, 2]


def test_commands_from_other_writers_are_range_checked() -> None:
    """The dashboard and scripts write commands too: a huge id fails the command, not SQLite."""
    with pytest.raises(CommandError, match="out of range"):
        _int_arg(int(HUGE), "the resync id")
    with pytest.raises(CommandError, match="out of range"):
        _int_arg(HUGE, "the resync id")
    assert _int_arg("42", "the resync id") == 42


def test_an_acknowledge_command_with_a_huge_id_fails_cleanly() -> None:
    with pytest.raises(CommandError, match="alert"):
        _alert_ids({"ids": [int(HUGE)]})


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["retry", "   "], "needs a RefInternal (ref)"),
        (["online-link", " "], "needs an invoice number or InvoiceID (invoice_id)"),
    ],
)
def test_a_bad_command_argument_is_refused_before_it_is_queued(
    tmp_path: Path, args: list[str], says: str
) -> None:
    done = xerowatch(tmp_path, *args)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    [error] = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert says in error
    assert not (tmp_path / "x.db").exists()  # refused before the store was even opened
