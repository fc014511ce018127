"""Decide, per learner, which Xero contact to write: update, create, adopt, or stop and alert."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from xerowatch.config import SyncSettings
from xerowatch.store.directory import DirectoryContact, name_key
from xerowatch.store.links import ContactLink
from xerowatch.sync.validation import ValidLearner

Action = Literal["create", "update", "adopt", "reactivate", "renumber"]

DUPLICATE_NAME_ALERT = "xero_duplicate_name"
POSSIBLE_DUPLICATE_ALERT = "xero_possible_duplicate"
ARCHIVED_ALERT = "xero_contact_archived"
REJECTED_ALERT = "xero_contact_rejected"
PUSH_DEAD_ALERT = "xero_contact_push_dead"


@dataclass(frozen=True)
class Decision:
    """What to do for one learner: write (to `contact_id`, None = create) or block with an alert."""

    action: Action | None
    contact_id: str | None = None
    alert_type: str | None = None
    message: str = ""
    fix: str = ""
    warn_type: str | None = None
    """An alert to raise even though the write goes ahead (a likely duplicate to merge)."""
    relinked_from: str | None = None

    @property
    def blocked(self) -> bool:
        """True when nothing may be written until a human acts."""
        return self.action is None


def person_key(valid: ValidLearner) -> str:
    """The name a pre-integration contact would have: "First Last" without the RefInternal."""
    learner = valid.learner
    return name_key(f"{learner.first_name or ''} {learner.last_name or ''}")


def decide(
    valid: ValidLearner,
    link: ContactLink | None,
    by_number: DirectoryContact | None,
    same_name: list[DirectoryContact],
    same_person: list[DirectoryContact],
    policy: SyncSettings,
) -> Decision:
    """Match a learner against the directory: ContactNumber first, then names."""
    ref = valid.learner.ref_internal
    if by_number is not None:
        relinked = (
            link.contact_id
            if link is not None and link.contact_id and link.contact_id != by_number.contact_id
            else None
        )
        if by_number.status == "ACTIVE":
            return Decision("update", by_number.contact_id, relinked_from=relinked)
        if by_number.status == "ARCHIVED" and policy.reactivate_archived:
            return Decision("reactivate", by_number.contact_id, relinked_from=relinked)
        return Decision(
            None,
            alert_type=ARCHIVED_ALERT,
            message=f"Xero contact '{by_number.name}' (Contact Code {ref}) is {by_number.status}",
            fix=(
                "Re-activate the contact in Xero (or set [sync] reactivate_archived = true), "
                "or untick Sync to Xero for this learner to skip it"
            ),
        )
    taken = [c for c in same_name if c.status == "ACTIVE"]
    if taken:
        other = taken[0]
        if other.contact_number:
            return Decision(
                None,
                alert_type=DUPLICATE_NAME_ALERT,
                message=(
                    f"Contact name '{valid.name}' is already used by Contact Code "
                    f"{other.contact_number}"
                ),
                fix="Correct the RefInternal or the names in the source system, "
                "or rename that contact",
            )
        if policy.adopt_name_matches:
            return Decision("adopt", other.contact_id)
        return Decision(
            None,
            alert_type=DUPLICATE_NAME_ALERT,
            message=f"A Xero contact named '{valid.name}' without a Contact Code already exists",
            fix=(
                "Merge it in Xero keeping the xerowatch contact, or set [sync] "
                "adopt_name_matches = true to adopt it"
            ),
        )
    person = [c for c in same_person if c.status == "ACTIVE" and not c.contact_number]
    if person:
        if policy.adopt_name_matches:
            return Decision("adopt", person[0].contact_id)
        return Decision(
            "create",
            warn_type=POSSIBLE_DUPLICATE_ALERT,
            message=(
                f"Xero already has '{person[0].name}' without a Contact Code: likely the same "
                f"learner as the new contact '{valid.name}'"
            ),
            fix="Merge the two in Xero keeping the xerowatch contact (Contact Code " + ref + ")",
        )
    return Decision("create")


def classify_rejection(messages: tuple[str, ...]) -> tuple[str, str]:
    """Turn Xero's element messages into an alert type and fix."""
    text = " ".join(messages).lower()
    if "already assigned to another contact" in text or "must be unique" in text:
        return DUPLICATE_NAME_ALERT, (
            "Merge the duplicate in Xero keeping the xerowatch contact, or set "
            "[sync] adopt_name_matches = true"
        )
    if "archived" in text:
        return ARCHIVED_ALERT, (
            "Re-activate the contact in Xero (or set [sync] reactivate_archived = true)"
        )
    return REJECTED_ALERT, "Correct the learner's data in the source system; it is retried then"
