"""Exact mappings of states and countries to what Xero is sent (no guessing, no fuzzy match)."""

from __future__ import annotations

from functools import cache
from importlib import resources

AUSTRALIA = "Australia"

AU_STATES: dict[str, str] = {
    "ACT": "ACT",
    "AUSTRALIAN CAPITAL TERRITORY": "ACT",
    "NSW": "NSW",
    "NEW SOUTH WALES": "NSW",
    "NT": "NT",
    "NORTHERN TERRITORY": "NT",
    "QLD": "QLD",
    "QUEENSLAND": "QLD",
    "SA": "SA",
    "SOUTH AUSTRALIA": "SA",
    "TAS": "TAS",
    "TASMANIA": "TAS",
    "VIC": "VIC",
    "VICTORIA": "VIC",
    "WA": "WA",
    "WESTERN AUSTRALIA": "WA",
    "OTH": "OTH",
    "OTHER AUSTRALIAN TERRITORIES": "OTH",
}
"""AVETMISS state codes and their names → the code Xero's Region gets."""

# Common names that differ from the tz database's iso3166.tab wording.
_COUNTRY_ALIASES: dict[str, str] = {
    "UNITED KINGDOM": "United Kingdom",
    "BRITAIN (UK)": "United Kingdom",
    "GREAT BRITAIN": "United Kingdom",
    "ENGLAND": "United Kingdom",
    "SCOTLAND": "United Kingdom",
    "WALES": "United Kingdom",
    "NORTHERN IRELAND": "United Kingdom",
    "USA": "United States",
    "UNITED STATES OF AMERICA": "United States",
    "KOREA (SOUTH)": "South Korea",
    "KOREA, REPUBLIC OF": "South Korea",
    "SOUTH KOREA": "South Korea",
    "KOREA (NORTH)": "North Korea",
    "VIET NAM": "Vietnam",
    "HONG KONG (SAR)": "Hong Kong",
}


@cache
def _countries() -> dict[str, str]:
    table = resources.files("tzdata.zoneinfo").joinpath("iso3166.tab").read_text("utf-8")
    mapping: dict[str, str] = {}
    for line in table.splitlines():
        if not line or line.startswith("#"):
            continue
        code, _, name = line.partition("\t")
        canonical = _COUNTRY_ALIASES.get(name.upper(), name)
        mapping[code.upper()] = canonical
        mapping[name.upper()] = canonical
    for alias, canonical in _COUNTRY_ALIASES.items():
        mapping[alias] = canonical
    return mapping


def map_country(value: str | None) -> str | None:
    """Return the country name to send to Xero, or None if `value` does not map exactly."""
    if value is None:
        return None
    return _countries().get(" ".join(value.split()).upper())


def map_au_state(value: str | None) -> str | None:
    """Return the Australian state code for `value`, or None if it does not map exactly."""
    if value is None:
        return None
    return AU_STATES.get(" ".join(value.split()).upper())
