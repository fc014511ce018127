"""Fault injection and Idempotency-Key replay: the lost answer, the dropped socket, the retry."""

from __future__ import annotations

import base64

import httpx
import pytest

from xerowatch.sim.xero import SimulatedDisconnect

API = "/api.xro/2.0"
NEW = {"Contacts": [{"Name": "Ann Lee", "ContactNumber": "WN-1"}]}


async def test_status_fault_answers_once_with_retry_after(xero_sim, xero_http):
    xero_sim.faults.add("status", "GET /Contacts", times=1, status=503, retry_after=30)
    failed = await xero_http.get(f"{API}/Contacts")
    passed = await xero_http.get(f"{API}/Contacts")
    assert (failed.status_code, failed.headers["Retry-After"]) == (503, "30")
    assert failed.headers["X-MinLimit-Remaining"] == "59", "a faulted call still counts"
    assert passed.status_code == 200
    assert xero_sim.faults.pending() == []


@pytest.mark.parametrize("status", [500, 502, 504])
async def test_other_server_errors(xero_sim, xero_http, status):
    xero_sim.faults.add("status", "*", status=status)
    assert (await xero_http.get(f"{API}/Invoices")).status_code == status


async def test_fault_matching_by_method_path_pattern_and_skip(xero_sim, xero_tenant, xero_http):
    contact = xero_sim.add_contact(xero_tenant, Name="Ann")
    xero_sim.faults.add("status", "GET /Contacts/*", times=None, skip=1, status=500)
    assert (await xero_http.get(f"{API}/Contacts")).status_code == 200
    codes = [
        (await xero_http.get(f"{API}/Contacts/{contact['ContactID']}")).status_code
        for _ in range(3)
    ]
    assert codes == [200, 500, 500]
    with pytest.raises(ValueError, match="unknown fault kind"):
        xero_sim.faults.add("explode")


async def test_dropped_connection_raises_and_writes_nothing(xero_sim, xero_tenant, xero_http):
    xero_sim.faults.add("drop", "PUT /Contacts")
    # the same class httpx raises when a real server hangs up
    with pytest.raises(httpx.RemoteProtocolError):
        await xero_http.put(f"{API}/Contacts", json=NEW)
    assert xero_sim.contacts(xero_tenant) == []
    assert xero_sim.calls("PUT", "/Contacts") == 1
    assert xero_sim.requests[-1].status is None


async def test_slow_answer_sleeps_on_the_clock(xero_sim, xero_clock, xero_http):
    xero_sim.faults.add("slow", "GET /Contacts", delay=25)
    before = xero_clock.monotonic()
    response = await xero_http.get(f"{API}/Contacts")
    assert response.status_code == 200
    assert xero_clock.monotonic() - before == pytest.approx(25)


async def test_lost_answer_then_idempotent_retry_writes_once(xero_sim, xero_tenant, xero_http):
    xero_sim.faults.add("apply_then_503", "PUT /Contacts")
    key = {"Idempotency-Key": "sync-job-17"}
    lost = await xero_http.put(
        f"{API}/Contacts", json=NEW, headers=key, params={"summarizeErrors": "false"}
    )
    retry = await xero_http.put(
        f"{API}/Contacts", json=NEW, headers=key, params={"summarizeErrors": "false"}
    )

    assert lost.status_code == 503
    assert retry.status_code == 200
    stored = xero_sim.contacts(xero_tenant)
    assert len(stored) == 1
    assert retry.json()["Contacts"][0]["ContactID"] == stored[0]["ContactID"]
    assert [r.idempotency_key for r in xero_sim.requests] == ["sync-job-17"] * 2


async def test_lost_answer_without_a_key_makes_the_retry_collide(xero_sim, xero_tenant, xero_http):
    xero_sim.faults.add("apply_then_drop", "PUT /Contacts")
    with pytest.raises(SimulatedDisconnect):
        await xero_http.put(f"{API}/Contacts", json=NEW, params={"summarizeErrors": "false"})
    retry = await xero_http.put(f"{API}/Contacts", json=NEW, params={"summarizeErrors": "false"})
    assert retry.json()["Contacts"][0]["StatusAttributeString"] == "ERROR"
    assert len(xero_sim.contacts(xero_tenant)) == 1


async def test_key_reused_for_a_different_request_is_400(xero_http):
    key = {"Idempotency-Key": "k1"}
    first = await xero_http.put(f"{API}/Contacts", json=NEW, headers=key)
    other = await xero_http.put(
        f"{API}/Contacts", json={"Contacts": [{"Name": "Bob"}]}, headers=key
    )
    too_long = await xero_http.put(
        f"{API}/Contacts", json=NEW, headers={"Idempotency-Key": "k" * 129}
    )
    assert first.status_code == 200
    assert other.status_code == 400
    assert "different request" in other.json()["Message"]
    assert too_long.status_code == 400


async def test_cached_errors_replay_and_keys_expire(xero_sim, xero_clock, xero_tenant, xero_http):
    existing = xero_sim.add_contact(xero_tenant, Name="Ann Lee")
    key = {"Idempotency-Key": "k2"}
    refused = await xero_http.put(f"{API}/Contacts", json=NEW, headers=key)
    xero_sim.archive_contact(xero_tenant, existing["ContactID"])
    replayed = await xero_http.put(f"{API}/Contacts", json=NEW, headers=key)
    xero_clock.advance(360)
    fresh = await xero_http.put(f"{API}/Contacts", json=NEW, headers=key)

    assert (refused.status_code, replayed.status_code) == (400, 400)
    assert replayed.json() == refused.json()
    assert fresh.status_code == 200


async def test_lost_refresh_answer_is_recovered_within_the_grace(xero_sim, xero_token):
    xero_sim.faults.add("apply_then_503", "POST /connect/token")
    basic = base64.b64encode(b"sim-client:sim-secret").decode()
    form = {"grant_type": "refresh_token", "refresh_token": xero_token["refresh_token"]}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=xero_sim.app),
        base_url="http://sim",
        headers={"Authorization": f"Basic {basic}"},
    ) as client:
        lost = await client.post("/connect/token", data=form)
        retried = await client.post("/connect/token", data=form)
    assert lost.status_code == 503
    assert retried.status_code == 200
    assert retried.json()["refresh_token"] != xero_token["refresh_token"]
