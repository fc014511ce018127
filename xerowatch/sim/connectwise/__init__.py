"""Loopback ConnectWise Manage simulator (tests, benchmarks, demo)."""

from xerowatch.sim.connectwise.app import SIM_CLIENT_ID, ConnectWiseSim

__all__ = ["SIM_CLIENT_ID", "ConnectWiseSim"]
