"""A loopback simulator of the Wisenet LRM API v1 (learners, combos, audit log, invoices)."""

from xerowatch.sim.wisenet.app import SimRequest, WisenetSim
from xerowatch.sim.wisenet.data import SimData, address
from xerowatch.sim.wisenet.seed import seed_awkward, seed_learners

__all__ = ["SimData", "SimRequest", "WisenetSim", "address", "seed_awkward", "seed_learners"]
