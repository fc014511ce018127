"""The `[connectwise]` settings section: ConnectWise Manage REST API client and mapping choices.

Kept beside `config.py` (which includes it as `Settings.connectwise`) so that module stays small.
Secrets come from the environment: `XEROWATCH_CONNECTWISE__PUBLIC_KEY` and `…__PRIVATE_KEY`.
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationInfo, field_validator

_VERSION = re.compile(r"^20\d\d\.\d{1,2}$")
_CODEBASE = re.compile(r"^[A-Za-z0-9_.-]+$")


def _check_site(value: str) -> str:
    from xerowatch.config import check_url

    url = check_url(value).rstrip("/")
    if url.count("/") > 2:
        raise ValueError(
            f"{value!r} must be the site only (e.g. https://api-na.myconnectwise.net); "
            "the codebase and /apis/3.0 are added by xerowatch"
        )
    return url


def parse_tracking(spec: str, key: str = "class_tracking") -> list[tuple[str, str]]:
    """`"Region:Sydney;Dept:Sales"` → [(category, option)…]: one or two distinct categories."""
    pairs: list[tuple[str, str]] = []
    for part in spec.split(";"):
        name, colon, option = part.partition(":")
        name, option = name.strip(), option.strip()
        if not colon or not name or not option or len(name) > 100 or len(option) > 100:
            raise ValueError(
                f'{key} = {spec!r}: write "Category:Option" (e.g. "Region:Sydney"), '
                'at most two joined by ";"'
            )
        pairs.append((name, option))
    if len(pairs) > 2 or len({n.casefold() for n, _ in pairs}) != len(pairs):
        raise ValueError(f"{key} = {spec!r}: Xero takes at most two different categories a line")
    return pairs


def check_locations(value: dict[str, list[int]]) -> dict[str, list[int]]:
    """Validate `locations`: tenant ids as Xero spells them, each billing location in one."""
    checked: dict[str, list[int]] = {}
    owner: dict[int, str] = {}
    for key, ids in value.items():
        try:
            tenant_id = str(uuid.UUID(key.strip()))
        except ValueError:
            raise ValueError(
                f"{key!r} is not a Xero tenant id: use the TENANT_ID `xerowatch connections` "
                "lists (e.g. 3fa85f64-5717-4562-b3fc-2c963f66afa6)"
            ) from None
        if not ids:
            raise ValueError(
                f"{tenant_id} lists no billing location: give its locationId(s), e.g. [1, 3], "
                "or remove it (a connected organisation not listed takes nothing)"
            )
        for location in ids:
            if location <= 0:
                raise ValueError(
                    f"{tenant_id}: {location} is not a location: billing location ids are "
                    "positive (System > Setup Tables > Location in ConnectWise)"
                )
            if location in owner and owner[location] != tenant_id:
                raise ValueError(
                    f"billing location {location} is mapped to both {owner[location]} and "
                    f"{tenant_id}: give each location to one organisation"
                )
            owner[location] = tenant_id
        checked[tenant_id] = sorted(set(ids))
    return checked


class ConnectWiseSettings(BaseModel):
    """ConnectWise Manage (PSA) REST API 3.0 client settings and mapping choices."""

    model_config = ConfigDict(extra="forbid")

    site_url: str = "https://api-na.myconnectwise.net"
    """Site only: api-na/api-eu/api-au.myconnectwise.net for cloud, your own host on premise."""
    codebase: str = "v4_6_release"
    """Path segment before /apis/3.0 (GET /login/companyinfo/{company} names yours)."""
    company_id: str = ""
    """The company id typed in the ConnectWise login box."""
    public_key: SecretStr | None = None
    """API member public key; prefer XEROWATCH_CONNECTWISE__PUBLIC_KEY."""
    private_key: SecretStr | None = None
    """API member private key; prefer XEROWATCH_CONNECTWISE__PRIVATE_KEY."""
    client_id: str = ""
    """The integration's clientId GUID from developer.connectwise.com (sent on every request)."""
    api_version: str = "2025.8"
    """Pinned API version for the Accept header (application/vnd.connectwise.com+json)."""
    page_size: int = Field(1000, ge=1, le=1000)
    """Records per list page (ConnectWise's hard limit is 1,000)."""
    max_concurrent: int = Field(4, ge=1, le=32)
    """Requests in flight at once (ConnectWise publishes no quota; 429 Retry-After is honoured)."""
    timeout_seconds: float = Field(30.0, gt=0)
    """Per-request timeout."""
    max_attempts: int = Field(6, ge=1)
    """Attempts for 429, 5xx and network failures before giving up."""
    overlap_seconds: int = Field(300, ge=0)
    """Re-read this window before the lastUpdated cursor so boundary records are never missed."""
    location_id: int | None = None
    """Billing location (locationId) the one Xero organisation takes; unset = every location."""
    locations: dict[str, list[int]] = Field(default_factory=dict)
    """Several organisations: Xero tenant id (as `xerowatch connections` lists it) → the
    billing location ids (locationId) it takes; a connected organisation not listed takes
    nothing. Empty = one organisation, filtered by `location_id`."""
    contact_key: Literal["company_id", "identifier", "account_number"] = "company_id"
    """What becomes the Xero ContactNumber: the company's numeric id (never changes on rename),
    its identifier, or its finance account number."""
    account_codes: dict[str, str] = Field(default_factory=dict)
    """ConnectWise GL account number → Xero account code; unlisted numbers are used as given."""
    tax_types: dict[str, str] = Field(default_factory=dict)
    """ConnectWise tax code (or its xref) → Xero TaxType for taxable lines."""
    exempt_tax_type: str = "EXEMPTOUTPUT"
    """Xero TaxType of lines ConnectWise marks not taxable."""
    tax_rates: dict[str, Decimal] = Field(default_factory=dict)
    """Xero TaxType → its rate in percent, to know Xero's tax before sending (the exempt type
    is 0 unless listed)."""
    rounding_account_code: str = ""
    """Xero account for a rounding line when Xero's per-line tax differs from ConnectWise's by
    at most a cent per line; empty = hold such invoices with an alert instead."""
    time_summary: Literal["account", "account_and_class"] = "account"
    """How time lines are aggregated into summary lines: per account (and tax), or also per
    ConnectWise GL class."""
    time_description: str = "Professional services"
    """Description of an aggregated time summary line (hours are appended)."""
    invoice_unit_in_description: bool = False
    """Append ConnectWise's unit of measure to an invoice product line's description, e.g.
    "Backup licence (per Month)" (Xero invoice lines have no unit field)."""
    agreement_item_code: str = ""
    """Xero item code for agreement lines (they carry no product); empty = no item code."""
    expense_account_codes: dict[str, str] = Field(default_factory=dict)
    """Expense classification (Reimbursable, NonReimbursable; Personal for its supplier credit
    note) → Xero account code of its lines; an expense whose classification is not listed is
    held."""
    expense_tax_type: str = "INPUT"
    """Xero TaxType of expense bill lines; amounts are sent tax-inclusive so the bill's total
    is ConnectWise's total whatever the rate."""
    expense_grouping: Literal["none", "weekly"] = "none"
    """"none": one bill per expense; "weekly": one bill per member per ISO week (Mon-Sun)."""
    bill_due_days: int = Field(30, ge=0, le=365)
    """Days after its date a bill (from expenses or a packing slip) is due: ConnectWise's
    unposted records carry no due date."""
    member_contact_prefix: str = "CWM-"
    """A member's Xero ContactNumber is this prefix + the member identifier (bills for
    expenses go to the member)."""
    purchase_account_code: str = ""
    """Xero account code of purchase-order lines; empty = purchase orders are held."""
    purchase_tax_type: str = "INPUT"
    """Xero TaxType of purchase-order lines (tax-inclusive, as for expenses)."""
    purchase_unit_in_description: bool = True
    """Append ConnectWise's unit of measure to a purchase line's description (Xero purchase
    order lines have no unit field)."""
    purchase_to_inventory: bool = False
    """Inventory: purchase-order and packing-slip bill lines go to the inventory account of the
    warehouse they are received into (`warehouse_inventory_accounts`) instead of
    `purchase_account_code`; a line of an unlisted warehouse holds its purchase order."""
    purchase_bills_per_packing_slip: bool = False
    """Also make one ACCPAY bill per packing slip from the received lines (part shipments)."""
    warehouse_inventory_accounts: dict[str, str] = Field(default_factory=dict)
    """ConnectWise warehouse name → Xero inventory asset account code (Wise-Sync uses the
    warehouse's locationXref); an adjustment touching an unlisted warehouse is held."""
    inventory_adjustment_account: str = ""
    """Xero account an inventory adjustment's other side goes to (e.g. stock write-offs);
    empty = adjustments are held."""
    cost_of_sale: bool = False
    """Journal the cost of sale of each synced invoice's product lines (Dr COGS, Cr inventory,
    from the lines' costAccountNumber / inventoryAccountNumber through `account_codes`)."""
    cost_of_sale_account: str = ""
    """Xero COGS account for product lines ConnectWise sends without a costAccountNumber;
    empty = such an invoice's cost-of-sale journal is held."""
    class_tracking: dict[str, str] = Field(default_factory=dict)
    """ConnectWise GL class → Xero tracking as "Category:Option" (two pairs joined by ";" at
    most), put on the invoice lines of that class."""
    class_tracking_required: bool = False
    """Hold an invoice with a line whose GL class is not in `class_tracking` (else the line
    goes without tracking)."""

    @field_validator("class_tracking")
    @classmethod
    def _tracking(cls, value: dict[str, str]) -> dict[str, str]:
        for gl_class, spec in value.items():
            parse_tracking(spec, f"class_tracking.{gl_class}")
        return value

    @field_validator("locations")
    @classmethod
    def _locations(cls, value: dict[str, list[int]], info: ValidationInfo) -> dict[str, list[int]]:
        if value and info.data.get("location_id") is not None:  # declared before locations
            raise ValueError(
                "location_id and locations are both set: location_id is for a single "
                "organisation; put its location in locations and remove location_id"
            )
        return check_locations(value)

    def tenant_locations(self, tenant_id: str) -> tuple[int, ...] | None:
        """The billing locations an organisation takes: () = every one, None = none (not in
        `locations` while others are)."""
        if not self.locations:
            return (self.location_id,) if self.location_id else ()
        found = self.locations.get(tenant_id.strip().lower())
        return tuple(found) if found is not None else None

    @field_validator("tax_rates")
    @classmethod
    def _rates(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        for tax_type, rate in value.items():
            if not Decimal(0) <= rate < Decimal(100):
                raise ValueError(f"tax_rates.{tax_type} = {rate}: a percentage from 0 to 100")
        return value

    @field_validator("site_url")
    @classmethod
    def _site(cls, value: str) -> str:
        return _check_site(value)

    @field_validator("codebase")
    @classmethod
    def _codebase(cls, value: str) -> str:
        value = value.strip().strip("/")
        if not _CODEBASE.match(value):
            raise ValueError(f"{value!r} is not a codebase such as v4_6_release or v2025_1")
        return value

    @field_validator("client_id")
    @classmethod
    def _client_id(cls, value: str) -> str:
        value = value.strip()
        if value:
            try:
                uuid.UUID(value)
            except ValueError:
                raise ValueError(
                    f"{value!r} is not a GUID: use the clientId issued at "
                    "developer.connectwise.com (e.g. 3fa85f64-5717-4562-b3fc-2c963f66afa6)"
                ) from None
        return value

    @field_validator("api_version")
    @classmethod
    def _version(cls, value: str) -> str:
        value = value.strip()
        if not _VERSION.match(value):
            raise ValueError(f"{value!r} is not a ConnectWise release such as 2025.8")
        return value

    @property
    def api_base_url(self) -> str:
        """`https://{site}/{codebase}/apis/3.0`."""
        return f"{self.site_url}/{self.codebase}/apis/3.0"

    def missing_credentials(self) -> str | None:
        """Name the first credential the client cannot work without, or None when all are set."""
        if not self.company_id.strip():
            return "company_id"
        if self.public_key is None or not self.public_key.get_secret_value():
            return "public_key"
        if self.private_key is None or not self.private_key.get_secret_value():
            return "private_key"
        if not self.client_id:
            return "client_id"
        return None
