"""Writes of familiar faces: rules, dismissals, enrollments. Audited.

Evaluation itself (raising / clearing flags) is in ``evaluation``; changes
here queue a re-evaluation on commit.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from cases.familiar import evaluation
from cases.models import (
    EnrollmentStatus,
    FamiliarFaceEnrollment,
    FamiliarFaceFlag,
    FamiliarFacesRule,
    FlagStatus,
    Person,
)
from navigator import disclosure, outbox
from navigator.audit import audit_record, diff, snapshot
from navigator.errors import Conflict, DomainError, NotFound, PermissionDenied
from navigator.models import AuditAction, Program, Role, User
from navigator.selectors import is_manager_of, program_ids_for
from navigator.services import clean_reason, validate_model

RULE_FIELDS = (
    "name",
    "min_encounters",
    "window_days",
    "sources",
    "concerns",
    "dispositions",
    "is_active",
)
# The default for a new program (issue 4): 4 encounters in 90 days.
DEFAULT_RULE = {"name": "4 contacts in 90 days", "min_encounters": 4, "window_days": 90}


def _require_manager(by: User, program_id: int) -> None:
    if not is_manager_of(user=by, program_id=program_id):
        if program_id in program_ids_for(user=by):
            raise PermissionDenied("Only the program's managers can do this.")
        raise NotFound("No such program.")


def _queue_program_evaluation(program_id: int) -> None:
    from cases import tasks

    outbox.enqueue(tasks.familiar_faces_evaluate_program, program_id)


def rules_ensure_default(*, program: Program) -> list[FamiliarFacesRule]:
    """A program with no rule at all gets the default one (audited as the
    system's, and evaluated like any new rule)."""
    with transaction.atomic():
        evaluation.lock_program(program.pk)
        if not FamiliarFacesRule.objects.filter(program=program).exists():
            rule = FamiliarFacesRule.objects.create(program=program, **DEFAULT_RULE)
            audit_record(
                actor=None,
                action=AuditAction.CREATE,
                obj=rule,
                person_id=None,
                program_id=program.pk,
                changes=diff({}, snapshot(rule, RULE_FIELDS)),
                reason="the default rule of a program without one",
            )
            _queue_program_evaluation(program.pk)
    return list(FamiliarFacesRule.objects.filter(program=program))


def _validated(rule: FamiliarFacesRule) -> None:
    validate_model(rule)


@transaction.atomic
def familiar_rule_create(
    *, by: User, program: Program, data: dict[str, Any]
) -> FamiliarFacesRule:
    _require_manager(by, program.pk)
    unknown = set(data) - set(RULE_FIELDS)
    if unknown:
        raise DomainError.for_field(sorted(unknown)[0], "Unknown field.")
    rule = FamiliarFacesRule(program=program, **data)
    if not rule.name:
        rule.name = rule.describe()
    _validated(rule)
    rule.save()
    audit_record(
        actor=by,
        action=AuditAction.CREATE,
        obj=rule,
        person_id=None,
        program_id=program.pk,
        changes=diff({}, snapshot(rule, RULE_FIELDS)),
    )
    _queue_program_evaluation(program.pk)
    return rule


@transaction.atomic
def familiar_rule_update(
    *, by: User, rule: FamiliarFacesRule, data: dict[str, Any]
) -> FamiliarFacesRule:
    rule = (
        FamiliarFacesRule.objects.select_for_update()
        .select_related("program")
        .get(pk=rule.pk)
    )
    _require_manager(by, rule.program_id)
    unknown = set(data) - set(RULE_FIELDS)
    if unknown:
        raise DomainError.for_field(sorted(unknown)[0], "Unknown field.")
    before = snapshot(rule, RULE_FIELDS)
    for name, value in data.items():
        setattr(rule, name, value)
    _validated(rule)
    changes = diff(before, snapshot(rule, RULE_FIELDS))
    if not changes:
        return rule
    rule.save()
    if not rule.is_active:
        evaluation.lock_program(rule.program_id)
        evaluation.clear_rule(rule, timezone.now(), "the rule was turned off")
    audit_record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=rule,
        person_id=None,
        program_id=rule.program_id,
        changes=changes,
    )
    _queue_program_evaluation(rule.program_id)
    return rule


def _flag_for_manager(by: User, flag: FamiliarFaceFlag) -> FamiliarFaceFlag:
    evaluation.lock_program(flag.program_id)
    flag = FamiliarFaceFlag.objects.select_for_update().get(pk=flag.pk)
    _require_manager(by, flag.program_id)
    return flag


@transaction.atomic
def familiar_flag_dismiss(
    *, by: User, flag: FamiliarFaceFlag, reason: str
) -> FamiliarFaceFlag:
    """Take a person off the list until they have new contacts."""
    reason = clean_reason(reason, required="Say why the flag is dismissed.")
    flag = _flag_for_manager(by, flag)
    if flag.status != FlagStatus.ACTIVE:
        raise Conflict(
            "Only a flag on the list can be dismissed.", code="invalid_transition"
        )
    newest = evaluation.newest_encounter_at(flag.encounter_ids)
    flag.status = FlagStatus.DISMISSED
    flag.dismissed_at = timezone.now()
    flag.dismissed_by = by
    flag.dismissed_reason = reason
    flag.dismissed_through = newest or flag.dismissed_at
    flag.save()
    audit_record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=flag,
        person_id=flag.person_id,
        program_id=flag.program_id,
        changes={"status": ["active", "dismissed"]},
        reason=reason,
    )
    return flag


@transaction.atomic
def familiar_enroll(
    *, by: User, person: Person, navigator: User, plan: str = ""
) -> FamiliarFaceEnrollment:
    """Enroll a person in intensive follow-up with an assigned navigator."""
    _require_manager(by, person.program_id)
    if (
        not navigator.is_active
        or not navigator.memberships.filter(
            program_id=person.program_id,
            is_active=True,
            role__in=(Role.NAVIGATOR, Role.CASEWORKER, Role.PROGRAM_MANAGER),
        ).exists()
    ):
        raise DomainError.for_field(
            "navigator", "Choose a staff member of the program."
        )
    if FamiliarFaceEnrollment.objects.filter(
        person=person, status=EnrollmentStatus.ACTIVE
    ).exists():
        raise Conflict("This person is already enrolled.", code="already_enrolled")
    enrollment = FamiliarFaceEnrollment(
        person=person,
        program_id=person.program_id,
        navigator=navigator,
        plan=(plan or "").strip(),
        enrolled_at=timezone.now(),
        enrolled_by=by,
    )
    # The one-active-enrollment constraint is left to the database: the race
    # below is a 409, not a field error.
    validate_model(enrollment, exclude=["person", "program", "navigator"])
    try:
        with transaction.atomic():  # a savepoint: the race below is a 409
            enrollment.save()
    except IntegrityError:
        # Another manager enrolled them a moment ago (one active enrollment).
        raise Conflict(
            "This person is already enrolled.", code="already_enrolled"
        ) from None
    audit_record(
        actor=by,
        action=AuditAction.CREATE,
        obj=enrollment,
        person_id=person.pk,
        program_id=person.program_id,
        changes={"navigator": [None, navigator.pk], "plan": [None, enrollment.plan]},
    )
    return enrollment


@transaction.atomic
def familiar_enrollment_end(
    *, by: User, enrollment: FamiliarFaceEnrollment, reason: str
) -> FamiliarFaceEnrollment:
    reason = clean_reason(reason)
    enrollment = FamiliarFaceEnrollment.objects.select_for_update().get(
        pk=enrollment.pk
    )
    _require_manager(by, enrollment.program_id)
    if enrollment.status != EnrollmentStatus.ACTIVE:
        raise Conflict("This enrollment has ended already.", code="invalid_transition")
    enrollment.status = EnrollmentStatus.ENDED
    enrollment.ended_at = timezone.now()
    enrollment.ended_reason = reason
    enrollment.save()
    audit_record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=enrollment,
        person_id=enrollment.person_id,
        program_id=enrollment.program_id,
        changes={"status": ["active", "ended"]},
        reason=reason,
    )
    return enrollment


def familiar_list_exported(*, by: User, program_id: int, rows: int) -> None:
    """An export of the list is a read of many records: audit it."""
    _require_manager(by, program_id)
    program = Program.objects.get(pk=program_id)
    audit_record(
        actor=by,
        action=AuditAction.VIEW,
        obj=program,
        person_id=None,
        program_id=program_id,
        changes={"export": ["familiar_faces.csv", rows]},
    )


def familiar_rows_shown(*, by: User, rows: list[dict], listed: bool = True) -> None:
    """Rows of the list (``familiar_faces_rows``) went out: the person's
    name, why they are on it and their enrollment's navigator."""
    disclosure.records_shown(
        by=by,
        records=[row["flag"] for row in rows],
        kind=disclosure.FAMILIAR_FACES,
        listed=listed,
        named=True,
    )
    disclosure.records_shown(
        by=by,
        records=[row["enrollment"] for row in rows if row["enrollment"]],
        kind=disclosure.ENROLLMENT,
        listed=listed,
    )


def familiar_person_panel_viewed(
    *, by: User, person: Person, flags: list[FamiliarFaceFlag], enrollment=None
) -> None:
    """The panel shows a person's contacts per month, their flags, why they
    were dismissed and their enrollment plan: part of their record, so
    reading it is audited like the record (HIPAA access accounting). It
    loads apart from the person page, hence its own request and event."""
    disclosure.note(
        by=by,
        person_id=person.pk,
        program_id=person.program_id,
        kind=disclosure.ENCOUNTER_COUNTS,
        object_id=person.pk,
    )
    disclosure.records_shown(
        by=by, records=flags, kind=disclosure.FAMILIAR_FACES, listed=False
    )
    if enrollment is not None:
        disclosure.records_shown(
            by=by, records=[enrollment], kind=disclosure.ENROLLMENT, listed=False
        )
