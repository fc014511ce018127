"""Repetitive log lines are rate-limited: a few pass, the rest become one summary per interval."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from xerowatch.logs import RedactingFormatter, RepeatLimiter

LOGGER = "xerowatch.test.repeats"


class Ticker:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticker() -> Ticker:
    return Ticker()


@pytest.fixture
def output(ticker: Ticker) -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
    RepeatLimiter(burst=5, interval=60.0, clock=ticker).attach(handler)
    logger = logging.getLogger(LOGGER)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield stream
    logger.removeHandler(handler)
    logger.propagate = True


def test_2000_repeats_print_a_few_lines_and_a_summary_per_interval(
    ticker: Ticker, output: io.StringIO
) -> None:
    log = logging.getLogger(LOGGER)
    for minute in range(2):
        for _ in range(1000):
            log.info("xero webhook: %d event(s), %d new", 1, 0)
            ticker.now += 0.05  # 1,000 lines in 50 s
        ticker.now = 1000.0 + 60.0 * (minute + 1)
    log.info("something else")

    lines = output.getvalue().splitlines()
    assert len(lines) == 5 + 1 + 5 + 1 + 1
    summaries = [line for line in lines if "suppressed" in line]
    assert len(summaries) == 2
    assert "995 more" in summaries[0] and "xero webhook: 1 event(s), 0 new" in summaries[0]
    assert lines[-1].endswith("something else")


def test_different_templates_and_levels_are_counted_apart(
    ticker: Ticker, output: io.StringIO
) -> None:
    log = logging.getLogger(LOGGER)
    for number in range(20):
        log.info("retry %d", number)
        log.warning("retry %d", number)
        log.info("other %d", number)
    assert len(output.getvalue().splitlines()) == 15


def test_flush_reports_suppressed_lines_without_waiting_for_the_next_one(
    ticker: Ticker, output: io.StringIO
) -> None:
    log = logging.getLogger(LOGGER)
    for _ in range(8):
        log.info("again")
    handler = logging.getLogger(LOGGER).handlers[0]
    [limiter] = [f for f in handler.filters if isinstance(f, RepeatLimiter)]
    limiter.flush()  # not due yet: the interval has not ended
    assert "suppressed" not in output.getvalue()
    ticker.now += 61
    limiter.flush()
    [summary] = [line for line in output.getvalue().splitlines() if "suppressed" in line]
    assert "3 more" in summary
