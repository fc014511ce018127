"""Retrying a source's HTTP request: what is worth another try, how long to wait, the log."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import partial

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

from xerowatch.logs import redact


class RetryableFailure(Exception):
    """A failure worth another attempt, with the server's Retry-After when it sent one."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def retry_after_seconds(response: httpx.Response) -> float | None:
    """The answer's Retry-After in seconds; None when absent or an HTTP-date (our backoff then)."""
    value = response.headers.get("Retry-After", "").strip()
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def _backoff(max_backoff: float, state: RetryCallState) -> float:
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, RetryableFailure) and exc.retry_after is not None:
        return min(exc.retry_after, max_backoff)
    return float(min(2.0 ** (state.attempt_number - 1), max_backoff))


def retrying(
    provider: str,
    method: str,
    path: str,
    *,
    max_attempts: int,
    max_backoff: float,
    sleep: Callable[[float], Awaitable[None]],
    logger: logging.Logger,
) -> AsyncRetrying:
    """Up to `max_attempts` tries of a RetryableFailure: Retry-After, else 1 s doubling.

    Each retry is logged at INFO on the client's own `logger`, with its cause (secrets redacted).
    """

    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        logger.info(
            "%s %s %s failed (%s); retry %d/%d in %.1f s",
            provider,
            method,
            path,
            redact(str(exc)),
            state.attempt_number,
            max_attempts - 1,
            state.upcoming_sleep,
        )

    return AsyncRetrying(
        stop=stop_after_attempt(max_attempts),
        wait=partial(_backoff, max_backoff),
        retry=retry_if_exception_type(RetryableFailure),
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
