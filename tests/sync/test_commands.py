"""Operator commands with bad arguments fail with one clear line, never crash, spend no call."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sync.conftest import Env
from tests.sync.memory_source import learner
from xerowatch.store import alerts, commands, runtime
from xerowatch.sync import commands as registry
from xerowatch.sync.commands import CommandError, CommandKind, process_pending


async def run(env: Env, kind: CommandKind, args: dict[str, Any]) -> str:
    await commands.enqueue(env.rt.store, kind, args)
    [line] = await process_pending(env.rt.engine)
    return line


@pytest.mark.parametrize(
    ("kind", "args", "says"),
    [
        ("retry", {}, "needs a RefInternal"),
        ("retry", {"ref": 5}, "no learner or job known as 5"),
        ("cancel_resync", {"id": "abc"}, "resync id must be a number"),
        ("cancel_resync", {}, "resync id must be a number"),
        ("acknowledge", {"ids": "12"}, "ids must be a list of alert numbers"),
        ("acknowledge", {"ids": [1, "x"]}, "ids must be a list of alert numbers"),
        ("acknowledge", {"ids": 5}, "ids must be a list of alert numbers"),
        ("fetch_online_url", {}, "needs an invoice number or InvoiceID"),
        ("fetch_online_url", {"invoice_id": "not-a-guid"}, "no synced invoice numbered not-a-guid"),
        (
            "fetch_online_url",
            {"invoice_id": "0b0e5f52-2a7e-4a8c-9c53-6c2e3b0a1f00"},
            "no synced invoice 0b0e5f52-2a7e-4a8c-9c53-6c2e3b0a1f00",
        ),
        ("poke_learner", {}, "needs a learner id"),
        ("resync", {"from": "2026-01-01", "to": "2026-02-01", "types": 5}, "types must be"),
        ("resync", {"from": "2026-01-01", "to": "2026-02-01", "types": [1]}, "types must be"),
        ("resync", {"from": "2026-13-01", "to": "2026-02-01"}, "from must be a date"),
        ("pause", {"tenant_id": "no-such-tenant"}, "no connected Xero organisation no-such-tenant"),
    ],
)
async def test_bad_arguments_fail_with_one_clear_line_and_no_call(
    env: Env, kind: CommandKind, args: dict[str, Any], says: str
) -> None:
    before = env.sim.calls()
    line = await run(env, kind, args)
    assert line.startswith(f"#1 {kind}: failed: ") and says in line
    assert "\n" not in line
    [cmd] = await commands.recent(env.rt.store, 1)
    assert cmd.state == "failed" and cmd.result is not None and says in cmd.result
    assert env.sim.calls() == before


async def test_acknowledge_takes_exactly_the_ids_given(env: Env) -> None:
    for ref in ("A", "B", "C"):
        await alerts.raise_alert(env.rt.store, "learner_invalid", "x", record=ref)
    open_ids = sorted(a.id for a in await alerts.open_alerts(env.rt.store))
    line = await run(env, "acknowledge", {"ids": [open_ids[0], str(open_ids[2])]})
    assert line.endswith("2 alert(s) acknowledged")
    assert [a.id for a in await alerts.open_alerts(env.rt.store)] == [open_ids[1]]


async def test_pause_of_a_known_tenant_and_every_tenant(env: Env) -> None:
    assert (await run(env, "pause", {"tenant_id": env.tenant_id})).endswith(
        f"paused {env.tenant_id}"
    )
    assert await runtime.is_paused(env.rt.store, env.tenant_id)
    await commands.enqueue(env.rt.store, "resume", {"tenant_id": ""})
    [line] = await process_pending(env.rt.engine)
    assert line.endswith("resumed all tenants")


async def test_online_link_for_a_synced_invoice_finds_its_tenant(env: Env) -> None:
    env.source.put(learner("R1"))
    await env.rt.engine.run_cycle()
    [contact] = env.sim.contacts(env.tenant_id)
    invoice = env.sim.add_invoice(env.tenant_id, contact["ContactID"], Total=10)
    env.clock.advance(60)
    await env.rt.engine.pull(env.tenant)
    line = await run(env, "fetch_online_url", {"invoice_id": invoice["InvoiceID"]})
    assert "https://in.xero.com/" in line


@pytest.mark.parametrize(
    ("kind", "args", "says"),
    [
        ("explode", {}, "unknown command explode: the commands are retry, retry_all"),
        ("retry", {}, "needs a RefInternal"),
        ("cancel_resync", {"id": "99999999999999999999999"}, "resync id is out of range"),
        ("resync", {"from": "2026-02-01", "to": "2026-01-01"}, "end of the range must be after"),
        ("acknowledge", {"ids": [1, "x"]}, "ids must be a list of alert numbers"),
        ("poke_learner", {"source_id": "  "}, "needs a learner id"),
    ],
)
async def test_the_registry_refuses_a_bad_command_before_it_reaches_the_store(
    env: Env, kind: str, args: dict[str, Any], says: str
) -> None:
    with pytest.raises(CommandError, match=says):
        await registry.enqueue(env.rt.store, kind, args, requested_by="tui")
    assert await commands.recent(env.rt.store) == []


async def test_every_kind_has_one_registry_entry_that_parses_its_arguments(env: Env) -> None:
    good: dict[str, dict[str, Any]] = {
        "retry": {"ref": "R1"},
        "retry_all": {},
        "resync": {"from": "2026-01-01", "to": "2026-02-01", "types": ["invoices"]},
        "cancel_resync": {"id": 1},
        "pause_resync": {"id": 1},
        "resume_resync": {"id": "1"},
        "sync_now": {},
        "pause": {"tenant_id": ""},
        "resume": {},
        "acknowledge": {"ids": None},
        "fetch_online_url": {"invoice_id": "INV-1"},
        "poke_learner": {"source_id": "src-R1"},
    }
    assert set(good) == set(registry.COMMANDS)
    for kind, args in good.items():
        await registry.enqueue(env.rt.store, kind, args)
    assert [c.kind for c in reversed(await commands.recent(env.rt.store))] == list(good)
