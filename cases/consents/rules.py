"""What makes a consent count: plain functions of its fields, no queries.

42 CFR §2.31(a) (as amended by the 2024 final rule, 89 FR 12472): a written
consent to disclose Part 2 (substance-use) records must include each element
below. A consent missing one is kept and shown as incomplete, never treated
as valid for substance-use information (§2.31(c): a consent that does not
conform is deficient).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from cases.models import Consent, ConsentMethod, RecipientKind
from cases.models.consent import TPO_PURPOSES

# Element code → what the form and the API say is missing.
PART2_ELEMENTS: dict[str, str] = {
    # §2.31(a)(1): the patient's name — the consent belongs to a person.
    "patient": "the person the consent is about",
    # §2.31(a)(2)
    "discloser": "who may disclose the information",
    # §2.31(a)(3)
    "information_description": "a specific description of the information",
    # §2.31(a)(4)
    "recipients": "who may receive it (an agency, or a class of recipients)",
    # §2.31(a)(5)
    "purpose": "the purpose of the disclosure",
    # §2.31(a)(6)
    "right_to_revoke": "a statement of the right to revoke and how",
    # §2.31(a)(7)
    "expiry": "an expiry date or event",
    # §2.31(a)(8): a written or electronic signature; a verbal consent,
    # even witnessed, is not one.
    "signature": "the person's signature (written or electronic)",
    # §2.31(a)(9)
    "date_signed": "the date it was signed",
    # §2.31(a)(4)(iii)(B), §2.32(b): treatment, payment, operations.
    "redisclosure_statement": "the statement on redisclosure (treatment, "
    "payment or operations consents)",
}


def part2_missing_elements(consent: Consent) -> list[str]:
    """Codes of the §2.31 elements this consent lacks (empty: complete)."""
    missing: list[str] = []
    if not consent.person_id:
        missing.append("patient")
    if not consent.discloser.strip():
        missing.append("discloser")
    if not consent.information_description.strip():
        missing.append("information_description")
    if consent.recipient_kind == RecipientKind.AGENCY and not consent.agency_id:
        missing.append("recipients")
    if not consent.purpose:
        missing.append("purpose")
    if not consent.right_to_revoke_stated:
        missing.append("right_to_revoke")
    if consent.expires_on is None and not consent.expiry_event.strip():
        missing.append("expiry")
    if (
        consent.method == ConsentMethod.VERBAL_WITNESSED
        or not consent.signature_obtained
    ):
        missing.append("signature")
    if consent.signed_on is None:
        missing.append("date_signed")
    if consent.purpose in TPO_PURPOSES and not consent.redisclosure_statement:
        missing.append("redisclosure_statement")
    return missing


def describe_missing(codes: list[str]) -> str:
    return "; ".join(PART2_ELEMENTS[c] for c in codes)


class ConsentState:
    """How a consent stands on a given day (for display and the selector)."""

    ACTIVE = "active"
    EXPIRING = "expiring"  # active, ends within EXPIRING_SOON
    NOT_YET = "not_yet"  # signed in the future (typed ahead)
    EXPIRED = "expired"
    REVOKED = "revoked"
    DELETED = "deleted"


EXPIRING_SOON = datetime.timedelta(days=30)


@dataclass(frozen=True)
class Standing:
    state: str
    # Why it does not count today ("" when it does).
    reason: str


def consent_standing(consent: Consent, *, today: datetime.date) -> Standing:
    """Does the consent count on ``today`` (the program's local date), for
    any information class? Expiry is by date: the day after ``expires_on``
    it no longer counts, with nobody having to do anything."""
    if consent.deleted_at is not None:
        return Standing(ConsentState.DELETED, "it was recorded in error")
    if consent.revoked_at is not None:
        return Standing(
            ConsentState.REVOKED, f"it was revoked on {consent.revoked_at:%Y-%m-%d}"
        )
    if consent.signed_on is None:
        # A draft on the form, before the date parses.
        return Standing(ConsentState.NOT_YET, "it has no date signed")
    if consent.signed_on > today:
        return Standing(ConsentState.NOT_YET, "it is dated in the future")
    if consent.expires_on is not None and consent.expires_on < today:
        return Standing(
            ConsentState.EXPIRED, f"it expired on {consent.expires_on:%Y-%m-%d}"
        )
    if consent.expires_on is not None and consent.expires_on - today <= EXPIRING_SOON:
        return Standing(ConsentState.EXPIRING, "")
    return Standing(ConsentState.ACTIVE, "")
