"""State and country look-ups: one call each per cache period, stale copy on failure."""

from __future__ import annotations

import pytest

from xerowatch.clock import FakeClock
from xerowatch.sim.wisenet import WisenetSim
from xerowatch.source.port import SourceError
from xerowatch.source.wisenet.combos import Combos

from .conftest import MakeSource, collect


async def test_one_combo_call_per_cache_period(
    sim: WisenetSim, make_source: MakeSource, clock: FakeClock
) -> None:
    sim.seed_learners(3)
    source = make_source()
    for _ in range(4):
        await collect(source, None)
        await source.get_learner("1001")
        clock.advance(3600)  # 4 h in all: inside the 6 h period
    assert sim.count("/combos/states") == 1
    assert sim.count("/combos/countries") == 1

    clock.advance(2 * 3600 + 1)
    await collect(source, None)
    assert sim.count("/combos/states") == 2
    assert sim.count("/combos/countries") == 2


async def test_a_failed_refresh_serves_the_cached_lists(
    sim: WisenetSim, make_source: MakeSource, clock: FakeClock
) -> None:
    ids = sim.seed_learners(1)
    source = make_source()
    await collect(source, None)
    clock.advance(7 * 3600)
    sim.fail_next("/combos/states", 503, times=6)

    learner = await source.get_learner(str(ids[0]))

    assert learner is not None and learner.street_address is not None
    assert learner.street_address.state in {"NSW", "VIC", "QLD", "SA", "WA", "TAS", "NT", "ACT"}
    assert sim.count("/combos/states") == 1 + 6


async def test_without_a_cached_copy_a_failure_propagates(
    sim: WisenetSim, make_source: MakeSource
) -> None:
    sim.seed_learners(1)
    sim.fail_next("/combos/countries", 503, times=6)
    with pytest.raises(SourceError, match="HTTP 503") as info:
        await collect(make_source(), None)
    assert info.value.transient is True


def test_unknown_ids_pass_through_as_raw_text() -> None:
    combos = Combos(states={1: "NSW"}, countries={1101: "Australia"})
    assert combos.state(1) == "NSW"
    assert combos.state(77) == "77"
    assert combos.state(None) is None
    assert combos.country(1101) == "Australia"
    assert combos.country(9999) == "9999"
    assert combos.country(None) is None
