"""The engine's loops as `xerowatch run` wires them, in-process against the Xero simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.daemon.engine_world import EngineWorld, open_engine_world
from xerowatch.daemon.engine_loops import EngineWiring
from xerowatch.store import commands, runtime


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[EngineWorld]:
    opened = await open_engine_world(tmp_path)
    try:
        yield opened
    finally:
        await opened.store.close()


async def test_a_command_claimed_before_any_loop_opened_the_engine_is_carried_out(
    world: EngineWorld,
) -> None:
    wiring = EngineWiring(world.host())
    wiring.loops_factory(world.context())  # the generation exists; no loop has run yet
    await commands.enqueue(world.store, "pause")
    command = await commands.claim_next(world.store)
    assert command is not None

    result = await wiring.executor(command)

    assert result == "paused all tenants"
    assert await runtime.is_paused(world.store)
