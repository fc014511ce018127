"""The simulator's records: learners (per region), audit log, invoices, and the combo lists."""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from xerowatch.clock import Clock

STATES: list[dict[str, Any]] = [
    {"StateId": 1, "Code": "NSW", "ShortDescription": "NSW", "LongDescription": "New South Wales"},
    {"StateId": 2, "Code": "VIC", "ShortDescription": "VIC", "LongDescription": "Victoria"},
    {"StateId": 3, "Code": "QLD", "ShortDescription": "QLD", "LongDescription": "Queensland"},
    {"StateId": 4, "Code": "SA", "ShortDescription": "SA", "LongDescription": "South Australia"},
    {"StateId": 5, "Code": "WA", "ShortDescription": "WA", "LongDescription": "Western Australia"},
    {"StateId": 6, "Code": "TAS", "ShortDescription": "TAS", "LongDescription": "Tasmania"},
    {"StateId": 7, "Code": "NT", "ShortDescription": "NT", "LongDescription": "Northern Territory"},
    {
        "StateId": 8,
        "Code": "ACT",
        "ShortDescription": "ACT",
        "LongDescription": "Australian Capital Territory",
    },
    {"StateId": 9, "Code": "OTH", "ShortDescription": "Overseas", "LongDescription": "Overseas"},
]
COUNTRIES: list[dict[str, Any]] = [
    {"CountryId": 1101, "Code": "1101", "Description": "Australia"},
    {"CountryId": 1201, "Code": "1201", "Description": "New Zealand"},
    {"CountryId": 2102, "Code": "2102", "Description": "England"},
    {"CountryId": 5105, "Code": "5105", "Description": "Viet Nam"},
    {"CountryId": 6101, "Code": "6101", "Description": "China (excludes SARs and Taiwan)"},
    {"CountryId": 7103, "Code": "7103", "Description": "India"},
    {"CountryId": 8104, "Code": "8104", "Description": "United States of America"},
]
STATE_IDS = {row["Code"]: row["StateId"] for row in STATES}
COUNTRY_IDS = {row["Description"]: row["CountryId"] for row in COUNTRIES}


def address(
    *,
    street_name: str | None = None,
    street_number: str | None = None,
    unit: str | None = None,
    building: str | None = None,
    extra: str | None = None,
    po_box: str | None = None,
    city: str | None = None,
    state: str | None = None,
    postcode: str | None = None,
    country: str | None = "Australia",
) -> dict[str, Any]:
    """A Wisenet address object; state and country given as code/name and stored as ids."""
    return {
        "BuildingName": building,
        "UnitDetails": unit,
        "StreetNumber": street_number,
        "StreetName": street_name,
        "ExtraAddressLine": extra,
        "PoBox": po_box,
        "SuburbTownCity": city,
        "StateId": STATE_IDS[state] if state else None,
        "Postcode": postcode,
        "CountryId": COUNTRY_IDS[country] if country else None,
    }


def deep_merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Merge `changes` into a copy of `base`, recursing into nested objects."""
    merged = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


@dataclass
class SimData:
    """Everything the simulated Wisenet account holds."""

    clock: Clock
    zone: ZoneInfo
    learners: dict[str, dict[int, dict[str, Any]]] = field(
        default_factory=lambda: {"AU": {}, "NZ": {}}
    )
    audit_logs: list[dict[str, Any]] = field(default_factory=list)
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)
    next_learner_id: int = 1001

    def local_now(self) -> str:
        """Wisenet's timestamp for 'now': zone-less local time to the millisecond."""
        local = self.clock.now().astimezone(self.zone).replace(tzinfo=None)
        return local.isoformat(timespec="milliseconds")

    def add_learner(
        self,
        *,
        first_name: str | None = "Alex",
        last_name: str | None = "Learner",
        email: str | None = "alex@example.com",
        mobile: str | None = "0412 345 678",
        street: dict[str, Any] | None = None,
        postal: dict[str, Any] | None = None,
        sync_to_xero: bool = True,
        is_active: bool = True,
        region: str = "AU",
        raw: dict[str, Any] | None = None,
        modified: str | None = None,
    ) -> int:
        """Create a learner and return its LearnerId; `raw` is deep-merged into the record last."""
        learner_id = self.next_learner_id
        self.next_learner_id += 1
        street = (
            street
            if street is not None
            else address(
                street_number="12",
                street_name="Example Street",
                city="Sydney",
                state="NSW",
                postcode="2000",
            )
        )
        record: dict[str, Any] = {
            "LearnerId": learner_id,
            "LearnerGuid": str(uuid.UUID(int=learner_id)),
            "LastModifiedTimeStamp": modified or self.local_now(),
            "Personal": {
                "IsActive": is_active,
                "Title": None,
                "FirstName": first_name,
                "MiddleName": None,
                "LastName": last_name,
                "LearnerNumber": f"D{region}{learner_id:07d}",
                "SyncToXero": sync_to_xero,
                "PhoneNumbers": {
                    "PhoneHome": None,
                    "PhoneWork": None,
                    "FaxHome": None,
                    "FaxWork": None,
                    "Mobile": mobile,
                },
                "EmailAddresses": {"Email": email, "AlternativeEmail": None},
                "StreetAddress": street,
                "PostalAddress": postal if postal is not None else copy.deepcopy(street),
            },
        }
        if raw:
            record = deep_merge(record, raw)
        self.learners[region][learner_id] = record
        return learner_id

    def update_learner(
        self,
        learner_id: int,
        changes: dict[str, Any],
        *,
        region: str = "AU",
        modified: str | None = None,
    ) -> None:
        """Deep-merge `changes` into a learner and stamp LastModifiedTimeStamp."""
        record = deep_merge(self.learners[region][learner_id], changes)
        record["LastModifiedTimeStamp"] = modified or self.local_now()
        self.learners[region][learner_id] = record

    def delete_learner(
        self, learner_id: int, *, region: str = "AU", modified: str | None = None
    ) -> None:
        """Remove a learner and write the `D` audit-log entry Wisenet would."""
        del self.learners[region][learner_id]
        self.audit_logs.append(
            {
                "AuditLogId": len(self.audit_logs) + 1,
                "RecordId": learner_id,
                "EntityName": "Learner",
                "AuditAction": "D",
                "LastModifiedTimeStamp": modified or self.local_now(),
            }
        )
