"""Parse the `Link` header ConnectWise sends on list answers (RFC 8288 subset)."""

from __future__ import annotations

import re

_LINK = re.compile(r'<([^>]*)>\s*((?:;\s*[A-Za-z]+\s*=\s*"?[^";,]*"?\s*)*)')
_REL = re.compile(r'rel\s*=\s*"?([^";,]*)"?', re.IGNORECASE)


def parse_links(header: str) -> dict[str, str]:
    """Map each `rel` of a Link header to its URL (`first`, `prev`, `next`, `last`)."""
    links: dict[str, str] = {}
    for match in _LINK.finditer(header):
        url, attributes = match.group(1), match.group(2)
        rel = _REL.search(attributes)
        if rel:
            for name in rel.group(1).split():
                links.setdefault(name.lower(), url)
    return links


def next_link(header: str) -> str | None:
    """The URL of `rel="next"`, or None when this is the last page."""
    return parse_links(header).get("next") if header else None
