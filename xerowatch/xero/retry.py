"""Failure policy: Xero error responses as typed errors, which to retry, and how long to wait."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from xerowatch.logs import redact
from xerowatch.xero.errors import (
    ElementError,
    TokenRejected,
    XeroAuthError,
    XeroError,
    XeroNotFound,
    XeroRateLimited,
    XeroUnavailable,
    XeroValidationError,
)

log = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})
MAX_INLINE_WAIT_S = 300.0
"""A Retry-After longer than this is not slept through in a retry loop: the error goes to the
caller, whose job queue can come back later without holding a worker."""
MAX_RETRY_AFTER_S = 86_400.0
"""No Xero limit window is longer than a day, so no Retry-After is taken to mean longer."""
NO_RETRY_PROBLEMS = frozenset({"day", "reserve", "busy"})
_MAX_MESSAGE = 300


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); None if unusable.

    Every HTTP-date form is GMT, including the ones that carry no zone (asctime, `-0000`); a
    wait is at most MAX_RETRY_AFTER_S, and a non-finite one names no wait at all.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        seconds = (moment - now).total_seconds()
    if not math.isfinite(seconds):
        return None
    return min(max(0.0, seconds), MAX_RETRY_AFTER_S)


def parse_body(response: httpx.Response) -> Any:
    """The response body as JSON when it is JSON, else as text (None when empty)."""
    if not response.content:
        return None
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text


def error_for(response: httpx.Response, body: Any, *, now: datetime) -> XeroError:
    """The typed error for a non-2xx Xero response (429s are left to `rate_limit_error`)."""
    status = response.status_code
    correlation_id = response.headers.get("xero-correlation-id")
    detail = _describe(body)
    if status == 400:
        elements = element_errors(body)
        return XeroValidationError(
            detail or "Xero rejected the request",
            elements=elements,
            correlation_id=correlation_id,
        )
    if status == 401:
        return TokenRejected(
            f"Xero rejected the access token ({detail or 'Unauthorized'})",
            needs_reconnect=True,
            status=401,
            correlation_id=correlation_id,
        )
    if status == 403:
        return XeroAuthError(
            "Xero refused access to this organisation: the tenant id is wrong or the organisation "
            f"disconnected the app ({detail or 'Forbidden'})",
            needs_reconnect=True,
            status=403,
            correlation_id=correlation_id,
        )
    if status == 404:
        return XeroNotFound(
            detail or "the resource does not exist in this organisation",
            status=404,
            correlation_id=correlation_id,
        )
    if status in RETRYABLE_STATUSES:
        return XeroUnavailable(
            f"Xero is unavailable ({detail or response.reason_phrase or 'server error'})",
            retry_after=parse_retry_after(response.headers.get("retry-after"), now),
            status=status,
            correlation_id=correlation_id,
        )
    return XeroError(
        f"unexpected response ({detail or response.reason_phrase})",
        status=status,
        correlation_id=correlation_id,
    )


def rate_limit_error(response: httpx.Response, *, now: datetime) -> XeroRateLimited:
    """The XeroRateLimited for a 429: which limit (X-Rate-Limit-Problem) and Retry-After."""
    problem = (response.headers.get("x-rate-limit-problem") or "").strip().lower() or "unknown"
    retry_after = parse_retry_after(response.headers.get("retry-after"), now)
    wait = "" if retry_after is None else f"; retry after {retry_after:.0f} s"
    return XeroRateLimited(
        f"Xero {problem} rate limit hit{wait}",
        problem=problem,
        retry_after=retry_after,
        correlation_id=response.headers.get("xero-correlation-id"),
    )


def element_errors(body: Any) -> list[ElementError]:
    """Per-element validation messages from a 400 body, by position in its `Elements` list."""
    if not isinstance(body, dict) or not isinstance(body.get("Elements"), list):
        return []
    found: list[ElementError] = []
    for index, element in enumerate(body["Elements"]):
        if not isinstance(element, dict):
            continue
        raw = element.get("ValidationErrors")
        messages = [
            str(item["Message"])
            for item in (raw if isinstance(raw, list) else [])
            if isinstance(item, dict) and item.get("Message")
        ]
        if messages:
            rest = {k: v for k, v in element.items() if k not in ("ValidationErrors", "Warnings")}
            found.append(ElementError(index=index, messages=messages, element=rest))
    return found


def _describe(body: Any) -> str:
    """One short line from an error body: Xero's Message, problem-details Title/Detail, or text."""
    if isinstance(body, dict):
        parts = [body.get(key) for key in ("Message", "Title", "Detail")]
        text = ": ".join(str(part) for part in parts if part)
    elif isinstance(body, str):
        text = " ".join(body.split())
    else:
        text = ""
    return redact(text)[:_MAX_MESSAGE]


def is_retryable(exc: BaseException) -> bool:
    """Transient failures and non-day 429s are retried, unless Xero asks for a long wait."""
    if isinstance(exc, XeroUnavailable | XeroRateLimited):
        if isinstance(exc, XeroRateLimited) and exc.problem in NO_RETRY_PROBLEMS:
            return False
        return exc.retry_after is None or exc.retry_after <= MAX_INLINE_WAIT_S
    return False


class RetryWait:
    """Tenacity wait: Retry-After when Xero sent one, else exponential backoff with jitter.

    A 429 whose pause the quota scheduler already enforces (minute, appminute, or any 429 with
    Retry-After) waits 0 here: the retry's slot() holds it back, without holding a slot.
    """

    def __init__(self, *, base: float = 1.0, cap: float = 60.0) -> None:
        self._backoff = wait_exponential_jitter(multiplier=base, max=cap, jitter=base)

    def __call__(self, state: RetryCallState) -> float:
        """Seconds to sleep before the next attempt."""
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, XeroRateLimited):
            if exc.problem in ("minute", "appminute") or exc.retry_after is not None:
                return 0.0
        elif isinstance(exc, XeroUnavailable) and exc.retry_after is not None:
            return exc.retry_after
        return float(self._backoff(state))


def retrying(
    *, max_retries: int, sleep: Callable[[float], Awaitable[None]], what: str
) -> AsyncRetrying:
    """The retry loop for one logical request: ≤ max_retries retries, sleeping via `sleep`."""

    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.upcoming_sleep
        # INFO: a retried fault is expected weather; one that exhausts its retries reaches the
        # caller, which raises the alert.
        log.info(
            "%s failed (%s); retry %d/%d in %.1f s",
            what,
            redact(str(exc)),
            state.attempt_number,
            max_retries,
            wait,
        )

    return AsyncRetrying(
        stop=stop_after_attempt(max_retries + 1),
        wait=RetryWait(),
        retry=retry_if_exception(is_retryable),
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
