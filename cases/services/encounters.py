"""Writes of encounters: logging from the field, editing, relinking. Each audited."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from types import EllipsisType

from django.db import transaction
from django.utils import timezone

from cases.models import MAX_RESPONDERS, Encounter, Person
from cases.selectors import EncounterAction, encounter_access
from cases.services._input import (
    MOVE_MESSAGE,
    assign,
    check_not_moved,
    check_not_stale,
    pick,
)
from cases.services._side_effects import queue_familiar_faces
from cases.services.inputs import EncounterData
from navigator import softdelete
from navigator.audit import audit_record, diff, snapshot
from navigator.errors import Conflict, DomainError, NotFound
from navigator.models import AuditAction, Program, User
from navigator.selectors import staff_program_ids_for, staff_users_of
from navigator.services import program_for_write, validate_model

ENCOUNTER_FIELDS = (
    "unidentified_description",
    "started_at",
    "minutes_engaged",
    "location_text",
    "latitude",
    "longitude",
    "source",
    "response_model",
    "cad_number",
    "officers",
    "concerns",
    "narrative",
    "disposition",
    "diverted",
    "police_backup_needed",
)


# Clocks on phones drift; an encounter a few minutes "in the future" is not an error.
FUTURE_TOLERANCE = datetime.timedelta(minutes=5)

# Before time zones were standardised (1883) local times carry second-level
# offsets; nothing Navigator records is that old. A year-871 typo from the page
# was stored and then printed by the API with a local-mean-time offset
# ("-07:52:58") that is not valid RFC 3339 (issue 8).
EARLIEST_YEAR = 1900


def _resolve_person_for_encounter(
    *, by: User, program: Program, person: Person | int | str | None
) -> Person | None:
    # A person named in the input (not in the URL) that is not the user's is
    # bad input on that field (400), like an unknown choice.
    if person is None:
        return None
    person_id = person.pk if isinstance(person, Person) else person
    found = (
        Person.objects.filter(
            pk=int(person_id),
            program=program,
            program_id__in=staff_program_ids_for(user=by),
            deleted_at__isnull=True,
        ).first()
        if str(person_id).isascii() and str(person_id).isdigit()
        else None
    )
    if found is None:
        raise DomainError.for_field(
            "person", "No such person in this program.", code="not_found"
        )
    return found


def _resolve_navigators(
    *,
    program: Program,
    navigators: Iterable[User | int | str] | None,
    already: Iterable[int] = (),
) -> list[User] | None:
    """The responders, who must be active staff of the encounter's program.

    ``already`` are the encounter's current responders: someone who has since
    left the program stays on the encounters they were at, so an old
    encounter can still be edited.
    """
    if navigators is None:
        return None
    ids: set[int] = set()
    for item in navigators:
        key = item.pk if isinstance(item, User) else item
        if not (str(key).isascii() and str(key).isdigit()):
            raise DomainError.for_field("navigators", f"Unknown responder {key!r}.")
        ids.add(int(key))
        if len(ids) > MAX_RESPONDERS:
            raise DomainError.for_field(
                "navigators", f"At most {MAX_RESPONDERS} responders.", code="too_many"
            )
    kept = set(already) & ids
    added = list(staff_users_of(program_ids=[program.pk]).filter(pk__in=ids - kept))
    if len(added) != len(ids - kept):
        raise DomainError.for_field(
            "navigators", "Responders must be staff of the encounter's program."
        )
    return added + list(User.objects.filter(pk__in=kept))


def _check_encounter_rules(encounter: Encounter) -> None:
    """Rules on typed values: call after validate_model has converted them."""
    if encounter.started_at and timezone.is_naive(encounter.started_at):
        # A time without a zone is the program's local time (DESIGN.md:
        # each program has its own time zone), not the server's.
        encounter.started_at = timezone.make_aware(
            encounter.started_at, encounter.program.tz
        )
    if encounter.started_at and encounter.started_at.year < EARLIEST_YEAR:
        raise DomainError.for_field(
            "started_at",
            f"An encounter cannot start before {EARLIEST_YEAR}.",
            code="invalid",
        )
    if (
        encounter.started_at
        and encounter.started_at > timezone.now() + FUTURE_TOLERANCE
    ):
        raise DomainError.for_field(
            "started_at", "An encounter cannot start in the future.", code="future"
        )
    if encounter.person_id is None and not encounter.unidentified_description.strip():
        raise DomainError.for_field(
            "person",
            "Choose the person, or describe them "
            "(e.g. \u201cmale, 40s, downtown\u201d).",
            code="required",
        )
    if (encounter.latitude is None) != (encounter.longitude is None):
        missing = "longitude" if encounter.longitude is None else "latitude"
        raise DomainError.for_field(
            missing, "Give both latitude and longitude, or neither."
        )


def _encounter_changes(
    before: dict,
    encounter: Encounter,
    old_nav: list[int] | None,
    new_nav: list[int] | None,
) -> dict:
    changes = diff(before, snapshot(encounter, ("person_id",) + ENCOUNTER_FIELDS))
    if new_nav is not None and sorted(new_nav) != sorted(old_nav or []):
        changes["navigators"] = [sorted(old_nav or []), sorted(new_nav)]
    return changes


_ENCOUNTER_NOT_VALIDATED = ["created_by", "deleted_by", "person", "program"]


@transaction.atomic
def encounter_log(
    *,
    by: User,
    data: EncounterData,
    program: Program | int | None = None,
    person: Person | int | None = None,
    navigators: Iterable[User | int] | None = None,
) -> Encounter:
    """Record an encounter from the field; the logging user is a responder."""
    target = program_for_write(user=by, program=program)
    subject = _resolve_person_for_encounter(by=by, program=target, person=person)
    fields = pick(data, ENCOUNTER_FIELDS)
    encounter = Encounter(program=target, person=subject, created_by=by)
    assign(encounter, fields)
    if not encounter.response_model:
        encounter.response_model = target.response_model
    validate_model(encounter, exclude=_ENCOUNTER_NOT_VALIDATED)
    _check_encounter_rules(encounter)
    responders = _resolve_navigators(program=target, navigators=navigators)
    if responders is None:
        responders = [by]
    encounter.save()
    encounter.navigators.set(responders)
    changes = {
        k: [None, v]
        for k, v in snapshot(encounter, ("person_id",) + ENCOUNTER_FIELDS).items()
        if v not in (None, "", [], False)
    }
    changes["navigators"] = [[], sorted(u.pk for u in responders)]
    audit_record(
        actor=by,
        action=AuditAction.CREATE,
        obj=encounter,
        person_id=encounter.person_id,
        program_id=target.pk,
        changes=changes,
    )
    queue_familiar_faces(encounter.person_id)
    return encounter


def _lock_encounter(
    encounter: Encounter, *, by: User, action: EncounterAction
) -> Encounter:
    locked = (
        Encounter.objects.select_for_update(of=("self",))
        .select_related("program")
        .filter(pk=encounter.pk)
        .first()
    )
    if locked is None:
        raise NotFound("No such encounter.")
    encounter_access(user=by, encounter=locked, action=action)
    return locked


@transaction.atomic
def encounter_update(
    *,
    by: User,
    encounter: Encounter,
    data: EncounterData,
    person: Person | int | None | EllipsisType = ...,
    navigators: Iterable[User | int] | None = None,
    expected_updated_at: datetime.datetime | str | None = None,
    program: Program | int | None = None,
) -> Encounter:
    """Edit an encounter. ``person=...`` leaves the link as it is.

    ``expected_updated_at`` and ``program``: see person_update.
    """
    encounter = _lock_encounter(encounter, by=by, action="edit")
    if encounter.is_deleted:
        raise Conflict("This encounter is deleted; restore it first.")
    check_not_moved(
        field="program",
        current=encounter.program_id,
        given=program,
        message=MOVE_MESSAGE,
    )
    check_not_stale(encounter, expected_updated_at)
    before = snapshot(encounter, ("person_id",) + ENCOUNTER_FIELDS)
    old_person_id = encounter.person_id
    old_nav = list(encounter.navigators.values_list("pk", flat=True))
    assign(encounter, pick(data, ENCOUNTER_FIELDS))
    if not encounter.response_model:
        encounter.response_model = encounter.program.response_model
    if person is not ...:
        encounter.person = _resolve_person_for_encounter(
            by=by, program=encounter.program, person=person
        )
    validate_model(encounter, exclude=_ENCOUNTER_NOT_VALIDATED)
    _check_encounter_rules(encounter)
    responders = _resolve_navigators(
        program=encounter.program, navigators=navigators, already=old_nav
    )
    new_nav = None if responders is None else [u.pk for u in responders]
    changes = _encounter_changes(before, encounter, old_nav, new_nav)
    if not changes:
        return encounter
    encounter.save()
    if responders is not None:
        encounter.navigators.set(responders)
    # A relink shows on both people's trails: the person it was taken from
    # and the person it now belongs to (one event each).
    linked: Sequence[int | None] = sorted(
        {pid for pid in (old_person_id, encounter.person_id) if pid is not None}
    )
    for person_id in linked or [None]:
        audit_record(
            actor=by,
            action=AuditAction.UPDATE,
            obj=encounter,
            person_id=person_id,
            program_id=encounter.program_id,
            changes=changes,
        )
    queue_familiar_faces(old_person_id, encounter.person_id)
    return encounter


def encounter_link_person(
    *, by: User, encounter: Encounter, person: Person | int
) -> Encounter:
    """Identify the person of an encounter logged as unidentified."""
    return encounter_update(by=by, encounter=encounter, data={}, person=person)


@transaction.atomic
def encounter_soft_delete(*, by: User, encounter: Encounter, reason: str) -> Encounter:
    encounter = _lock_encounter(encounter, by=by, action="delete")
    softdelete.soft_delete(
        obj=encounter,
        by=by,
        reason=reason,
        program_id=encounter.program_id,
        person_id=encounter.person_id,
        what="encounter",
    )
    queue_familiar_faces(encounter.person_id)
    return encounter


@transaction.atomic
def encounter_restore(*, by: User, encounter: Encounter, reason: str = "") -> Encounter:
    encounter = _lock_encounter(encounter, by=by, action="restore")
    softdelete.restore(
        obj=encounter,
        by=by,
        reason=reason,
        program_id=encounter.program_id,
        person_id=encounter.person_id,
        what="encounter",
    )
    queue_familiar_faces(encounter.person_id)
    return encounter
