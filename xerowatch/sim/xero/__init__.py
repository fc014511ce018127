"""A loopback Xero for tests, benchmarks and the demo (never imported by production code)."""

from xerowatch.sim.xero.config import XeroSimConfig
from xerowatch.sim.xero.faults import Fault, FaultKind, FaultPlan, SimulatedDisconnect
from xerowatch.sim.xero.identity import DEFAULT_SCOPE, s256
from xerowatch.sim.xero.seed import SeedSummary, seed_demo
from xerowatch.sim.xero.simulator import LoggedRequest, SimUrls, XeroSim
from xerowatch.sim.xero.where import WhereError, parse_where, quote

__all__ = [
    "DEFAULT_SCOPE",
    "Fault",
    "FaultKind",
    "FaultPlan",
    "LoggedRequest",
    "SeedSummary",
    "SimUrls",
    "SimulatedDisconnect",
    "WhereError",
    "XeroSim",
    "XeroSimConfig",
    "parse_where",
    "quote",
    "s256",
    "seed_demo",
]
