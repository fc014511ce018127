"""The ConnectWise demo world: the Xero and ConnectWise simulators on loopback, seeded.

Used by `xerowatch demo --source connectwise`: ConnectWise customers and unposted invoices flow
into an empty Xero organisation, each invoice posted in ConnectWise once Xero has it; unposted
expenses become weekly bills to their members (Personal ones are held with an alert naming
`expense_account_codes.Personal`, which the demo leaves unset to show a held record); purchase
orders (with a bill per packing slip), inventory adjustments and warehouse transfers follow.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from xerowatch.sim.connectwise import SIM_CLIENT_ID, ConnectWiseSim
from xerowatch.sim.demo import DemoWorld, sim_config_text
from xerowatch.sim.server import serve_in_thread
from xerowatch.sim.xero import XeroSim, XeroSimConfig
from xerowatch.sim.xero.document_routes import add_tracking_category

ORGANISATION = "Demo MSP Pty Ltd"


PROCUREMENT_CONFIG = """purchase_account_code = "300"
purchase_bills_per_packing_slip = true
warehouse_inventory_accounts = { Sydney = "630", Melbourne = "631" }
inventory_adjustment_account = "455"
class_tracking = { Hardware = "Division:Hardware", Networking = "Division:Network" }
"""
"""The procurement streams' keys (the demo seeds the tracking category they name)."""


def connectwise_config_text(
    store: Path,
    xero_url: str,
    connectwise_url: str,
    *,
    http_port: int | None,
    procurement: bool = False,
) -> str:
    """A xerowatch.toml for the Xero and ConnectWise simulators at these URLs (with
    `procurement`, the purchase-order, adjustment and transfer streams on too)."""
    base = sim_config_text(store, xero_url, "http://unused.invalid", http_port=http_port)
    head, _, tail = base.partition("[source]")
    sync = tail[tail.index("[sync]") :]
    return f"""{head}[source]
kind = "connectwise"

[connectwise]
site_url = "{connectwise_url}"
codebase = "v4_6_release"
company_id = "xerowatch"
public_key = "sim-public"
private_key = "sim-private"
client_id = "{SIM_CLIENT_ID}"
tax_types = {{ GST = "OUTPUT" }}
tax_rates = {{ OUTPUT = 10 }}
rounding_account_code = "860"
expense_account_codes = {{ Reimbursable = "493", NonReimbursable = "429" }}
expense_grouping = "weekly"
{PROCUREMENT_CONFIG if procurement else ""}
{sync}"""


@contextmanager
def connectwise_demo_world(
    world_dir: Path,
    *,
    customers: int = 50,
    invoices: int = 300,
    expenses: int = 60,
    purchases: int = 30,
    adjustments: int = 10,
    transfers: int = 10,
    http_port: int = 8787,
) -> Iterator[DemoWorld]:
    """Start and seed both simulators until the block exits (the procurement streams are on
    when any purchase order, adjustment or transfer is seeded)."""
    world_dir.mkdir(parents=True, exist_ok=True)
    xero = XeroSim(XeroSimConfig(seed=1))
    tenant_id = xero.add_tenant(ORGANISATION)
    connectwise = ConnectWiseSim()
    add_tracking_category(xero, tenant_id, "Division", ["Hardware", "Network"])
    connectwise.seed(
        customers=customers,
        invoices=invoices,
        lines=4,
        expenses=expenses,
        purchases=purchases,
        adjustments=adjustments,
        transfers=transfers,
    )
    with ExitStack() as stack:
        xs = stack.enter_context(serve_in_thread(xero.app))
        cs = stack.enter_context(serve_in_thread(connectwise.app))
        config = world_dir / "xerowatch.toml"
        text = connectwise_config_text(
            world_dir / "xerowatch.db",
            xs.url,
            cs.url,
            http_port=http_port,
            procurement=bool(purchases or adjustments or transfers),
        )
        config.write_text(text, encoding="utf-8")
        yield DemoWorld(
            xero,
            None,
            tenant_id,
            config,
            xs.url,
            f"{cs.url}/v4_6_release/apis/3.0",
            connectwise=connectwise,
            organisation=ORGANISATION,
        )
