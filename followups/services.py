"""Writes of follow-ups. Each is audited on the person's trail and (re)plans
the follow-up's reminders in the same transaction, so a rolled-back follow-up
leaves no reminder behind.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from cases.models import Encounter, FamilyContact, Person
from followups import reminders
from followups.models import (
    CalendarFeed,
    Delivery,
    Followup,
    FollowupPlanStep,
    FollowupSettings,
    NotificationPreference,
    Outcome,
    Priority,
    ReminderKind,
    Status,
)
from followups.selectors import (
    FollowupAction,
    assignable_users_for,
    followup_access,
    reminders_access,
)
from navigator import disclosure
from navigator.audit import audit_record, diff, snapshot
from navigator.errors import Conflict, DomainError
from navigator.models import AuditAction, Program, User
from navigator.selectors import is_staff_of, program_access, staff_program_ids_for
from navigator.services import clean_reason, validate_model

AUDITED_FIELDS = (
    "due_at",
    "assigned_to_id",
    "method",
    "contact_id",
    "purpose",
    "priority",
    "status",
    "remind_person",
    "outcome",
    "notes",
    "completed_at",
    "completed_by_id",
    "cancelled_reason",
)


def due_at_local(
    *, program: Program, day: datetime.date, at: datetime.time
) -> datetime.datetime:
    """A wall-clock time in the program's zone as an aware instant.

    ``day`` + ``at`` are interpreted in the program's time zone, so "in 2
    days at 09:00" stays 09:00 local across a DST change.
    """
    return datetime.datetime.combine(day, at, tzinfo=program.tz)


def due_in_days(
    *,
    program: Program,
    days: int,
    at: datetime.time,
    now: datetime.datetime | None = None,
) -> datetime.datetime:
    local_today = timezone.localtime(now or timezone.now(), program.tz).date()
    return due_at_local(
        program=program, day=local_today + datetime.timedelta(days=days), at=at
    )


# Far enough for an annual check-in or a backdated entry; anything beyond is
# a typo, and years near 1 or 9999 overflow when shifted between time zones
# (reminder times, the calendar feed, rendering).
DUE_AT_RANGE = datetime.timedelta(days=5 * 366)
DUE_AT_RANGE_MESSAGE = "Give a due time within 5 years of today."


def due_at_in_range(value: datetime.datetime) -> bool:
    """Whether a due time is within DUE_AT_RANGE of now. A naive value (a
    form's wall-clock time, not yet in its zone) is compared as if UTC: at a
    range of years the hours of an offset do not matter."""
    probe = value if timezone.is_aware(value) else value.replace(tzinfo=datetime.UTC)
    now = timezone.now()
    return now - DUE_AT_RANGE <= probe <= now + DUE_AT_RANGE


def _check_due_at(value: datetime.datetime | None) -> None:
    if value is None or timezone.is_naive(value):
        raise DomainError.for_field("due_at", "Give the due date and time.")
    if not due_at_in_range(value):
        raise DomainError.for_field("due_at", DUE_AT_RANGE_MESSAGE, code="out_of_range")


def _audit(
    by: User | None, action: str, followup: Followup, changes: dict, reason: str = ""
) -> None:
    audit_record(
        actor=by,
        action=action,
        obj=followup,
        person_id=followup.person_id,
        program_id=followup.program_id,
        changes=changes,
        reason=reason,
    )


def _check_assignee(program: Program, user: User) -> None:
    if not assignable_users_for(program=program).filter(pk=user.pk).exists():
        raise DomainError.for_field(
            "assigned_to", "Assign the follow-up to a staff member of the program."
        )


def _check_contact(person: Person, contact: FamilyContact | None) -> None:
    if contact is None:
        return
    if contact.person_id != person.pk or contact.is_deleted:
        raise DomainError.for_field("contact", "Not one of this person's contacts.")
    if not contact.may_contact:
        raise DomainError.for_field(
            "contact",
            f"{person.display_name} has not agreed that we contact "
            f"{contact.name}; record their agreement on the contact first.",
            code="no_consent",
        )


def _check_staff(by: User, program_id: int) -> None:
    # The person is named in the input: not the caller's is bad input on
    # that field (400), as for the encounter and contact it names.
    if not is_staff_of(user=by, program_id=program_id):
        raise DomainError.for_field("person", "No such person.", code="not_found")


@transaction.atomic
def followup_schedule(
    *,
    by: User,
    person: Person,
    due_at: datetime.datetime,
    method: str,
    assigned_to: User | None = None,
    contact: FamilyContact | None = None,
    purpose: str = "",
    priority: str = Priority.ROUTINE,
    encounter: Encounter | None = None,
    remind_person: bool = False,
) -> Followup:
    _check_staff(by, person.program_id)
    if person.is_deleted:
        raise Conflict("This person's record is deleted; restore it first.")
    if encounter is not None and encounter.person_id != person.pk:
        raise DomainError.for_field("encounter", "That encounter is not this person's.")
    assignee = assigned_to or by
    _check_assignee(person.program, assignee)
    _check_contact(person, contact)
    _check_due_at(due_at)
    followup = Followup(
        program=person.program,
        person=person,
        encounter=encounter,
        due_at=due_at,
        assigned_to=assignee,
        method=method,
        contact=contact,
        purpose=purpose,
        priority=priority,
        remind_person=remind_person,
        created_by=by,
    )
    validate_model(followup, exclude=["created_by", "completed_by"])
    followup.save()
    reminders.plan_for_followup(followup)
    _audit(
        by,
        AuditAction.CREATE,
        followup,
        {
            k: [None, v]
            for k, v in snapshot(followup, AUDITED_FIELDS).items()
            if v not in (None, "", False)
        },
    )
    return followup


def _lock(followup: Followup, *, by: User, action: FollowupAction) -> Followup:
    # Access asked again of the locked row: a direct service call enforces
    # what the pages and the API do (followups.selectors.followup_access).
    locked = (
        Followup.objects.select_for_update(of=("self",))
        .select_related("program", "person")
        .get(pk=followup.pk)
    )
    followup_access(user=by, followup=locked, action=action)
    return locked


def _require_open(followup: Followup, doing: str) -> None:
    if followup.status != Status.SCHEDULED:
        raise Conflict(
            f"Cannot {doing} a follow-up that is {followup.get_status_display().lower()}.",
            code="invalid_transition",
        )


@transaction.atomic
def followup_update(
    *,
    by: User,
    followup: Followup,
    due_at: datetime.datetime | None = None,
    assigned_to: User | None = None,
    data: dict[str, Any] | None = None,
    reason: str = "",
) -> Followup:
    """Reschedule, reassign, or edit method / contact / purpose / priority."""
    reason = clean_reason(reason)
    followup = _lock(followup, by=by, action="edit")
    _require_open(followup, "change")
    before = snapshot(followup, AUDITED_FIELDS)
    allowed = {"method", "contact", "purpose", "priority", "remind_person"}
    data = dict(data or {})
    unknown = set(data) - allowed
    if unknown:
        raise DomainError(
            "Unknown field(s): " + ", ".join(sorted(unknown)),
            fields={k: ["Unknown field."] for k in sorted(unknown)},
        )
    if "contact" in data:
        _check_contact(followup.person, data["contact"])
    for name, value in data.items():
        setattr(followup, name, value)
    if due_at is not None:
        _check_due_at(due_at)
        followup.due_at = due_at
    if assigned_to is not None:
        _check_assignee(followup.program, assigned_to)
        followup.assigned_to = assigned_to
    validate_model(followup, exclude=["created_by", "completed_by"])
    changes = diff(before, snapshot(followup, AUDITED_FIELDS))
    if not changes:
        return followup
    replan = {"due_at", "assigned_to_id", "remind_person", "method"} & set(changes)
    if replan:
        followup.generation += 1
    followup.save()
    if replan:
        reminders.plan_for_followup(followup)
    _audit(by, AuditAction.UPDATE, followup, changes, reason)
    return followup


def followup_reschedule(
    *, by: User, followup: Followup, due_at: datetime.datetime, reason: str = ""
) -> Followup:
    return followup_update(by=by, followup=followup, due_at=due_at, reason=reason)


def followup_reassign(*, by: User, followup: Followup, assigned_to: User) -> Followup:
    return followup_update(by=by, followup=followup, assigned_to=assigned_to)


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
    followup = _lock(followup, by=by, action="complete")
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
def followups_schedule_plan(
    *,
    by: User,
    encounter: Encounter,
    steps: list[FollowupPlanStep],
    at: datetime.time = datetime.time(10, 0),
) -> list[Followup]:
    """Schedule the chosen default follow-ups of an encounter's disposition."""
    if encounter.person_id is None:
        raise DomainError.for_field(
            "person", "Identify the person before scheduling follow-ups."
        )
    return [
        followup_schedule(
            by=by,
            person=encounter.person,
            encounter=encounter,
            due_at=due_in_days(
                program=encounter.program,
                days=step.days_after,
                at=at,
                now=encounter.started_at,
            ),
            method=step.method,
            purpose=step.purpose,
            priority=step.priority,
        )
        for step in steps
        if step.program_id == encounter.program_id
    ]


def _require_manager(by: User, program: Program) -> None:
    program_access(user=by, program_id=program.pk)


@transaction.atomic
def followup_settings_update(
    *, by: User, program: Program, data: dict[str, Any]
) -> FollowupSettings:
    _require_manager(by, program)
    config, _ = FollowupSettings.objects.select_for_update().get_or_create(
        program=program
    )
    before = snapshot(config)
    for name, value in data.items():
        if name in ("id", "program", "program_id"):
            continue
        setattr(config, name, value)
    validate_model(config)
    changes = diff(before, snapshot(config))
    if changes:
        config.save()
        audit_record(
            actor=by,
            action=AuditAction.UPDATE,
            obj=config,
            person_id=None,
            program_id=program.pk,
            changes=changes,
        )
    return config


@transaction.atomic
def followup_plan_step_add(
    *,
    by: User,
    program: Program,
    disposition: str,
    days_after: int,
    method: str,
    purpose: str = "",
    priority: str = Priority.ROUTINE,
) -> FollowupPlanStep:
    _require_manager(by, program)
    step = FollowupPlanStep(
        program=program,
        disposition=disposition,
        days_after=days_after,
        method=method,
        purpose=purpose,
        priority=priority,
    )
    validate_model(step)
    step.save()
    audit_record(
        actor=by,
        action=AuditAction.CREATE,
        obj=step,
        person_id=None,
        program_id=program.pk,
        changes=diff({}, snapshot(step)),
    )
    return step


@transaction.atomic
def followup_plan_step_remove(*, by: User, step: FollowupPlanStep) -> None:
    """Drop a default step. A setting, not a record about a person: it goes,
    and the audit event keeps what it was."""
    _require_manager(by, step.program)
    audit_record(
        actor=by,
        action=AuditAction.DELETE,
        obj=step,
        person_id=None,
        program_id=step.program_id,
        changes={k: [v, None] for k, v in snapshot(step).items()},
    )
    step.delete()


@transaction.atomic
def notification_preference_set(
    *, by: User, channel: str, phone: str = ""
) -> NotificationPreference:
    reminders_access(user=by)
    pref, _ = NotificationPreference.objects.get_or_create(user=by)
    pref.channel = channel
    pref.phone = phone
    validate_model(pref, exclude=["user"])
    if channel == "sms" and not phone:
        raise DomainError.for_field("phone", "Text reminders need a phone number.")
    pref.save()
    return pref


def deliveries_shown(*, by: User, deliveries: Iterable[Delivery]) -> None:
    """A reminder to the person served shows (masked) how to reach them:
    audited as part of their record. Staff reminders name no one.
    ``reminder__followup`` must be loaded (delivery_list_for_manager)."""
    with disclosure.batch() as recorder:
        for delivery in deliveries:
            reminder = delivery.reminder
            if reminder.kind != ReminderKind.PERSON or reminder.followup is None:
                continue
            recorder.note(
                by=by,
                person_id=reminder.followup.person_id,
                program_id=reminder.program_id,
                kind=disclosure.DELIVERY,
                object_id=delivery.pk,
                listed=True,
            )


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _audit_feed(
    by: User, action: str, feed: CalendarFeed, changes: dict, reason: str = ""
) -> None:
    # The feed spans all the user's programs, so no one program is named.
    audit_record(
        actor=by,
        action=action,
        obj=feed,
        person_id=None,
        program_id=None,
        changes=changes,
        reason=reason,
    )


def _revoke_feeds(*, by: User, reason: str) -> int:
    now = timezone.now()
    feeds = list(
        CalendarFeed.objects.select_for_update().filter(
            user=by, revoked_at__isnull=True
        )
    )
    for feed in feeds:
        before = snapshot(feed, ["revoked_at"])
        feed.revoked_at = now
        feed.save(update_fields=["revoked_at"])
        # A revocation ends the link for good: the feed's "soft delete".
        _audit_feed(
            by,
            AuditAction.DELETE,
            feed,
            diff(before, snapshot(feed, ["revoked_at"])),
            reason,
        )
    return len(feeds)


@transaction.atomic
def calendar_feed_create(*, by: User) -> tuple[CalendarFeed, str]:
    """A new private feed URL token (shown once); older feeds are revoked.

    Audited, and so is each revocation: the link shows the user's schedule to
    whoever holds it. The token and its hash stay out of the audit log.
    """
    reminders_access(user=by)
    _revoke_feeds(by=by, reason="A new calendar link replaced it.")
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.create(user=by, token_hash=_hash(token))
    _audit_feed(by, AuditAction.CREATE, feed, {"user_id": [None, by.pk]})
    return feed, token


@transaction.atomic
def calendar_feed_revoke(*, by: User) -> int:
    reminders_access(user=by)
    return _revoke_feeds(by=by, reason="Revoked by its owner.")


def calendar_feed_user(*, token: str) -> User | None:
    """Whose follow-ups a feed token shows; None for an unknown or revoked
    token, and for a user who no longer works with anyone's records (every
    staff membership deactivated, or the account): their link stops working,
    rather than answering an empty calendar."""
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(token_hash=_hash(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if feed is None or not staff_program_ids_for(user=feed.user):
        return None
    return feed.user
