"""Logging: one event per line to stderr (journald-friendly), text or JSON, secrets redacted."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

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


def setup_logging(*, level: str = "INFO", json_lines: bool = False) -> None:
    """Configure the root logger once for the process."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter()
        if json_lines
        else RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "aiosqlite"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
