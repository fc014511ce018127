"""The simulator served by uvicorn in a thread, spoken to over a real socket."""

from __future__ import annotations

import httpx
import pytest

from xerowatch.sim.server import serve_in_thread
from xerowatch.sim.xero import SimUrls, XeroSim


def test_real_http_round_trip_and_shutdown(xero_sim: XeroSim, xero_tenant: str) -> None:
    token = xero_sim.grant_authorization([xero_tenant])["access_token"]
    xero_sim.add_contact(xero_tenant, Name="Over The Wire")
    headers = {
        "Authorization": f"Bearer {token}",
        "xero-tenant-id": xero_tenant,
        "Accept": "application/json",
    }

    with serve_in_thread(xero_sim.app) as server:
        urls = SimUrls.at(server.url)
        assert server.port > 0 and server.url.endswith(f":{server.port}")
        with httpx.Client(headers=headers, timeout=5) as client:
            contacts = client.get(f"{urls.api_url}/Contacts")
            tenants = client.get(urls.connections_url)
            xero_sim.faults.add("drop", "GET /Invoices")
            with pytest.raises(httpx.TransportError):
                client.get(f"{urls.api_url}/Invoices")
            after_drop = client.get(f"{urls.api_url}/Contacts")

    assert contacts.json()["Contacts"][0]["Name"] == "Over The Wire"
    assert tenants.json()[0]["tenantId"] == xero_tenant
    assert after_drop.status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/connections", timeout=2)
