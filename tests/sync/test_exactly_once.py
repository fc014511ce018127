"""Exactly once: crashes and lost answers at any point never create a second contact."""

from __future__ import annotations

from collections import Counter

import httpx
import pytest

from tests.sync.conftest import Env
from tests.sync.memory_source import learner
from xerowatch.store import jobs
from xerowatch.sync import push
from xerowatch.wiring import open_runtime


class Crash(BaseException):
    """Stands in for the process being killed (not an Exception: nothing may swallow it)."""


def numbers(env: Env) -> Counter[str]:
    return Counter(c["ContactNumber"] for c in env.sim.contacts(env.tenant_id))


async def restart_and_sync(env: Env) -> None:
    """A new process on the same store file runs a cycle."""
    transport = httpx.ASGITransport(app=env.sim.app)
    async with open_runtime(
        env.settings, clock=env.clock, xero_transport=transport, source=env.source
    ) as rt:
        await rt.engine.run_cycle()


async def test_killed_between_outbox_commit_and_call(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    env.source.put(*(learner(f"R{i}") for i in range(60)))

    async def die(*args: object, **kwargs: object) -> None:
        raise Crash

    monkeypatch.setattr(env.rt.xero, "upsert_contacts", die)
    with pytest.raises(Crash):
        await env.rt.engine.run_cycle()
    assert len(await jobs.in_doubt(env.rt.store, env.tenant_id, "contact")) == 50
    assert env.sim.contacts(env.tenant_id) == []
    await restart_and_sync(env)
    assert numbers(env) == Counter({f"R{i}": 1 for i in range(60)})


async def test_killed_between_call_and_commit(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    env.source.put(*(learner(f"R{i}") for i in range(60)))

    async def die(*args: object, **kwargs: object) -> None:
        raise Crash

    monkeypatch.setattr(push, "apply_results", die)
    with pytest.raises(Crash):
        await env.rt.engine.run_cycle()
    assert len(env.sim.contacts(env.tenant_id)) == 50  # Xero has them; the store does not know
    monkeypatch.undo()
    await restart_and_sync(env)
    assert numbers(env) == Counter({f"R{i}": 1 for i in range(60)})
    assert await jobs.in_doubt(env.rt.store, env.tenant_id, "contact") == []


async def test_write_applied_then_answered_503_replays_instead_of_duplicating(env: Env) -> None:
    env.source.put(*(learner(f"R{i}") for i in range(30)))
    env.sim.faults.add("apply_then_503", match="POST /Contacts", times=1)
    summary = await env.rt.engine.run_cycle()
    assert summary.tenants[env.tenant_id].push.created == 30
    assert numbers(env) == Counter({f"R{i}": 1 for i in range(30)})
    # the retry carried the same Idempotency-Key, so Xero replayed the first answer
    keys = [
        r.idempotency_key for r in env.sim.requests if (r.method, r.path) == ("POST", "/Contacts")
    ]
    assert len(keys) == 2 and keys[0] == keys[1]


async def test_answers_lost_for_good_then_recovery_on_a_later_cycle(env: Env) -> None:
    env.source.put(*(learner(f"R{i}") for i in range(5)))
    # every attempt of the first cycle is applied at Xero but answered 503 (max_retries=4)
    env.sim.faults.add("apply_then_503", match="POST /Contacts", times=5)
    summary = await env.rt.engine.run_cycle()
    assert summary.tenants[env.tenant_id].push.retrying == 5
    assert len(env.sim.contacts(env.tenant_id)) == 5
    env.clock.advance(3600)
    summary = await env.rt.engine.run_cycle()
    push_summary = summary.tenants[env.tenant_id].push
    assert (push_summary.created, push_summary.updated) == (0, 5)  # found by ContactNumber
    assert numbers(env) == Counter({f"R{i}": 1 for i in range(5)})


async def test_change_reverted_while_its_write_was_in_doubt_is_written_again(env: Env) -> None:
    env.source.put(learner("R1"))
    await env.rt.engine.run_cycle()
    env.source.put(learner("R1", email="new@example.com"))
    # applied at Xero, every answer lost: the store still holds the first content as synced
    env.sim.faults.add("apply_then_503", match="POST /Contacts", times=5)
    await env.rt.engine.run_cycle()
    assert env.sim.contacts(env.tenant_id)[0]["EmailAddress"] == "new@example.com"
    env.source.put(learner("R1"))  # the change is undone in the source
    env.clock.advance(3600)
    await env.rt.engine.run_cycle()
    assert env.sim.contacts(env.tenant_id)[0]["EmailAddress"] == "ada1@example.edu.au"
