"""Scheduling follow-ups: one, an edit / reschedule / reassignment, and the
default plan after an encounter."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from types import EllipsisType
from typing import Any

from django.db import transaction
from django.utils import timezone

from cases.models import Encounter, FamilyContact, Person
from cases.services import EncounterData, encounter_log
from followups import reminders
from followups.models import Followup, FollowupPlanStep, Priority
from followups.selectors import assignable_users_for
from followups.services._common import AUDITED_FIELDS, _audit, _lock, _require_open
from navigator.audit import diff, snapshot
from navigator.errors import Conflict, DomainError
from navigator.models import AuditAction, Program, User
from navigator.selectors import is_staff_of
from navigator.services import clean_reason, validate_model


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


def _check_not_moved(
    field: str, current: int | None, given: Encounter | Person | int | None
) -> None:
    if given is None and field == "person":
        return
    given_id = given.pk if isinstance(given, Encounter | Person) else given
    if given_id != current:
        message = (
            "A follow-up cannot move to another person."
            if field == "person"
            else "The encounter of a follow-up cannot be changed."
        )
        raise DomainError.for_field(field, message, code="invalid")


@transaction.atomic
def followup_update(
    *,
    by: User,
    followup: Followup,
    due_at: datetime.datetime | None = None,
    assigned_to: User | None = None,
    data: dict[str, Any] | None = None,
    reason: str = "",
    person: Person | int | None = None,
    encounter: Encounter | int | None | EllipsisType = ...,
) -> Followup:
    """Reschedule, reassign, or edit method / contact / purpose / priority.

    ``person`` / ``encounter``, when given, must be the follow-up's own
    (clients echo a read): moving a follow-up to another person would move
    their record (issue 8: this was only in the API serializer).
    """
    reason = clean_reason(reason)
    followup = _lock(followup, by=by, action="edit")
    _check_not_moved("person", followup.person_id, person)
    if encounter is not ...:
        _check_not_moved("encounter", followup.encounter_id, encounter)
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


@transaction.atomic
def followups_schedule_plan(
    *,
    by: User,
    encounter: Encounter,
    steps: list[FollowupPlanStep],
    at: datetime.time = datetime.time(10, 0),
) -> list[Followup]:
    """Schedule the chosen default follow-ups of an encounter's disposition."""
    person = encounter.person
    if person is None:
        raise DomainError.for_field(
            "person", "Identify the person before scheduling follow-ups."
        )
    return [
        followup_schedule(
            by=by,
            person=person,
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


@dataclass(frozen=True)
class FollowupAfterEncounter:
    """The encounter form's "follow up in N days by …, at …": counted from
    the day of the encounter in its program's zone, like the plan's steps."""

    days: int
    method: str
    at: datetime.time = datetime.time(10, 0)


# What a follow-up's own fields are called in the encounter form's part.
_AFTER_ENCOUNTER_FIELDS = {"due_at": "days"}


@transaction.atomic
def encounter_log_with_followup(
    *,
    by: User,
    data: EncounterData,
    program: Program | int | None = None,
    person: Person | int | None = None,
    navigators: Iterable[User | int] | None = None,
    followup: FollowupAfterEncounter | None = None,
) -> tuple[Encounter, Followup | None]:
    """Log an encounter and the follow-up it calls for, in one transaction
    (issue 8): a follow-up that cannot be scheduled rolls the encounter back,
    and the error says why, so nothing is half saved."""
    encounter = encounter_log(
        by=by, data=data, program=program, person=person, navigators=navigators
    )
    if followup is None:
        return encounter, None
    if encounter.person is None:
        raise DomainError.for_field(
            "person",
            "To schedule a follow-up, choose the person (or leave the follow-up "
            "empty and link the encounter later).",
        )
    try:
        scheduled = followup_schedule(
            by=by,
            person=encounter.person,
            encounter=encounter,
            due_at=due_in_days(
                program=encounter.program,
                days=followup.days,
                at=followup.at,
                now=encounter.started_at,
            ),
            method=followup.method,
        )
    except DomainError as exc:
        raise type(exc)(
            f"The follow-up could not be scheduled, so nothing was saved: {exc.detail}",
            code=exc.code,
            fields={
                _AFTER_ENCOUNTER_FIELDS.get(name, name): messages
                for name, messages in exc.fields.items()
            },
        ) from exc
    return encounter, scheduled
