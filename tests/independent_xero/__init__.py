"""A second, independent fake Xero, written from the official spec for parity tests.

It shares no code with `xerowatch.sim.xero`: the engine is held against both, so a mistake in
one simulator cannot hide the same mistake in the engine.
"""

from tests.independent_xero.fake import FakeUrls, FakeXero, LoggedCall
from tests.independent_xero.limits import RateLimiter, RateLimits

__all__ = ["FakeUrls", "FakeXero", "LoggedCall", "RateLimiter", "RateLimits"]
