"""The standing chaos suite, CI-sized: a real daemon SIGKILLed at random points with faults on.

`python -m bench --scenario chaos` runs the same at full size (3,000 learners, 22 kills), where
the initial sync fills Xero's minute limit across the restarts; here the calls are too few to,
so `tests/sync/test_quota_restart.py` pins the restart window deterministically.
"""

from __future__ import annotations

from pathlib import Path

from bench.chaos import ChaosPlan, run_chaos, summary_lines
from xerowatch.sync.writeback import BATCH

CI_PLAN = ChaosPlan(
    learners=40,
    kills=4,
    fault_rate=0.10,
    life_s=(1.5, 4.0),
    new_learners=6,
    invoices=30,
    settle_timeout_s=60.0,
    seed=11,
)


def test_sigkilled_daemon_with_faults_loses_nothing_and_duplicates_nothing(
    tmp_path: Path,
) -> None:
    result = run_chaos(CI_PLAN, tmp_path, say=lambda _: None)
    report = "\n".join(summary_lines(result))

    assert result.problems == [], report
    assert result.kills == CI_PLAN.kills
    assert result.faults_injected > 0, report
    # 35 seeded learners are ticked Sync to Xero (seed 11), and every arrival is
    assert result.learners_eligible == result.contacts_checked == 35 + CI_PLAN.new_learners
    assert result.transactions_checked == CI_PLAN.invoices
    assert (result.lost, result.duplicate_contacts, result.minute_429) == (0, 0, 0)
    assert (result.outbox_running, result.outbox_dead, result.stranded) == (0, 0, 0)
    # Replays of idempotent PUTs a kill left unrecorded: at most one write-back batch per kill.
    assert result.duplicate_writes <= result.kills * BATCH
    assert result.token_refreshed_at_end
