"""`xerowatch sync --once` through the real entry point with two Xero organisations, each mapped
to its ConnectWise billing locations, and a third left out of the mapping."""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

import anyio

from tests.cli.proc import xerowatch
from xerowatch.config import load_settings
from xerowatch.oauth.token_client import TokenResponse
from xerowatch.sim.connectwise import ConnectWiseSim
from xerowatch.sim.demo_connectwise import connectwise_config_text
from xerowatch.sim.server import serve_in_thread
from xerowatch.sim.xero import XeroSim, XeroSimConfig
from xerowatch.store.tenants import upsert_tenants
from xerowatch.wiring import open_runtime
from xerowatch.xero.connections import XeroConnectionsClient


def test_sync_once_sends_each_location_to_its_organisation_and_none_to_an_unmapped_one(
    tmp_path: Path,
) -> None:
    xero = XeroSim(XeroSimConfig(seed=3))
    north, south, old = (xero.add_tenant(n) for n in ("MSP North", "MSP South", "Old Books"))
    cw = ConnectWiseSim()
    cw.seed(customers=20, invoices=90, lines=3, expenses=0, purchases=0, locations=(1, 2))
    with serve_in_thread(xero.app) as xs, serve_in_thread(cw.app) as cs:
        config = tmp_path / "xerowatch.toml"
        text = connectwise_config_text(tmp_path / "x.db", xs.url, cs.url, http_port=None)
        mapping = f'locations = {{ "{north}" = [1], "{south}" = [2] }}\n'
        config.write_text(text.replace("[connectwise]\n", f"[connectwise]\n{mapping}"), "utf-8")

        async def connect() -> None:  # what `xerowatch connect` stores after one consent
            async with open_runtime(load_settings(config)) as rt:
                tokens = TokenResponse.model_validate(xero.grant_authorization([north, south, old]))
                connection_id = await rt.tokens.store_authorization(tokens)
                client = XeroConnectionsClient(
                    http=rt.http, settings=rt.settings.xero, tokens=rt.tokens
                )
                found = await client.list_connections(connection_id)
                await upsert_tenants(rt.store, connection_id, [c.to_tenant_info() for c in found])

        anyio.run(connect)
        done = xerowatch("sync", "--once", "--json", config=config, timeout=120)
        assert "Traceback" not in done.stderr
        assert done.returncode == 4, done.stdout + done.stderr  # the unmapped alert is new
        result = json.loads(done.stdout)
        assert result["exit_code"] == 4

        for tid, location in ((north, 1), (south, 2)):
            ours = [i for i in cw.records.invoices.values() if i.location_id == location]
            in_xero = xero.records(tid, "Invoices")
            assert Counter(i["InvoiceNumber"] for i in in_xero) == Counter(
                {i.number: 1 for i in ours}
            )
            assert sum(Decimal(str(i["Total"])) for i in in_xero) == sum(i.total for i in ours)
        assert [r for r in xero.requests if r.tenant_id == old] == []
        assert cw.accounting.posted_ids() == set(cw.records.invoices)

        alerts = xerowatch("alerts", "--json", config=config)
        listed = json.loads(alerts.stdout)
        unmapped = [a for a in listed if a["type"] == "cw_organisation_unmapped"]
        assert len(unmapped) == 1 and old in unmapped[0]["message"], listed
