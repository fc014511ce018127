"""Logging: one event per line to stderr (journald-friendly) or a file, text or JSON, redacted."""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

_SECRET_PATTERNS = [
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9\-._~+/]+=*"),
    re.compile(
        r"(?i)((?:access|refresh|id)_token|client_secret|api[_-]?key|code_verifier|password|"
        r"authorization|x-api-key)(\"?\s*[:=]\s*\"?)[^\s\"&,}]+"
    ),
]


def redact(text: str) -> str:
    """Replace anything that looks like a token, secret or key with `***`."""
    text = _SECRET_PATTERNS[0].sub(r"\1***", text)
    return _SECRET_PATTERNS[1].sub(r"\1\2***", text)


class RedactingFormatter(logging.Formatter):
    """Text formatter that redacts secrets from the final line."""

    def format(self, record: logging.LogRecord) -> str:
        """Format, then redact."""
        return redact(super().format(record)).replace("\n", " | ")


class JsonFormatter(logging.Formatter):
    """One JSON object per line, secrets redacted."""

    def format(self, record: logging.LogRecord) -> str:
        """Render the record as JSON."""
        payload = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        if record.exc_info:
            payload["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(payload, ensure_ascii=False)


REPEAT_BURST = 10
REPEAT_INTERVAL_S = 60.0


@dataclass
class _Window:
    """One message template's interval: how many lines passed, how many were held back."""

    start: float
    passed: int = 0
    suppressed: int = 0
    last: logging.LogRecord | None = None


class RepeatLimiter(logging.Filter):
    """Per logger, level and message template, `burst` lines per `interval` pass; the rest
    are counted and reported as one summary line when the interval is over.

    So 2,000 replayed webhooks or a storm of retries print a few lines and a count, while
    lines of a different template (a different event) are never held back by them.
    """

    def __init__(
        self,
        *,
        burst: int = REPEAT_BURST,
        interval: float = REPEAT_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self._burst = burst
        self._interval = interval
        self._clock = clock
        self._windows: dict[tuple[str, int, str], _Window] = {}
        self._lock = threading.Lock()
        self._handler: logging.Handler | None = None

    def attach(self, handler: logging.Handler) -> None:
        """Filter `handler`'s records and write the summaries to it."""
        self._handler = handler
        handler.addFilter(self)

    def filter(self, record: logging.LogRecord) -> bool:
        """Pass the record, or count it as suppressed."""
        if getattr(record, "repeat_summary", False):
            return True
        now = self._clock()
        due = self._take_due(now, force=False)
        key = (record.name, record.levelno, str(record.msg))
        with self._lock:
            window = self._windows.get(key)
            if window is None:
                window = self._windows[key] = _Window(start=now)
            if window.passed < self._burst:
                window.passed += 1
                passed = True
            else:
                window.suppressed += 1
                window.last = record
                passed = False
        self._emit(due)
        return passed

    def flush(self, *, force: bool = False) -> None:
        """Write the summaries of intervals that are over (all of them with `force`)."""
        self._emit(self._take_due(self._clock(), force=force))

    def _take_due(self, now: float, *, force: bool) -> list[logging.LogRecord]:
        summaries = []
        with self._lock:
            for key, window in list(self._windows.items()):
                elapsed = now - window.start
                if not force and elapsed < self._interval:
                    continue
                del self._windows[key]
                if window.suppressed and window.last is not None:
                    summaries.append(self._summary(window, max(elapsed, 0.0)))
        return summaries

    def _summary(self, window: _Window, elapsed: float) -> logging.LogRecord:
        last = window.last
        assert last is not None
        summary = logging.LogRecord(
            last.name,
            last.levelno,
            last.pathname,
            last.lineno,
            "suppressed %d more like this in %.0f s, the last: %s",
            (window.suppressed, elapsed, last.getMessage()),
            None,
        )
        summary.repeat_summary = True
        return summary

    def _emit(self, summaries: list[logging.LogRecord]) -> None:
        if self._handler is not None:
            for summary in summaries:
                self._handler.handle(summary)


def flush_repeats(*, force: bool = False) -> None:
    """Write due summaries of the root handlers' repeat limiters (every one with `force`)."""
    for handler in logging.getLogger().handlers:
        for item in handler.filters:
            if isinstance(item, RepeatLimiter):
                item.flush(force=force)


_log_file: Path | None = None
"""Set while a dashboard owns the terminal: every later setup keeps logging to this file."""


def setup_logging(
    *, level: str = "INFO", json_lines: bool = False, file: Path | None = None
) -> None:
    """Configure the root logger for the process (repetitive lines rate-limited): to stderr,
    or appending to `file`.

    Once a file was chosen, later calls (a daemon reload switching the format) keep writing to
    it: the terminal belongs to the dashboard.
    """
    global _log_file
    if file is not None:
        _log_file = file
    flush_repeats(force=True)  # what the handlers being replaced still hold back
    handler: logging.Handler
    if _log_file is not None:
        _log_file.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(_log_file, encoding="utf-8")
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter()
        if json_lines
        else RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    RepeatLimiter().attach(handler)
    root = logging.getLogger()
    for old in root.handlers:
        if isinstance(old, logging.FileHandler):
            old.close()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "aiosqlite"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def stop_logging_to_file(*, level: str = "INFO") -> None:
    """The dashboard gave the terminal back: log to stderr again."""
    global _log_file
    _log_file = None
    setup_logging(level=level)
