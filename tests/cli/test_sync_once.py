"""`xerowatch sync --once` says whether the cycle did its job: exit codes, one line, JSON always."""

from __future__ import annotations

import json

import anyio

from tests.cli.sim_world import SimWorld, sim_world
from xerowatch.clock import SystemClock
from xerowatch.daemon.lease import DaemonLease
from xerowatch.store.db import open_store

__all__ = ["sim_world"]


def test_nothing_connected_exits_1_with_what_to_run(sim_world: SimWorld) -> None:
    done = sim_world.run("sync", "--once")
    assert done.returncode == 1, done.stderr
    assert "error: no Xero organisation is connected — run `xerowatch connect`" in done.stderr
    as_json = sim_world.run("sync", "--once", "--json")
    assert as_json.returncode == 1
    data = json.loads(as_json.stdout)
    assert data["exit_code"] == 1
    assert any("xerowatch connect" in f for f in data["failures"])


def test_a_clean_cycle_exits_0_and_new_alerts_exit_4(sim_world: SimWorld) -> None:
    sim_world.connect()
    first = sim_world.run("sync", "--once", "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["exit_code"] == 0
    sim_world.wisenet.seed_awkward()  # learners that cannot become contacts: new alerts
    second = sim_world.run("sync", "--once")
    assert second.returncode == 4, second.stderr
    assert "new)" in second.stdout
    third = sim_world.run("sync", "--once")  # nothing new: the old alerts stay open, exit 0
    assert third.returncode == 0, third.stderr


def test_xero_unreachable_names_the_url_and_the_key_and_counts_no_call(
    sim_world: SimWorld,
) -> None:
    sim_world.connect()
    sim_world.edit("[xero]\n", "[xero]\nmax_retries = 0\n")
    sim_world.edit(sim_world.xero_url, "http://127.0.0.1:9")  # nothing listens on port 9
    done = sim_world.run("sync", "--once", "--json")
    assert done.returncode == 1, done.stderr
    data = json.loads(done.stdout)
    assert data["total_calls"] == 0
    assert data["unreached_calls"] >= 1
    [line] = [x for x in done.stderr.splitlines() if x.startswith("error: ")]
    assert "http://127.0.0.1:9" in line and "[xero] " in line
    alerts = sim_world.json("alerts")
    assert alerts and any("[xero] " in a["fix"] for a in alerts)
    assert not any("status page" in a["fix"] for a in alerts)


def test_wisenet_refusing_the_key_exits_1_naming_the_setting(sim_world: SimWorld) -> None:
    sim_world.connect()
    sim_world.edit('api_key = "sim-api-key"', 'api_key = "wrong"')
    done = sim_world.run("sync", "--once")
    assert done.returncode == 1, done.stderr
    [line] = [x for x in done.stderr.splitlines() if x.startswith("error: ")]
    assert "Wisenet" in line and "[wisenet] api_key" in line


def test_sync_without_once_is_a_usage_error_in_json_too(sim_world: SimWorld) -> None:
    done = sim_world.run("sync", "--json")
    assert done.returncode == 2
    assert "sync --once" in json.loads(done.stdout)["error"]
    assert done.stderr.startswith("error: use `xerowatch sync --once`")


def test_a_config_error_is_json_too(sim_world: SimWorld) -> None:
    sim_world.edit("[sync]\n", '[sync]\nbatch_size = "many"\n')
    done = sim_world.run("sync", "--once", "--json")
    assert done.returncode == 2
    assert json.loads(done.stdout) == {"exit_code": 2, "error": json.loads(done.stdout)["error"]}
    assert "sync.batch_size" in json.loads(done.stdout)["error"]


def test_refused_while_a_daemon_holds_the_store_unless_forced(sim_world: SimWorld) -> None:
    sim_world.connect()
    db = sim_world.config.parent / "xerowatch.db"

    async def hold() -> None:
        store = await open_store(db)
        await DaemonLease(store, SystemClock(), pid=4242, host="other-box").acquire()
        await store.close()

    anyio.run(hold)
    refused = sim_world.run("sync", "--once", "--json")
    assert refused.returncode == 3, refused.stderr
    assert "pid 4242 on host other-box" in json.loads(refused.stdout)["error"]
    assert sim_world.xero.contacts(sim_world.tenant_id) == []  # nothing was written
    forced = sim_world.run("sync", "--once", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "daemon is running on this store" in forced.stderr
    assert len(sim_world.xero.contacts(sim_world.tenant_id)) > 0


def test_a_learners_resync_with_nothing_changed_writes_nothing_anywhere(
    sim_world: SimWorld,
) -> None:
    sim_world.connect()
    assert sim_world.run("sync", "--once").returncode == 0
    contact_writes = sim_world.xero.calls("POST", "*/Contacts")
    wisenet_writes = len([r for r in sim_world.wisenet.requests if r.method != "GET"])
    queued = sim_world.run(
        "resync", "--from", "2000-01-01", "--to", "2100-01-01", "--types", "learners"
    )
    assert queued.returncode == 0, queued.stderr
    done = sim_world.run("sync", "--once")
    assert done.returncode == 0, done.stderr
    assert "0 to write, 10 unchanged" in done.stdout  # 2 of the 12 are not synced
    assert sim_world.run("sync", "--once").returncode == 0
    assert sim_world.xero.calls("POST", "*/Contacts") == contact_writes
    assert len([r for r in sim_world.wisenet.requests if r.method != "GET"]) == wisenet_writes
