"""Seed data for the Wisenet simulator: awkward learners that exercise validation, and volume."""

from __future__ import annotations

import random
import unicodedata

from xerowatch.sim.wisenet.data import SimData, address

_FIRST = [
    "Olivia",
    "Jack",
    "Charlotte",
    "Noah",
    "Amelia",
    "William",
    "Isla",
    "Oliver",
    "Mia",
    "Thomas",
    "Aarav",
    "Mei",
    "Minh",
    "Priya",
    "Seán",
    "Zoë",
    "Mateo",
    "Aroha",
]
_LAST = [
    "Smith",
    "Jones",
    "Williams",
    "Brown",
    "Wilson",
    "Taylor",
    "Nguyễn",
    "Singh",
    "Chen",
    "O'Connor",
    "Kelly",
    "Patel",
    "Martin",
    "Lee",
    "Walker",
    "Ngata",
    "García",
    "White",
]
_STREETS = [
    "George Street",
    "Collins Street",
    "Queen Street",
    "King William Street",
    "Hay Street",
    "Elizabeth Street",
    "Smith Street",
    "Parramatta Road",
]
_PLACES = [
    ("Sydney", "NSW", "2000"),
    ("Melbourne", "VIC", "3000"),
    ("Brisbane", "QLD", "4000"),
    ("Adelaide", "SA", "5000"),
    ("Perth", "WA", "6000"),
    ("Hobart", "TAS", "7000"),
    ("Darwin", "NT", "0800"),
    ("Canberra", "ACT", "2600"),
    ("Parramatta", "NSW", "2150"),
]

UNKNOWN_COUNTRY_ID = 9999


def seed_awkward(data: SimData) -> dict[str, int]:
    """Add learners that real Wisenet data contains; return their ids by a descriptive key."""
    ids: dict[str, int] = {}
    ids["clean"] = data.add_learner(
        first_name="Felicity", last_name="Jones", email="felicity.jones@example.com"
    )
    ids["email_blanks"] = data.add_learner(
        first_name="Mary", last_name="Smith", email="  mary.smith @example.com "
    )
    ids["unknown_country"] = data.add_learner(
        first_name="Kiri",
        last_name="Walker",
        email="kiri@example.co.nz",
        raw={
            "Personal": {
                "StreetAddress": {"CountryId": UNKNOWN_COUNTRY_ID},
                "PostalAddress": {"CountryId": UNKNOWN_COUNTRY_ID},
            }
        },
    )
    no_state = address(street_number="5", street_name="Main Road", city="Dubbo")
    ids["missing_state_postcode"] = data.add_learner(
        first_name="Tom",
        last_name="Reid",
        email="tom.reid@example.com",
        street=no_state,
        postal=no_state,
    )
    ids["apostrophe"] = data.add_learner(
        first_name="Seán", last_name="O'Brien", email="sean.obrien@example.ie"
    )
    ids["double_quote"] = data.add_learner(
        first_name="Ciara", last_name='O"Brien', email="ciara@example.ie"
    )
    ids["unicode"] = data.add_learner(
        first_name="Zoë", last_name="Nguyễn Thị", email="zoe.nguyen@example.vn"
    )
    ids["cjk"] = data.add_learner(first_name="小龙", last_name="李", email="li@example.cn")
    ids["no_sync"] = data.add_learner(
        first_name="Priya", last_name="Patel", email="priya@example.com", sync_to_xero=False
    )
    ids["inactive"] = data.add_learner(
        first_name="Jack", last_name="Brown", email="jack.brown@example.com", is_active=False
    )
    ids["po_box"] = data.add_learner(
        first_name="Isla",
        last_name="Kelly",
        email="isla@example.com",
        street=address(
            unit="Unit 3",
            street_number="14",
            street_name="Hay Street",
            building="Harbour House",
            city="Perth",
            state="WA",
            postcode="6000",
        ),
        postal=address(po_box="1234", city="Perth", state="WA", postcode="6001"),
    )
    ids["no_names"] = data.add_learner(first_name=None, last_name=" ", email=None, mobile=None)
    ids["no_learner_number"] = data.add_learner(
        first_name="Ghost", last_name="Record", raw={"Personal": {"LearnerNumber": None}}
    )
    return ids


def seed_learners(data: SimData, n: int, *, seed: int = 7, region: str = "AU") -> list[int]:
    """Add `n` plausible learners (deterministic for a given seed); return their ids."""
    rng = random.Random(seed)
    ids: list[int] = []
    for _ in range(n):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        city, state, postcode = rng.choice(_PLACES)
        street = address(
            street_number=str(rng.randint(1, 400)),
            street_name=rng.choice(_STREETS),
            city=city,
            state=state,
            postcode=postcode,
        )
        # people with accented names mostly have plain-letter addresses (Xero refuses others)
        local = unicodedata.normalize("NFKD", f"{first}.{last}").encode("ascii", "ignore")
        email = f"{local.decode()}{rng.randint(1, 9999)}@example.com".lower().replace("'", "")
        ids.append(
            data.add_learner(
                first_name=first,
                last_name=last,
                email=email,
                mobile=f"04{rng.randint(0, 99_999_999):08d}",
                street=street,
                sync_to_xero=rng.random() > 0.1,
                is_active=rng.random() > 0.05,
                region=region,
            )
        )
    return ids
