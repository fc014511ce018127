"""The push works through due learners in chunks (flat memory) without spending extra calls."""

from __future__ import annotations

import pytest

from tests.sync.conftest import Env
from tests.sync.memory_source import learner
from xerowatch.store import learners
from xerowatch.store.db import Store
from xerowatch.store.learners import StoredLearner
from xerowatch.sync import push


async def test_due_learners_are_read_a_chunk_at_a_time_and_batches_stay_full(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(push, "PUSH_CHUNK", 4)
    ctx = env.rt.engine.ctx
    ctx.settings = ctx.settings.model_copy(update={"batch_size": 3})
    read_sizes: list[int] = []
    real_get_many = learners.get_many_by_ref

    async def counting_get_many(store: Store, refs: list[str]) -> dict[str, StoredLearner]:
        read_sizes.append(len(refs))
        return await real_get_many(store, refs)

    monkeypatch.setattr(learners, "get_many_by_ref", counting_get_many)
    env.source.put(*(learner(f"R{i:02d}") for i in range(10)))

    summary = await env.rt.engine.run_cycle()

    assert summary.tenants[env.tenant_id].push.created == 10
    assert max(read_sizes) <= 4  # never every due learner at once
    assert env.writes() == 4  # ceil(10 / 3): batches carry over between chunks
    assert len(env.sim.contacts(env.tenant_id)) == 10
    again = await env.rt.engine.run_cycle()
    assert again.tenants[env.tenant_id].push.calls == 0
