"""Closing follow-ups: complete, missed, cancel."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from followups import reminders
from followups.models import Followup, Outcome, Status
from followups.services._common import AUDITED_FIELDS, _audit, _lock, _require_open
from navigator.audit import diff, snapshot
from navigator.errors import DomainError
from navigator.models import AuditAction, User
from navigator.services import clean_reason, validate_model


def _close(by: User, followup: Followup, status: str, **fields: Any) -> Followup:
    before = snapshot(followup, AUDITED_FIELDS)
    followup.status = status
    for name, value in fields.items():
        setattr(followup, name, value)
    validate_model(followup, exclude=["created_by", "completed_by"])
    followup.save()
    reminders.cancel_pending(followup)
    _audit(
        by,
        AuditAction.UPDATE,
        followup,
        diff(before, snapshot(followup, AUDITED_FIELDS)),
        fields.get("cancelled_reason", ""),
    )
    return followup


# A call made in the field is often written up later: "when it happened" may
# be given, up to this long ago (beyond that it is a typo, or a record that
# needs a note rather than a silent backdate).
COMPLETED_AT_MAX_AGE = datetime.timedelta(days=30)
COMPLETED_AT_RANGE_MESSAGE = "Give a time within the last 30 days."


def _when_it_happened(value: datetime.datetime | None) -> datetime.datetime:
    now = timezone.now()
    if value is None:
        return now
    if timezone.is_naive(value):
        raise DomainError.for_field("completed_at", "Give the date and time.")
    if value > now + datetime.timedelta(minutes=5):
        raise DomainError.for_field(
            "completed_at", "That time is in the future.", code="future"
        )
    if value < now - COMPLETED_AT_MAX_AGE:
        raise DomainError.for_field(
            "completed_at", COMPLETED_AT_RANGE_MESSAGE, code="out_of_range"
        )
    return min(value, now)


@transaction.atomic
def followup_complete(
    *,
    by: User,
    followup: Followup,
    outcome: str,
    notes: str = "",
    completed_at: datetime.datetime | None = None,
) -> Followup:
    """Record how it went; ``completed_at`` is when it happened (default now)."""
    when = _when_it_happened(completed_at)
    followup = _lock(followup)
    _require_open(followup, "complete")
    if outcome not in Outcome.values:
        raise DomainError.for_field("outcome", "Choose how the follow-up went.")
    return _close(
        by,
        followup,
        Status.COMPLETED,
        outcome=outcome,
        notes=notes,
        completed_at=when,
        completed_by=by,
    )


@transaction.atomic
def followup_mark_missed(
    *,
    by: User,
    followup: Followup,
    notes: str = "",
    completed_at: datetime.datetime | None = None,
) -> Followup:
    """Tried and could not happen (the person was not reached / not there)."""
    when = _when_it_happened(completed_at)
    followup = _lock(followup)
    _require_open(followup, "mark as missed")
    return _close(
        by,
        followup,
        Status.MISSED,
        notes=notes,
        completed_by=by,
        completed_at=when,
    )


@transaction.atomic
def followup_cancel(*, by: User, followup: Followup, reason: str) -> Followup:
    reason = clean_reason(reason, required="Say why the follow-up is cancelled.")
    followup = _lock(followup)
    _require_open(followup, "cancel")
    return _close(by, followup, Status.CANCELLED, cancelled_reason=reason)
