"""Xero contacts (spec `components.schemas.Contact`, `Address`, `Phone`)."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import Field

from xerowatch.xero.dates import XeroDateTime
from xerowatch.xero.models_base import ValidationMessage, XeroEnum, XeroModel


class ContactStatus(XeroEnum):
    """A contact's status; ARCHIVED and GDPRREQUEST contacts are read-only."""

    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"
    GDPRREQUEST = "GDPRREQUEST"


class AddressType(XeroEnum):
    """The two address slots a contact has."""

    POBOX = "POBOX"
    STREET = "STREET"


class PhoneType(XeroEnum):
    """The phone slots a contact has."""

    DEFAULT = "DEFAULT"
    DDI = "DDI"
    MOBILE = "MOBILE"
    FAX = "FAX"
    OFFICE = "OFFICE"


class Address(XeroModel):
    """A postal or street address of a contact."""

    address_type: AddressType | None = Field(None, alias="AddressType")
    address_line1: str | None = Field(None, alias="AddressLine1", max_length=500)
    address_line2: str | None = Field(None, alias="AddressLine2", max_length=500)
    address_line3: str | None = Field(None, alias="AddressLine3", max_length=500)
    address_line4: str | None = Field(None, alias="AddressLine4", max_length=500)
    city: str | None = Field(None, alias="City", max_length=255)
    region: str | None = Field(None, alias="Region", max_length=255)
    postal_code: str | None = Field(None, alias="PostalCode", max_length=50)
    country: str | None = Field(None, alias="Country", max_length=50)
    attention_to: str | None = Field(None, alias="AttentionTo", max_length=255)


class Phone(XeroModel):
    """A phone number of a contact."""

    phone_type: PhoneType | None = Field(None, alias="PhoneType")
    phone_number: str | None = Field(None, alias="PhoneNumber", max_length=50)
    phone_area_code: str | None = Field(None, alias="PhoneAreaCode", max_length=10)
    phone_country_code: str | None = Field(None, alias="PhoneCountryCode", max_length=20)


class ContactPerson(XeroModel):
    """Another person at a contact (spec `ContactPerson`): up to five, e.g. the billing contact."""

    first_name: str | None = Field(None, alias="FirstName", max_length=255)
    last_name: str | None = Field(None, alias="LastName", max_length=255)
    email_address: str | None = Field(None, alias="EmailAddress", max_length=255)
    include_in_emails: bool | None = Field(None, alias="IncludeInEmails")


class Contact(XeroModel):
    """A Xero contact; ContactNumber is the external key xerowatch writes and looks up."""

    response_only: ClassVar[frozenset[str]] = frozenset(
        {
            "merged_to_contact_id",
            "is_supplier",
            "is_customer",
            "updated_date_utc",
            "has_validation_errors",
            "validation_errors",
            "status_attribute_string",
        }
    )

    contact_id: UUID | None = Field(None, alias="ContactID")
    merged_to_contact_id: UUID | None = Field(None, alias="MergedToContactID")
    contact_number: str | None = Field(None, alias="ContactNumber", max_length=50)
    account_number: str | None = Field(None, alias="AccountNumber", max_length=50)
    contact_status: ContactStatus | None = Field(None, alias="ContactStatus")
    name: str | None = Field(None, alias="Name", max_length=255)
    first_name: str | None = Field(None, alias="FirstName", max_length=255)
    last_name: str | None = Field(None, alias="LastName", max_length=255)
    company_number: str | None = Field(None, alias="CompanyNumber", max_length=50)
    email_address: str | None = Field(None, alias="EmailAddress", max_length=255)
    tax_number: str | None = Field(None, alias="TaxNumber", max_length=50)
    default_currency: str | None = Field(None, alias="DefaultCurrency")
    addresses: list[Address] | None = Field(None, alias="Addresses")
    phones: list[Phone] | None = Field(None, alias="Phones")
    contact_persons: list[ContactPerson] | None = Field(None, alias="ContactPersons")
    is_supplier: bool | None = Field(None, alias="IsSupplier")
    is_customer: bool | None = Field(None, alias="IsCustomer")
    updated_date_utc: XeroDateTime | None = Field(None, alias="UpdatedDateUTC")
    has_validation_errors: bool | None = Field(None, alias="HasValidationErrors")
    validation_errors: list[ValidationMessage] | None = Field(None, alias="ValidationErrors")
    status_attribute_string: str | None = Field(None, alias="StatusAttributeString")

    def address(self, kind: AddressType) -> Address | None:
        """Return the address of the given type, if the contact has one."""
        return next((a for a in self.addresses or [] if a.address_type == kind), None)

    def validation_messages(self) -> list[str]:
        """Return the non-empty validation messages Xero attached to this contact."""
        return [m.message for m in self.validation_errors or [] if m.message]
