"""Closing follow-ups (complete, missed, cancel), unsuccessful tries that
keep one open (attempts), and undoing a mis-tapped closing."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from followups import reminders
from followups.models import (
    CLOSING_OUTCOMES,
    UNDO_WINDOW,
    AttemptOutcome,
    Followup,
    FollowupAttempt,
    Method,
    Status,
)
from followups.selectors import followup_settings_for
from followups.services._common import (
    AUDITED_FIELDS,
    _audit,
    _lock,
    _require_open,
)
from navigator.audit import audit_record, diff, snapshot
from navigator.errors import Conflict, DomainError, PermissionDenied
from navigator.models import AuditAction, User
from navigator.services import clean_reason, validate_model


def _close(by: User, followup: Followup, status: str, **fields: Any) -> Followup:
    before = snapshot(followup, AUDITED_FIELDS)
    followup.status = status
    for name, value in fields.items():
        setattr(followup, name, value)
    followup.closed_at = timezone.now()
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


def _when_it_happened(
    value: datetime.datetime | None, field: str = "completed_at"
) -> datetime.datetime:
    now = timezone.now()
    if value is None:
        return now
    if timezone.is_naive(value):
        raise DomainError.for_field(field, "Give the date and time.")
    if value > now + datetime.timedelta(minutes=5):
        raise DomainError.for_field(field, "That time is in the future.", code="future")
    if value < now - COMPLETED_AT_MAX_AGE:
        raise DomainError.for_field(
            field, COMPLETED_AT_RANGE_MESSAGE, code="out_of_range"
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
    followup = _lock(followup, by=by, action="complete")
    _require_open(followup, "complete")
    if outcome in AttemptOutcome.values:
        # Not reaching anyone is a try, not the end (issue 8): the follow-up
        # stays open and is tried again (followup_attempt).
        raise DomainError.for_field(
            "outcome",
            "Nobody was reached: record it as an attempt; the follow-up stays "
            "open and is tried again.",
            code="attempt_outcome",
        )
    if outcome not in CLOSING_OUTCOMES:
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
    followup = _lock(followup, by=by, action="missed")
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
    followup = _lock(followup, by=by, action="cancel")
    _require_open(followup, "cancel")
    return _close(by, followup, Status.CANCELLED, cancelled_reason=reason)


@transaction.atomic
def followup_attempt(
    *,
    by: User,
    followup: Followup,
    method: str,
    outcome: str,
    note: str = "",
    at: datetime.datetime | None = None,
) -> FollowupAttempt:
    """An unsuccessful try: recorded, and the follow-up stays open.

    ``method`` is how it was tried; blank means the follow-up's own method.
    It is due again ``attempt_retry_hours`` after the try (never earlier than
    it was due), with fresh reminders; the try that reaches the program's
    ``attempt_limit`` marks it escalated and tells the program managers
    once (an escalation reminder). ``at`` is when it happened (default now).
    """
    when = _when_it_happened(at, "at")
    followup = _lock(followup, by=by, action="attempt")
    _require_open(followup, "record an attempt on")
    if outcome not in AttemptOutcome.values:
        raise DomainError.for_field(
            "outcome", "Choose what happened (no answer, left a message)."
        )
    method = method or followup.method
    if method not in Method.values:
        raise DomainError.for_field("method", "Choose how it was tried.")
    attempt = FollowupAttempt(
        followup=followup,
        attempted_by=by,
        attempted_at=when,
        method=method,
        outcome=outcome,
        note=note,
    )
    validate_model(attempt, exclude=["followup", "attempted_by"])
    attempt.save()
    config = followup_settings_for(program=followup.program)
    tries = followup.attempts.count()
    before = snapshot(followup, AUDITED_FIELDS)
    if tries >= config.attempt_limit:
        # Tried enough: the managers decide what next; no automatic retry.
        if followup.escalated_at is None:
            followup.escalated_at = timezone.now()
            reminders.plan_attempt_escalation(followup)
    else:
        retry = when + datetime.timedelta(hours=config.attempt_retry_hours)
        followup.due_at = max(followup.due_at, retry)
    moved = diff(before, snapshot(followup, AUDITED_FIELDS))
    if moved:
        if "due_at" in moved:
            followup.generation += 1
        followup.save()
        if "due_at" in moved:
            reminders.plan_for_followup(followup)
    # One event for the write: the try, and what it did to the follow-up
    # (its new due time, its escalation) under ``followup.<field>``.
    audit_record(
        actor=by,
        action=AuditAction.CREATE,
        obj=attempt,
        person_id=followup.person_id,
        program_id=followup.program_id,
        changes={
            "followup_id": [None, followup.pk],
            "attempted_at": [None, when.isoformat()],
            "method": [None, method],
            "outcome": [None, outcome],
            **({"note": [None, note]} if note else {}),
            **{f"followup.{name}": change for name, change in moved.items()},
        },
    )
    attempt.followup = followup
    return attempt


def followup_undo_possible(
    *, by: User, followup: Followup, now: datetime.datetime | None = None
) -> bool:
    """Whether ``by`` may still undo this follow-up's closing (the pages ask)."""
    return (
        followup.status in (Status.COMPLETED, Status.MISSED)
        and followup.completed_by_id == by.pk
        and followup.closed_at is not None
        and (now or timezone.now()) - followup.closed_at <= UNDO_WINDOW
    )


@transaction.atomic
def followup_undo_close(*, by: User, followup: Followup) -> Followup:
    """Reopen a follow-up its author completed (or marked missed) a few
    minutes ago: scheduled again as it was, with fresh reminders. Audited;
    the outcome and notes it drops stay in the audit event."""
    followup = _lock(followup, by=by, action="undo")
    if followup.status not in (Status.COMPLETED, Status.MISSED):
        raise Conflict(
            f"Only a completed or missed follow-up can be undone; this one is "
            f"{followup.get_status_display().lower()}.",
            code="invalid_transition",
        )
    if followup.completed_by_id != by.pk:
        raise PermissionDenied("Only the person who closed it can undo that.")
    if not followup_undo_possible(by=by, followup=followup):
        minutes = int(UNDO_WINDOW.total_seconds() // 60)
        raise Conflict(
            f"It can be undone only within {minutes} minutes; schedule a new "
            "follow-up instead.",
            code="undo_expired",
        )
    before = snapshot(followup, AUDITED_FIELDS)
    followup.status = Status.SCHEDULED
    followup.outcome = ""
    followup.notes = ""
    followup.completed_at = None
    followup.completed_by = None
    followup.closed_at = None
    followup.generation += 1
    validate_model(followup, exclude=["created_by", "completed_by"])
    followup.save()
    reminders.plan_for_followup(followup)
    _audit(
        by,
        AuditAction.UPDATE,
        followup,
        diff(before, snapshot(followup, AUDITED_FIELDS)),
        "Closing undone by its author.",
    )
    return followup
