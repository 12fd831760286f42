"""What the people, contact and encounter services take as ``data``.

TypedDicts rather than ``dict[str, Any]``: the keys a caller may send, and
what each holds, are the contract (STYLE.md). ``total=False``: a key that is
absent is not given (an update leaves that field alone). Values are what a
form or serializer has already typed; text is stripped by the service, and
``None`` for a field that cannot be empty means "not given"
(cases.services._input.assign).
"""

from __future__ import annotations

import datetime
import decimal
from typing import TypedDict


class PersonData(TypedDict, total=False):
    external_id: str
    first_name: str
    middle_name: str
    last_name: str
    preferred_name: str
    date_of_birth: datetime.date | None
    dob_precision: str  # DobPrecision; given without a date's precision: exact
    # Years; becomes an estimated date of birth (cases.services.people).
    estimated_age: int | str | None
    gender: list[str]  # Gender values (HMIS 3.06)
    race_ethnicity: list[str]  # RaceEthnicity values (HMIS 3.04)
    veteran_status: str
    primary_language: str
    phone: str
    email: str
    sms_consent: bool
    housing_situation: str
    street_address: str
    city: str
    state: str
    postal_code: str
    location_notes: str
    safety_notes: str
    unparsed: dict[str, str]  # raw values an import could not store


class FamilyContactData(TypedDict, total=False):
    name: str
    relationship: str
    phone: str
    email: str
    may_contact: bool
    notes: str


class Officer(TypedDict, total=False):
    name: str
    badge: str


class EncounterData(TypedDict, total=False):
    unidentified_description: str
    started_at: datetime.datetime  # naive: in the program's time zone
    minutes_engaged: int | None
    location_text: str
    latitude: decimal.Decimal | float | str | None
    longitude: decimal.Decimal | float | str | None
    source: str  # EncounterSource
    response_model: str  # blank: the program's own
    cad_number: str
    officers: list[Officer]
    concerns: list[str]  # Concern values
    narrative: str
    disposition: str  # Disposition
    diverted: bool
    police_backup_needed: bool
