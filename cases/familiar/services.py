"""Writes of familiar faces: rules, dismissals, enrollments. Audited.

Evaluation itself (raising / clearing flags) is in ``evaluation``; changes
here queue a re-evaluation on commit. Each service asks the access function
of ``selectors`` itself, so a direct call enforces what a page or the API
would.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from cases.familiar import evaluation, selectors
from cases.familiar.selectors import FamiliarFaceRow
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
from navigator.errors import Conflict, DomainError
from navigator.models import AuditAction, Program, User
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


def _queue_program_evaluation(program_id: int) -> None:
    from cases import tasks

    outbox.enqueue(tasks.familiar_faces_evaluate_program, program_id)


def rules_ensure_default(*, program: Program) -> list[FamiliarFacesRule]:
    """A program with no rule at all gets the default one (audited as the
    system's). Called by the evaluation (``familiar_faces_evaluate_program``,
    which then evaluates it), never by a page: a read must not write.
    Programs that existed before are given theirs by migration 0008."""
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
    return list(FamiliarFacesRule.objects.filter(program=program))


def familiar_faces_evaluate_program(*, program: Program) -> evaluation.Stats:
    """The full evaluation of one program, as the nightly task, the program
    task, ``manage.py evaluate_familiar_faces`` and the demo seed run it: the
    default rule first if the program has none, then every active rule."""
    rules_ensure_default(program=program)
    return evaluation.evaluate_program(program)


def familiar_faces_evaluate_programs(
    *, programs: Iterable[Program]
) -> dict[str, evaluation.Stats]:
    """``familiar_faces_evaluate_program`` for each program, by slug."""
    return {
        program.slug: familiar_faces_evaluate_program(program=program)
        for program in programs
    }


def _validated(rule: FamiliarFacesRule) -> None:
    validate_model(rule)


@transaction.atomic
def familiar_rule_create(
    *, by: User, program: Program, data: dict[str, Any]
) -> FamiliarFacesRule:
    selectors.familiar_faces_access(
        user=by, action="rule_create", program_id=program.pk
    )
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
    selectors.familiar_rule_access(user=by, rule=rule, action="edit")
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
        evaluation.clear_rule(rule, timezone.now(), "the rule was turned off", by=by)
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


def _flag_locked(by: User, flag: FamiliarFaceFlag) -> FamiliarFaceFlag:
    evaluation.lock_program(flag.program_id)
    flag = FamiliarFaceFlag.objects.select_for_update().get(pk=flag.pk)
    selectors.familiar_face_access(user=by, flag=flag, action="dismiss")
    return flag


@transaction.atomic
def familiar_flag_dismiss(
    *, by: User, flag: FamiliarFaceFlag, reason: str
) -> FamiliarFaceFlag:
    """Take a person off the list until they have new contacts."""
    reason = clean_reason(reason, required="Say why the flag is dismissed.")
    flag = _flag_locked(by, flag)
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
    selectors.familiar_person_access(user=by, person=person, action="enroll")
    if (
        not selectors.enrollment_navigators_for(program_id=person.program_id)
        .filter(pk=navigator.pk)
        .exists()
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
    selectors.enrollment_access(user=by, enrollment=enrollment, action="end")
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


# The CSV is built this many flags at a time: a bounded number of ids per
# ``IN (...)`` whatever the list's length.
EXPORT_CHUNK = 500


def familiar_list_export(
    *,
    by: User,
    flags: Iterable[FamiliarFaceFlag],
    program_id: int | None = None,
) -> list[FamiliarFaceRow]:
    """The rows of an export of the list (``flags``: the manager's list,
    filtered; ``program_id``: the program chosen in the filter, if any).

    An export is a read of many records: each person in it is disclosed,
    and each program it covers gets an audit event with its row count, also
    a program of the manager's with no row (an empty export is still one).
    """
    selectors.familiar_faces_access(user=by, action="export", program_id=program_id)
    ordered = list(flags)
    rows: list[FamiliarFaceRow] = []
    for start in range(0, len(ordered), EXPORT_CHUNK):
        rows.extend(
            selectors.familiar_faces_rows(ordered[start : start + EXPORT_CHUNK])
        )
    familiar_rows_shown(by=by, rows=rows)
    per_program = Counter(row["flag"].program_id for row in rows)
    managed = selectors.familiar_faces_managed_ids(user=by)
    scope = [program_id] if program_id is not None else managed
    for program in Program.objects.filter(pk__in=scope).order_by("pk"):
        audit_record(
            actor=by,
            action=AuditAction.VIEW,
            obj=program,
            person_id=None,
            program_id=program.pk,
            changes={"export": ["familiar_faces.csv", per_program[program.pk]]},
        )
    return rows


def familiar_rows_shown(
    *, by: User, rows: list[FamiliarFaceRow], listed: bool = True
) -> None:
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
    *,
    by: User,
    person: Person,
    flags: list[FamiliarFaceFlag],
    enrollment: FamiliarFaceEnrollment | None = None,
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
