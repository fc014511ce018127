"""Invisible characters in learner text: control and bidi-override characters never reach Xero.

A NUL or a U+202E (right-to-left override) in a name is invisible in most screens but changes
what Xero stores and shows (U+202E reverses the rest of the line: "Eve\u202eevE" reads as
"EveEve"). They are removed in mapping, and the learner's alert names the field.
"""

from __future__ import annotations

import unicodedata

from xerowatch.records import SourceAddress, SourceLearner

BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f"  # Arabic letter mark, left-to-right and right-to-left marks
    "\u202a\u202b\u202c\u202d\u202e"  # embeddings, pop, overrides
    "\u2066\u2067\u2068\u2069"  # isolates
)
_PERSON_FIELDS = (
    ("first_name", "FirstName"),
    ("last_name", "LastName"),
    ("email", "Email"),
    ("mobile", "Mobile"),
    ("phone_home", "Phone (home)"),
    ("phone_work", "Phone (work)"),
)


def _unsafe(ch: str) -> bool:
    """Control characters (whitespace aside), unpaired surrogates and bidi controls."""
    category = unicodedata.category(ch)
    return (category == "Cc" and not ch.isspace()) or category == "Cs" or ch in BIDI_CONTROLS


def unsafe_codes(text: str | None) -> list[str]:
    """The distinct unsafe characters in `text`, as U+XXXX, in order of appearance."""
    return list(dict.fromkeys(f"U+{ord(ch):04X}" for ch in text or "" if _unsafe(ch)))


def strip_unsafe(text: str | None) -> str | None:
    """`text` without unsafe characters; control whitespace (tab, newline) becomes a space."""
    if text is None:
        return None
    return "".join(
        " " if unicodedata.category(ch) == "Cc" and ch.isspace() else ch
        for ch in text
        if not _unsafe(ch)
    )


class _Findings:
    """What was removed, per field name."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def clean(self, label: str, text: str | None) -> str | None:
        codes = unsafe_codes(text)
        if codes:
            self.fields[label] = codes
        return strip_unsafe(text)


def _clean_address(
    found: _Findings, label: str, address: SourceAddress | None
) -> SourceAddress | None:
    if address is None:
        return None
    lines = tuple(
        found.clean(f"{label} line {number}", line) or ""
        for number, line in enumerate(address.lines, start=1)
    )
    return SourceAddress(
        lines=lines,
        city=found.clean(f"{label} city", address.city),
        state=found.clean(f"{label} state", address.state),
        postcode=found.clean(f"{label} postcode", address.postcode),
        country=found.clean(f"{label} country", address.country),
    )


def clean_learner(learner: SourceLearner) -> tuple[SourceLearner, dict[str, list[str]]]:
    """The learner with unsafe characters removed from every mapped text field (not its
    RefInternal, which validation refuses instead), and the codes removed per field."""
    found = _Findings()
    update: dict[str, object] = {
        attr: found.clean(label, getattr(learner, attr)) for attr, label in _PERSON_FIELDS
    }
    update["postal_address"] = _clean_address(found, "Postal address", learner.postal_address)
    update["street_address"] = _clean_address(found, "Street address", learner.street_address)
    if not found.fields:
        return learner, {}
    return learner.model_copy(update=update), found.fields


def describe_cleaned(fields: dict[str, list[str]]) -> str:
    """ "FirstName (U+202E), LastName (U+0000)": the fields and what was removed from each."""
    return ", ".join(f"{name} ({' '.join(codes)})" for name, codes in fields.items())
