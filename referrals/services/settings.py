"""A program's referral rules (managers): respond-by days by urgency, when
an unanswered referral goes to the managers, when an idle one expires, and
when to propose a follow-up after an acceptance."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from django.db import transaction

from navigator.audit import audit_record, diff, snapshot
from navigator.errors import DomainError
from navigator.models import AuditAction, Program, User
from navigator.selectors import program_access
from navigator.services import validate_model
from referrals.models import ReferralSettings


@dataclass(frozen=True)
class ReferralSettingsData:
    respond_days_routine: int
    respond_days_urgent: int
    respond_days_emergency: int
    escalate_after_days: int
    expire_after_days: int
    followup_after_accept_days: int


SETTINGS_FIELDS = tuple(ReferralSettingsData.__dataclass_fields__)


@transaction.atomic
def referral_settings_save(
    *, by: User, program: Program, data: ReferralSettingsData
) -> ReferralSettings:
    """Save the program's settings (the first save creates the row; until
    then everyone reads the defaults). Audited; an unchanged save writes
    nothing."""
    program_access(user=by, program_id=program.pk)
    config = ReferralSettings.objects.select_for_update().filter(
        program=program
    ).first() or ReferralSettings(program=program)
    created = config.pk is None
    before = {} if created else snapshot(config, SETTINGS_FIELDS)
    for name, value in asdict(data).items():
        setattr(config, name, value)
    validate_model(config, exclude=["program"])
    slowest = max(
        config.respond_days_routine,
        config.respond_days_urgent,
        config.respond_days_emergency,
    )
    if config.expire_after_days <= slowest + config.escalate_after_days:
        # Expiry counts from the last move (the request), escalation from
        # the respond-by date: expiring first would skip the managers.
        raise DomainError.for_field(
            "expire_after_days",
            "Must be more than the longest respond-by time plus the days "
            f"before managers are told ({slowest + config.escalate_after_days}), "
            "or unanswered referrals expire before managers hear of them.",
            code="too_small",
        )
    changes = diff(before, snapshot(config, SETTINGS_FIELDS))
    if not changes and not created:
        return config
    config.save()
    audit_record(
        actor=by,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        obj=config,
        person_id=None,
        program_id=program.pk,
        changes=changes,
    )
    return config
