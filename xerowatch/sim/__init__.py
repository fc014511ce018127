"""Loopback simulators of Xero and Wisenet for tests, benchmarks and the demo."""
