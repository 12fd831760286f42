"""What the referral services share: the audited fields, the audit call, the
row lock, and the consent gate."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from cases.consents.selectors import consent_decision_for
from navigator.audit import audit_record
from navigator.errors import Conflict, DomainError, NotFound
from navigator.models import User
from navigator.services import clean_reason
from referrals.models import Referral, ReferralGroup, Urgency
from referrals.selectors import ReferralAction, referral_access

AUDITED_FIELDS = (
    "agency_id",
    "service_id",
    "encounter_id",
    "reason",
    "info_classes",
    "urgency",
    "is_involuntary",
    "assigned_to_id",
    "consent_id",
    "consent_override_reason",
    "consent_override_by_id",
    "respond_by",
    "status",
    "status_reason",
    "declined_by",
    "outcome",
    "outcome_note",
)


def audit(
    by: User | None,
    action: str,
    referral: Referral,
    changes: dict[str, Any],
    reason: str = "",
) -> None:
    audit_record(
        actor=by,
        action=action,
        obj=referral,
        person_id=referral.person_id,
        program_id=referral.program_id,
        changes=changes,
        reason=reason,
    )


def lock(
    referral: Referral | int, *, by: User | None, action: ReferralAction
) -> Referral:
    """The referral's row, locked; access asked again of the locked row (a
    direct service call enforces what the pages and the API do). ``by=None``
    is the system (a sweep), which needs no access."""
    pk = referral if isinstance(referral, int) else referral.pk
    group_id = Referral.objects.filter(pk=pk).values_list("group_id", flat=True).first()
    if group_id is not None:
        # A group's referrals move one at a time: its row is locked first, so
        # two agencies accepting at once queue instead of each holding its
        # own referral while waiting for the other's (a deadlock; the first
        # to accept cancels the others).
        ReferralGroup.objects.select_for_update().filter(pk=group_id).first()
    locked = (
        Referral.objects.select_for_update(of=("self",))
        .select_related("program", "person", "person__program", "agency")
        .filter(pk=pk)
        .first()
    )
    if locked is None:
        raise NotFound("No such referral.")
    if by is not None:
        referral_access(user=by, referral=locked, action=action)
    return locked


def local_today(referral: Referral) -> datetime.date:
    return timezone.localtime(timezone.now(), referral.program.tz).date()


def consent_gate(referral: Referral, *, by: User, override_reason: str) -> None:
    """A referral goes out only when the consent selector allows everything
    it carries to its agency — or, in an emergency, with an override whose
    reason is recorded and audited (HIPAA §164.510(b)(3) and 42 CFR §2.51:
    disclosure in a medical emergency)."""
    consents = None
    if referral.consent_id is not None:
        consents = [referral.consent] if referral.consent else None
    decision = consent_decision_for(
        person=referral.person,
        agency_id=referral.agency_id,
        info_classes=referral.carries or ["general"],
        consents=consents,
    )
    if decision.allowed:
        referral.consent = decision.consent
        referral.consent_override_reason = ""
        referral.consent_override_by = None
        referral.consent_override_at = None
        return
    override_reason = clean_reason(override_reason)
    if not override_reason:
        raise Conflict(
            "No consent allows sending this referral: " + decision.reason + ".",
            code="consent_required",
            fields={"consent": [decision.reason]},
        )
    if referral.urgency != Urgency.EMERGENCY:
        raise DomainError.for_field(
            "consent_override_reason",
            "Only an emergency referral may be sent without consent.",
            code="not_emergency",
        )
    referral.consent = None
    referral.consent_override_reason = override_reason
    referral.consent_override_by = by
    referral.consent_override_at = timezone.now()
