"""What a cycle's summary says about alerts: `sync --once` exits 4 on new ones."""

from __future__ import annotations

from tests.sync.conftest import Env
from tests.sync.memory_source import learner


async def test_new_alerts_count_what_this_cycle_raised_even_when_another_was_fixed(
    env: Env,
) -> None:
    env.source.put(learner("R1", email="not-an-email"), learner("R2"))
    first = await env.rt.engine.run_cycle()
    assert (first.open_alerts, first.new_alerts) == (1, 1)
    env.source.put(learner("R1"), learner("R2", email="also-not-an-email"))
    second = await env.rt.engine.run_cycle()
    assert (second.open_alerts, second.new_alerts) == (1, 1)  # R1's resolved, R2's is new
    third = await env.rt.engine.run_cycle()
    assert third.new_alerts == 0  # still open, not new
