"""Consents for the registry tests' worlds (disclosure doors, broker
outage, injection): a partner agency and a consent recorded through the
service, with its scanned form."""

from __future__ import annotations

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cases.consents.services import ConsentData, consent_record
from cases.models import Consent, Person
from navigator.models import User
from referrals.models import Agency
from tests.referrals.factories import partner_of

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def consent_post(agency: Agency, **overrides: object) -> dict:
    """The consent form's POST, complete for every §2.31 element."""
    today = timezone.localdate()
    data: dict = {
        "recipient_kind": "agency",
        "agency": str(agency.pk),
        "purpose": "care_coordination",
        "info_classes": ["general", "substance_use"],
        "information_description": "Contact details and substance-use history",
        "discloser": "The program",
        "signed_on": today.isoformat(),
        "expires_on": (today + datetime.timedelta(days=365)).isoformat(),
        "method": "signed_form",
        "signature_obtained": "on",
        "right_to_revoke_stated": "on",
        "redisclosure_statement": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def consent_api_body(agency: Agency, **overrides: object) -> dict:
    today = timezone.localdate()
    body: dict = {
        "recipient_kind": "agency",
        "agency": agency.pk,
        "purpose": "care_coordination",
        "info_classes": ["general", "substance_use"],
        "information_description": "Contact details and substance-use history",
        "discloser": "The program",
        "signed_on": today.isoformat(),
        "expires_on": (today + datetime.timedelta(days=365)).isoformat(),
        "method": "signed_form",
        "signature_obtained": True,
        "right_to_revoke_stated": True,
        "redisclosure_statement": True,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def recorded_consent(
    person: Person,
    *,
    by: User,
    agency: Agency | None = None,
    with_form: bool = True,
    notes: str = "",
) -> Consent:
    agency = agency or partner_of(person.program)
    today = timezone.localdate()
    return consent_record(
        by=by,
        person=person,
        data=ConsentData(
            purpose="care_coordination",
            info_classes=["general", "substance_use"],
            signed_on=today,
            expires_on=today + datetime.timedelta(days=365),
            method="signed_form",
            agency_id=agency.pk,
            information_description="Contact details and substance-use history",
            discloser="The program",
            signature_obtained=True,
            right_to_revoke_stated=True,
            redisclosure_statement=True,
            notes=notes,
        ),
        form_upload=SimpleUploadedFile("ROI.pdf", PDF) if with_form else None,
    )
