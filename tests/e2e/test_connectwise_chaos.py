"""`xerowatch sync --once` (ConnectWise mode) SIGKILLed at seeded random moments, Xero payments
made between the runs, then a run to the end: no duplicate contact or invoice, every invoice in
Xero once with ConnectWise's total, nothing posted in ConnectWise before Xero had it, every
payment posted back exactly once. The seed is in every failure message; replay one with
`CHAOS_SEED=<seed> pytest tests/e2e/test_connectwise_chaos.py`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.connectwise_chaos import DOCUMENTS, INVOICES, ChaosPlan, run_chaos

SEEDS = [int(os.environ["CHAOS_SEED"])] if os.environ.get("CHAOS_SEED") else [13, 2026]


@pytest.mark.parametrize("seed", SEEDS)
def test_random_sigkills_leave_no_duplicate_and_every_payment_posted_once(
    tmp_path: Path, seed: int
) -> None:
    plan = ChaosPlan(seed=seed, kinds=(INVOICES,))
    result = run_chaos(plan, tmp_path)
    assert result.problems == [], result.report()
    assert result.kills >= 2, result.report()  # the moments fell inside the work, not after it
    assert result.payments_made > 0, result.report()


@pytest.mark.parametrize("seed", SEEDS[:1])
def test_random_sigkills_across_every_document_kind_duplicate_nothing(
    tmp_path: Path, seed: int
) -> None:
    """Expenses (member contacts, bills), purchase orders (vendor contacts, POs, packing-slip
    bills), adjustments and transfers (journals), killed at random moments, then run out."""
    plan = ChaosPlan(seed=seed, kinds=(DOCUMENTS,), max_requests_before_kill=250)
    result = run_chaos(plan, tmp_path)
    assert result.problems == [], result.report()
    assert result.kills >= 2, result.report()
