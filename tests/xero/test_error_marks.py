"""One way to say "worth retrying": `transient`, on Xero's errors and sources' alike; one home."""

from __future__ import annotations

import ast
from pathlib import Path

from xerowatch.oauth.errors import GrantRefused
from xerowatch.source.port import SourceError
from xerowatch.xero.errors import (
    TokenGrantRejected,
    XeroAuthError,
    XeroError,
    XeroNotFound,
    XeroPagingError,
    XeroRateLimited,
    XeroTransientError,
    XeroUnavailable,
    XeroValidationError,
)

XERO = Path(__file__).resolve().parents[2] / "xerowatch" / "xero"


def test_xero_errors_say_whether_a_retry_can_help() -> None:
    assert XeroUnavailable("timeout").transient
    assert XeroTransientError("503").transient
    assert XeroRateLimited("429", problem="minute", retry_after=3.0).transient
    assert not XeroValidationError("bad").transient
    assert not XeroAuthError("401").transient
    assert not XeroNotFound("gone").transient
    assert not XeroPagingError("loop").transient
    assert not TokenGrantRejected(GrantRefused("invalid_grant")).transient


def test_sources_carry_the_same_mark() -> None:
    errors: list[XeroError | SourceError] = [
        XeroUnavailable("x"),
        SourceError("y", transient=True),
        SourceError("z", transient=False),
    ]
    assert [e.transient for e in errors] == [True, True, False]


def _bases(path: Path) -> list[tuple[str, set[str]]]:
    tree = ast.parse(path.read_text("utf-8"))
    return [
        (node.name, {b.id for b in node.bases if isinstance(b, ast.Name)})
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
    ]


def test_every_xero_error_class_lives_in_errors_py() -> None:
    names = {name for name, _ in _bases(XERO / "errors.py")}
    strays = [
        f"{path.name}: {name}"
        for path in sorted(XERO.glob("*.py"))
        if path.name != "errors.py"
        for name, bases in _bases(path)
        if bases & names
    ]
    assert strays == [], f"Xero errors outside xero/errors.py: {strays}"
