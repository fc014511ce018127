"""What the operator reads and types: ids they can see, non-zero when not found, money as money."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.cli.proc import running_daemon
from tests.cli.sim_world import SimWorld, sim_world

__all__ = ["sim_world"]


@pytest.fixture
def synced(sim_world: SimWorld) -> tuple[SimWorld, dict[str, Any], dict[str, Any]]:
    """A connected world whose first learner has an invoice of 990 written back."""
    sim_world.connect()
    assert sim_world.run("sync", "--once").returncode == 0
    contact = sorted(
        sim_world.xero.contacts(sim_world.tenant_id), key=lambda c: c["ContactNumber"]
    )[0]
    invoice = sim_world.xero.add_invoice(
        sim_world.tenant_id, contact["ContactID"], Total=990, Date="2026-01-15"
    )
    done = sim_world.run("sync", "--once")
    assert done.returncode == 0, done.stderr
    return sim_world, contact, invoice


def test_history_shows_the_correlation_id_of_every_xero_attempt(
    synced: tuple[SimWorld, dict[str, Any], dict[str, Any]],
) -> None:
    world, contact, _ = synced
    rows = world.json("history", contact["ContactNumber"])
    to_xero = [r for r in rows if r["direction"] == "to_xero"]
    assert to_xero and all(r["correlation_id"] for r in to_xero)
    text = world.run("history", contact["ContactNumber"]).stdout
    assert "CORRELATION ID" in text and to_xero[0]["correlation_id"] in text


def test_history_of_an_unknown_ref_exits_1_with_a_hint(sim_world: SimWorld) -> None:
    sim_world.connect()
    done = sim_world.run("history", "NOPE123")
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert line.startswith("error: no history for NOPE123: give a learner's RefInternal")


def test_an_invoice_is_found_by_its_number_as_well_as_its_id(
    synced: tuple[SimWorld, dict[str, Any], dict[str, Any]],
) -> None:
    world, _, invoice = synced
    number, invoice_id = invoice["InvoiceNumber"], invoice["InvoiceID"]
    by_number = world.run("online-link", number)
    assert by_number.returncode == 0, by_number.stderr
    assert by_number.stdout.startswith("https://")
    assert world.run("online-link", invoice_id).stdout == by_number.stdout
    history = world.run("history", number)
    assert history.returncode == 0 and f"invoice:{invoice_id}" in history.stdout
    fetched = [r for r in world.json("history", number) if r["action"] == "online_url"]
    assert fetched and all(r["correlation_id"] for r in fetched)
    unknown = world.run("online-link", "INV-9999")
    assert unknown.returncode == 1
    assert unknown.stderr.startswith("error: no synced invoice numbered INV-9999")


def test_the_report_shows_number_and_id_and_money_as_money(
    synced: tuple[SimWorld, dict[str, Any], dict[str, Any]],
) -> None:
    world, contact, invoice = synced
    args = ("report", "invoices", "--from", "2026-01-01", "--to", "2026-02-01")
    [row] = json.loads(world.run(*args, "--format", "json").stdout)
    assert (row["number"], row["xero_id"]) == (invoice["InvoiceNumber"], invoice["InvoiceID"])
    assert row["total"] == "990.00" and row["ref_internal"] == contact["ContactNumber"]
    table = world.run(*args).stdout
    assert "990.00" in table and "990.0 " not in table
    assert "990.00" in world.run(*args, "--format", "csv").stdout


def test_an_unknown_alert_type_is_refused_with_the_valid_ones(sim_world: SimWorld) -> None:
    sim_world.connect()
    done = sim_world.run("alerts", "--type", "learner_invalidd")
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert "unknown alert type 'learner_invalidd'" in line and "learner_invalid," in line
    assert sim_world.run("alerts", "--type", "learner_invalid").returncode == 0


@pytest.mark.parametrize(
    "command",
    [
        ("resync", "--types", "invoices"),
        ("report", "invoices"),
    ],
)
def test_a_reversed_date_range_is_refused_the_same_way_everywhere(
    sim_world: SimWorld, command: tuple[str, ...]
) -> None:
    sim_world.connect()
    done = sim_world.run(*command, "--from", "2026-02-01", "--to", "2026-01-01")
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith("error: --to 2026-01-01 is not after --from 2026-02-01")


def test_repeated_types_accumulate(sim_world: SimWorld) -> None:
    sim_world.connect()
    args = ("resync", "--from", "2026-01-01", "--to", "2026-02-01")
    done = sim_world.run(*args, "--types", "invoices", "--types", "payments,credit_notes")
    assert done.returncode == 0, done.stderr
    assert "(invoices, payments, credit_notes)" in done.stdout
    bad = sim_world.run(*args, "--types", "invoices", "--types", "bills")
    assert bad.returncode == 2 and "unknown resync type(s) bills" in bad.stderr


def test_a_failed_command_is_one_error_line_and_exit_1(sim_world: SimWorld) -> None:
    sim_world.connect()
    done = sim_world.run("retry", "NOPE123")
    assert done.returncode == 1
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith("error: no learner or job known as NOPE123: give a learner's")
    ack = sim_world.run("ack", "999")
    assert ack.returncode == 1
    assert ack.stderr.startswith("error: no open alert 999: see `xerowatch alerts`")
    tenant = sim_world.run("pause", "--tenant", "no-such-tenant")
    assert tenant.returncode == 1
    assert tenant.stderr.startswith("error: no connected Xero organisation no-such-tenant")


def test_a_command_the_daemon_carries_out_fails_with_the_same_line(sim_world: SimWorld) -> None:
    sim_world.connect()
    inline = sim_world.run("retry", "NOPE123")
    with running_daemon(sim_world.config):
        by_daemon = sim_world.run("retry", "NOPE123")
    assert by_daemon.returncode == inline.returncode == 1
    assert by_daemon.stderr == inline.stderr


def test_alerts_speak_of_wisenet_and_name_records_by_learner_ref(sim_world: SimWorld) -> None:
    sim_world.connect()
    sim_world.wisenet.seed_awkward()
    assert sim_world.run("sync", "--once").returncode == 4
    contact = sorted(
        sim_world.xero.contacts(sim_world.tenant_id), key=lambda c: c["ContactNumber"]
    )[0]
    invoice = sim_world.xero.add_invoice(sim_world.tenant_id, contact["ContactID"], Total=5)
    sim_world.wisenet.fail_next(f"/invoices/{invoice['InvoiceID']}", 400)
    assert sim_world.run("sync", "--once").returncode == 4
    found = sim_world.json("alerts")
    assert found
    for alert in found:
        text = alert["message"] + " " + alert["fix"]
        assert "source system" not in text and "source export" not in text, alert
    [failed] = [a for a in found if a["type"] == "writeback_failed"]
    assert failed["record"] == f"{contact['ContactNumber']} invoice {invoice['InvoiceNumber']}"
    assert "Wisenet" in failed["fix"] and f"retry {invoice['InvoiceNumber']}" in failed["fix"]
    assert any("in Wisenet" in a["fix"] for a in found if a["type"] == "learner_invalid")
    table = sim_world.run("alerts").stdout
    assert all(a["fix"] in table for a in found)  # the fix column is never cut off
    retried = sim_world.run("retry", invoice["InvoiceNumber"])
    assert retried.returncode == 0, retried.stderr
    assert "1 job(s)" in retried.stdout
