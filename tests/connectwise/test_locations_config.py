"""`[connectwise] locations`: organisation → billing locations, checked when the config loads."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from tests.cli.proc import xerowatch
from tests.connectwise.conftest import cw_settings
from xerowatch.config import ConfigError, load_settings

NORTH = "6f1c2a4e-0b1d-4c8e-9a57-3d2f1e0c9b11"
SOUTH = "0d3c9a51-7a0c-4c1e-9d62-9a3b1f2c4e77"


def _write(tmp_path: Path, body: str) -> Path:
    config = tmp_path / "xerowatch.toml"
    config.write_text(
        f'[store]\npath = "{tmp_path / "x.db"}"\n[xero]\nclient_id = "app"\n'
        f'[source]\nkind = "connectwise"\n[connectwise]\n{body}',
        encoding="utf-8",
    )
    return config


def test_each_organisation_takes_its_locations_and_an_unlisted_one_takes_none() -> None:
    settings = cw_settings(locations={NORTH.upper(): [1], SOUTH: [2, 3]})
    assert settings.tenant_locations(NORTH) == (1,)  # keys are compared as Xero spells them
    assert settings.tenant_locations(SOUTH) == (2, 3)
    assert settings.tenant_locations("9b0e8f3c-2a14-4d7e-8c1b-5f6a7d8e9f00") is None


def test_without_a_mapping_the_one_organisation_takes_location_id_or_every_location() -> None:
    assert cw_settings().tenant_locations(NORTH) == ()
    assert cw_settings(location_id=4).tenant_locations(NORTH) == (4,)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            f'locations = {{ "{NORTH}" = [1, 2], "{SOUTH}" = [2] }}\n',
            f"billing location 2 is mapped to both {NORTH} and {SOUTH}",
        ),
        (
            'locations = { "MSP North" = [1] }\n',
            "'MSP North' is not a Xero tenant id",
        ),
        (f'locations = {{ "{NORTH}" = [] }}\n', "lists no billing location"),
        (f'locations = {{ "{NORTH}" = [0] }}\n', "billing location ids are positive"),
        (
            f'location_id = 1\nlocations = {{ "{NORTH}" = [1] }}\n',
            "location_id and locations are both set",
        ),
    ],
)
def test_a_bad_mapping_is_one_line_naming_the_key_and_the_fix(
    tmp_path: Path, body: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(_write(tmp_path, body))
    message = str(info.value)
    assert "connectwise.locations" in message and expected in message, message
    assert "\n" not in message


def test_overlapping_locations_exit_2_through_the_real_entry_point(tmp_path: Path) -> None:
    config = _write(tmp_path, f'locations = {{ "{NORTH}" = [1, 3], "{SOUTH}" = [3] }}\n')
    proc = xerowatch("sync", "--once", config=config)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    [line] = proc.stderr.strip().splitlines()
    assert "connectwise.locations" in line and "billing location 3 is mapped to both" in line
    assert "Traceback" not in proc.stderr


@given(
    st.lists(
        st.tuples(st.uuids(), st.lists(st.integers(1, 40), min_size=1, max_size=5)),
        min_size=1,
        max_size=5,
        unique_by=lambda pair: pair[0],
    )
)
def test_any_mapping_is_accepted_exactly_when_no_location_is_in_two_organisations(
    pairs: list[tuple[uuid.UUID, list[int]]],
) -> None:
    mapping = {str(tenant).upper(): ids for tenant, ids in pairs}
    owners: dict[int, set[uuid.UUID]] = {}
    for tenant, ids in pairs:
        for location in ids:
            owners.setdefault(location, set()).add(tenant)
    shared = sorted(loc for loc, tenants in owners.items() if len(tenants) > 1)
    if shared:
        with pytest.raises(ValidationError, match="is mapped to both"):
            cw_settings(locations=mapping)
        return
    settings = cw_settings(locations=mapping)
    for tenant, ids in pairs:
        assert settings.tenant_locations(str(tenant)) == tuple(sorted(set(ids)))
