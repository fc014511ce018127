"""One push builds each learner's candidate once (one validation, mapping and hash per learner;
one read of its link, stored record and job per chunk) and commits per chunk, not per learner."""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable
from typing import Any

import pytest

from tests.sync.conftest import Env
from tests.sync.memory_source import learner
from xerowatch.store import alerts, jobs, learners, links
from xerowatch.sync import push
from xerowatch.sync.ingest import VALIDATION_ALERT
from xerowatch.sync.mapping import contact_hash, to_contact
from xerowatch.sync.push_results import PushSummary
from xerowatch.sync.validation import validate

LEARNERS = 10
CHUNK = 4
CHUNKS = 3  # ceil(10 / 4)


def _count(monkeypatch: pytest.MonkeyPatch, func: Callable[..., Any]) -> list[int]:
    """Count the calls of `func` from every xerowatch module that holds it (however imported)."""
    calls = [0]
    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        async def counting_async(*args: Any, **kwargs: Any) -> Any:
            calls[0] += 1
            return await func(*args, **kwargs)

        counting: Callable[..., Any] = counting_async
    else:

        @functools.wraps(func)
        def counting_sync(*args: Any, **kwargs: Any) -> Any:
            calls[0] += 1
            return func(*args, **kwargs)

        counting = counting_sync
    for name, module in list(sys.modules.items()):
        if name.startswith("xerowatch."):
            for attr, value in list(vars(module).items()):
                if value is func:
                    monkeypatch.setattr(module, attr, counting)
    return calls


def _counters(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[int]]:
    return {
        "validate": _count(monkeypatch, validate),
        "to_contact": _count(monkeypatch, to_contact),
        "contact_hash": _count(monkeypatch, contact_hash),
        "links_by_ref": _count(monkeypatch, links.links_by_ref),
        "get_many_by_ref": _count(monkeypatch, learners.get_many_by_ref),
        "unsettled_keys": _count(monkeypatch, jobs.unsettled_keys),
    }


def _totals(counters: dict[str, list[int]]) -> dict[str, int]:
    return {name: calls[0] for name, calls in counters.items()}


EXPECTED = {
    "validate": LEARNERS,
    "to_contact": LEARNERS,
    "contact_hash": LEARNERS,
    "links_by_ref": CHUNKS,  # the directory read's merge check reads its own: see below
    "get_many_by_ref": CHUNKS,
    "unsettled_keys": CHUNKS,
}


async def _synced(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(push, "PUSH_CHUNK", CHUNK)
    env.source.put(*(learner(f"R{i:02d}") for i in range(LEARNERS)))
    first = await env.rt.engine.run_cycle()
    assert first.tenants[env.tenant_id].push.created == LEARNERS


async def test_a_push_of_changed_learners_maps_and_hashes_each_once(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _synced(env, monkeypatch)
    env.source.put(*(learner(f"R{i:02d}", email=f"new{i}@example.edu.au") for i in range(LEARNERS)))
    await env.rt.engine.ingest_source()
    writes_before = env.writes()
    counters = _counters(monkeypatch)

    summary = await env.rt.engine.push(env.tenant)

    assert summary.updated == LEARNERS
    # + 1: the directory read checks the contacts it read (ours, changed) for merges
    assert _totals(counters) == EXPECTED | {"links_by_ref": CHUNKS + 1}
    assert env.writes() - writes_before == 1  # one batch of 10: the call count is unchanged
    emails = sorted(str(c.get("EmailAddress")) for c in env.sim.contacts(env.tenant_id))
    assert emails == sorted(f"new{i}@example.edu.au" for i in range(LEARNERS))


async def test_a_push_of_unchanged_learners_maps_and_hashes_each_once_and_calls_nothing(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _synced(env, monkeypatch)
    pairs = [(f"R{i:02d}", f"src-R{i:02d}") for i in range(LEARNERS)]
    await links.mark_many_pending(env.rt.store, env.tenant_id, pairs)
    counters = _counters(monkeypatch)

    summary = await env.rt.engine.push(env.tenant)

    assert summary.unchanged == LEARNERS
    assert summary.calls == 0
    assert _totals(counters) == EXPECTED
    assert (await links.count_by_state(env.rt.store, env.tenant_id)) == {"synced": LEARNERS}


async def _commits_during_push(env: Env) -> tuple[int, PushSummary]:
    statements: list[str] = []
    await env.rt.store.conn.set_trace_callback(statements.append)
    try:
        summary = await env.rt.engine.push(env.tenant)
    finally:
        await env.rt.store.conn.set_trace_callback(None)  # type: ignore[arg-type]  # stops it
    return statements.count("COMMIT"), summary


async def test_a_chunk_of_invalid_learners_is_one_commit_not_two_a_learner(env: Env) -> None:
    env.source.put(*(learner(f"V{i:02d}", email=None) for i in range(20)))
    await env.rt.engine.ingest_source()  # parked invalid, with an alert each
    pairs = [(f"V{i:02d}", f"src-V{i:02d}") for i in range(20)]
    await links.mark_many_pending(env.rt.store, env.tenant_id, pairs)  # e.g. `retry --all`

    commits, summary = await _commits_during_push(env)

    assert (summary.blocked, summary.calls) == (20, 0)
    assert commits == 2  # queueing unlinked learners, then the one chunk
    assert (await links.count_by_state(env.rt.store, env.tenant_id)) == {"invalid": 20}
    invalid = await alerts.open_alerts(env.rt.store, type_=VALIDATION_ALERT)
    assert sorted(a.record for a in invalid) == [ref for ref, _ in pairs]


@pytest.mark.parametrize("count", [10, 30])
async def test_the_commits_of_a_push_do_not_grow_with_its_learners(env: Env, count: int) -> None:
    env.source.put(*(learner(f"W{i:02d}") for i in range(count)))
    await env.rt.engine.ingest_source()

    commits, summary = await _commits_during_push(env)

    assert summary.created == count
    # Queueing, the chunk's checks, the directory page, the plan, the batch's outbox rows and
    # its results, and each of the 2 calls' quota journal row: none per learner (was 36 at 30).
    assert commits == 8
