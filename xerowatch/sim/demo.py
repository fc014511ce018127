"""The demo world: both simulators on loopback, seeded, with a Xero that keeps invoicing.

Used by `xerowatch demo` (and so `make demo`): everything runs on 127.0.0.1 with no accounts.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import random
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from xerowatch.sim.server import serve_in_thread
from xerowatch.sim.wisenet import WisenetSim
from xerowatch.sim.xero import SimUrls, XeroSim, XeroSimConfig

if TYPE_CHECKING:
    from xerowatch.sim.connectwise import ConnectWiseSim

WEBHOOK_KEY = "demo-webhook-key"


@dataclass
class DemoWorld:
    """Running simulators and the config file that points xerowatch at them."""

    xero: XeroSim
    wisenet: WisenetSim | None
    tenant_id: str
    config: Path
    xero_url: str
    source_url: str
    connectwise: ConnectWiseSim | None = None
    organisation: str = "Demo RTO Pty Ltd"


def _seed(xero: XeroSim, wisenet: WisenetSim, tenant_id: str, learners: int) -> None:
    wisenet.seed_awkward()
    wisenet.seed_learners(learners)
    # The pre-integration duplicate: the learner already exists in Xero by name, no Contact Code.
    felicity = wisenet.data.add_learner(
        first_name="Olivia", last_name="Brennan", email="olivia.brennan@example.com"
    )
    xero.add_contact(tenant_id, Name=f"Olivia Brennan DAU{felicity:07d}")
    # A walk-in customer whose invoices are counted but never synced to a learner.
    walk_in = xero.add_contact(tenant_id, Name="Walk-in customer")
    xero.add_invoice(tenant_id, walk_in["ContactID"], Total=35)


def _notify(webhook_url: str, tenant_id: str, invoice_id: str) -> None:
    """Tell xerowatch about the change the way Xero does: a signed, thin INVOICE event."""
    event = {
        "resourceUrl": f"https://api.xero.com/api.xro/2.0/Invoices/{invoice_id}",
        "resourceId": invoice_id,
        "eventDateUtc": datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds"),
        "eventType": "UPDATE",
        "eventCategory": "INVOICE",
        "tenantId": tenant_id,
        "tenantType": "ORGANISATION",
    }
    body = json.dumps(
        {"events": [event], "firstEventSequence": 1, "lastEventSequence": 1, "entropy": "DEMO"}
    ).encode()
    digest = hmac.new(WEBHOOK_KEY.encode(), body, hashlib.sha256).digest()
    # the daemon may not be listening yet: its routine pull catches up anyway
    with contextlib.suppress(httpx.HTTPError):
        httpx.post(
            webhook_url,
            content=body,
            headers={"x-xero-signature": base64.b64encode(digest).decode()},
            timeout=5,
        )


def _keep_invoicing(
    xero: XeroSim, tenant_id: str, stop: threading.Event, every: float, webhook_url: str
) -> None:
    """A bookkeeper at work: invoices, payments and the odd void for synced learners."""
    rng = random.Random(11)
    while not stop.wait(every):
        ours = [
            c
            for c in xero.contacts(tenant_id)
            if c.get("ContactNumber") and c.get("ContactStatus") == "ACTIVE"
        ]
        if not ours:
            continue
        contact = rng.choice(ours)
        invoice = xero.add_invoice(
            tenant_id, contact["ContactID"], Total=rng.choice([120, 450, 990])
        )
        roll = rng.random()
        if roll < 0.4:
            xero.add_payment(tenant_id, invoice["InvoiceID"], invoice["Total"])
        elif roll < 0.5:
            xero.update(tenant_id, "Invoices", invoice["InvoiceID"], Status="VOIDED")
        _notify(webhook_url, tenant_id, invoice["InvoiceID"])


def sim_config_text(
    store: Path, xero_url: str, wisenet_url: str, *, http_port: int | None, poll_seconds: float = 5
) -> str:
    """A xerowatch.toml for the simulators at these URLs (HTTP server on when a port is given)."""
    urls = SimUrls.at(xero_url)
    daemon = (
        f"""
[daemon]
http_enabled = true
http_port = {http_port}
xero_webhook_key = "{WEBHOOK_KEY}"
"""
        if http_port is not None
        else ""
    )
    return f"""# xerowatch against the loopback simulators.
[store]
path = "{store}"

[xero]
auth_mode = "custom_connection"
client_id = "sim-client"
client_secret = "sim-secret"
api_url = "{urls.api_url}"
identity_url = "{urls.identity_url}"
connections_url = "{urls.connections_url}"
authorize_url = "{urls.authorize_url}"

[source]
kind = "wisenet"

[wisenet]
base_url = "{wisenet_url}/v1"
api_key = "sim-api-key"

[sync]
poll_seconds = {poll_seconds}
{daemon}"""


@contextmanager
def demo_world(
    world_dir: Path, *, learners: int = 150, invoice_every: float = 4.0, http_port: int = 8787
) -> Iterator[DemoWorld]:
    """Start, seed and keep both simulators running until the block exits."""
    world_dir.mkdir(parents=True, exist_ok=True)
    xero = XeroSim(XeroSimConfig(seed=1))
    tenant_id = xero.add_tenant("Demo RTO Pty Ltd")
    wisenet = WisenetSim()
    _seed(xero, wisenet, tenant_id, learners)
    stop = threading.Event()
    with ExitStack() as stack:
        xs = stack.enter_context(serve_in_thread(xero.app))
        ws = stack.enter_context(serve_in_thread(wisenet.app))
        config = world_dir / "xerowatch.toml"
        text = sim_config_text(world_dir / "xerowatch.db", xs.url, ws.url, http_port=http_port)
        config.write_text(text, encoding="utf-8")
        worker = threading.Thread(
            target=_keep_invoicing,
            args=(
                xero,
                tenant_id,
                stop,
                invoice_every,
                f"http://127.0.0.1:{http_port}/webhooks/xero",
            ),
            daemon=True,
        )
        worker.start()
        try:
            yield DemoWorld(xero, wisenet, tenant_id, config, xs.url, ws.url)
        finally:
            stop.set()
            worker.join(timeout=5)
