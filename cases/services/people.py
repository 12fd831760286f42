"""Writes of people (names, aliases, identifiers, demographics). Each audited."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any, cast

from django.db import IntegrityError, transaction
from django.utils import timezone

from cases.models import MAX_ALIASES, Alias, DobPrecision, Person
from cases.phonetic import person_search_phonetic
from cases.selectors import PersonAction, person_access
from cases.services._input import (
    MOVE_MESSAGE,
    assign,
    check_not_moved,
    check_not_stale,
    pick,
)
from cases.services._side_effects import queue_familiar_faces
from cases.services.inputs import PersonData
from cases.text import person_search_text
from navigator import disclosure, softdelete
from navigator.audit import audit_record, diff, snapshot
from navigator.errors import Conflict, DomainError, NotFound
from navigator.models import AuditAction, Program, User
from navigator.services import program_for_write, validate_model

PERSON_FIELDS = (
    "external_id",
    "first_name",
    "middle_name",
    "last_name",
    "preferred_name",
    "date_of_birth",
    "dob_precision",
    "gender",
    "race_ethnicity",
    "veteran_status",
    "primary_language",
    "phone",
    "email",
    "sms_consent",
    "housing_situation",
    "street_address",
    "city",
    "state",
    "postal_code",
    "location_notes",
    "safety_notes",
    "unparsed",
)


# Alias.name is a CharField, which Django refuses without a max_length
# (system check fields.E120), so this is never None.
ALIAS_MAX_LENGTH = cast(int, Alias._meta.get_field("name").max_length)


def _clean_aliases(aliases: Iterable[str]) -> list[str]:
    out: list[str] = []
    for alias in aliases:
        alias = " ".join(str(alias).split())
        if alias and alias.casefold() not in {a.casefold() for a in out}:
            if len(alias) > ALIAS_MAX_LENGTH:
                raise DomainError.for_field(
                    "aliases", f"An alias is at most {ALIAS_MAX_LENGTH} characters."
                )
            if "\x00" in alias:
                raise DomainError.for_field(
                    "aliases", "Null characters are not allowed."
                )
            out.append(alias)
    if len(out) > MAX_ALIASES:
        raise DomainError.for_field(
            "aliases", f"At most {MAX_ALIASES} aliases.", code="too_many"
        )
    return out


def refresh_search_text(person: Person, aliases: list[str]) -> None:
    person.search_text = person_search_text(
        [person.first_name, person.middle_name, person.last_name, person.preferred_name]
        + [f"{person.first_name} {person.last_name}"]
        + aliases
    )
    person.search_phonetic = person_search_phonetic(person.search_text)


def _apply_estimated_age(
    data: Mapping[str, Any], *, person: Person | None = None
) -> dict[str, Any]:
    """What a date of birth and an estimated age (years) mean, for every door.

    - An estimated age becomes an estimated date of birth (1 January).
    - Not both at once.
    - The age a record with an estimate already shows keeps its stored date:
      an edit form sends it back on every save, and re-deriving it would
      move the date (and audit a change) each new year.
    - A date of birth given without a precision is a real one; keeping
      "estimated" would mislabel it (and the age shown). Clearing it too.
    """
    data = dict(data)
    age = data.pop("estimated_age", None)
    if age in (None, ""):
        if "date_of_birth" in data:
            data.setdefault("dob_precision", DobPrecision.EXACT)
        return data
    try:
        age = int(age)
    except (TypeError, ValueError):
        raise DomainError.for_field(
            "estimated_age", "Enter an age in whole years."
        ) from None
    if not 0 <= age <= 120:
        raise DomainError.for_field("estimated_age", "Enter an age between 0 and 120.")
    if data.get("date_of_birth"):
        raise DomainError.for_field(
            "estimated_age",
            "Give either a date of birth or an estimated age, not both.",
        )
    today = timezone.localdate()
    if (
        person is not None
        and person.dob_precision == DobPrecision.ESTIMATED
        and person.date_of_birth
        and person.age_on(today) == age
    ):
        data.pop("date_of_birth", None)
        data.pop("dob_precision", None)
        return data
    data["date_of_birth"] = today.replace(year=today.year - age, month=1, day=1)
    data["dob_precision"] = DobPrecision.ESTIMATED
    return data


def _check_person_name(person: Person) -> None:
    # Before validate_model: the database constraint would report this as a
    # non-field error, and the form needs it on a field.
    if not (person.first_name or person.last_name or person.preferred_name):
        raise DomainError.for_field(
            "first_name",
            "Give at least a first, last or preferred name.",
            code="required",
        )


def _check_external_id_free(person: Person) -> None:
    # Before validate_model, which reports the conditional unique constraint
    # as a non-field error. Deleted records count: the constraint covers them.
    if not person.external_id:
        return
    taken = (
        Person.objects.filter(
            program_id=person.program_id, external_id=person.external_id
        )
        .exclude(pk=person.pk)
        .exists()
    )
    if taken:
        raise DomainError.for_field(
            "external_id",
            "Another person in this program already has this external ID.",
            code="unique",
        )


def _save_person(person: Person, **kwargs: Any) -> None:
    # Two imports racing on one external_id: the loser gets the field error,
    # not an IntegrityError (a 500).
    try:
        with transaction.atomic():
            person.save(**kwargs)
    except IntegrityError:
        _check_external_id_free(person)
        raise


def check_person_rules(person: Person) -> None:
    """Rules on typed values: call after validate_model has converted them."""
    if person.date_of_birth and person.date_of_birth > timezone.localdate():
        raise DomainError.for_field("date_of_birth", "Date of birth is in the future.")
    if person.date_of_birth and person.date_of_birth < datetime.date(1900, 1, 1):
        raise DomainError.for_field("date_of_birth", "Date of birth is before 1900.")
    if person.sms_consent and not person.phone:
        raise DomainError.for_field("sms_consent", "SMS consent needs a phone number.")


@transaction.atomic
def person_create(
    *,
    by: User,
    data: PersonData,
    program: Program | int | None = None,
    aliases: Iterable[str] = (),
) -> Person:
    target = program_for_write(user=by, program=program)
    values = _apply_estimated_age(data)
    person = Person(program=target, created_by=by)
    assign(person, pick(values, PERSON_FIELDS))
    if person.sms_consent:
        person.sms_consent_at = timezone.now()
    alias_names = _clean_aliases(aliases)
    refresh_search_text(person, alias_names)
    _check_person_name(person)
    _check_external_id_free(person)
    validate_model(person, exclude=["created_by", "deleted_by"])
    check_person_rules(person)
    _save_person(person)
    Alias.objects.bulk_create(Alias(person=person, name=name) for name in alias_names)
    changes = {k: [None, v] for k, v in snapshot(person, PERSON_FIELDS).items() if v}
    if alias_names:
        changes["aliases"] = [[], alias_names]
    audit_record(
        actor=by,
        action=AuditAction.CREATE,
        obj=person,
        person_id=person.pk,
        program_id=target.pk,
        changes=changes,
    )
    return person


@transaction.atomic
def person_update(
    *,
    by: User,
    person: Person,
    data: PersonData,
    aliases: Iterable[str] | None = None,
    expected_updated_at: datetime.datetime | str | None = None,
    program: Program | int | None = None,
) -> Person:
    """Change a person's record; only the fields in ``data`` (and aliases).

    ``aliases=None`` leaves them; a list replaces them. ``expected_updated_at``
    (the ``updated_at`` the editor was shown) turns a lost update into a
    Conflict. ``program``, when given, must be the record's own.
    """
    person = lock_person(person, by=by)
    if person.is_deleted:
        raise Conflict("This person's record is deleted; restore it first.")
    check_not_moved(
        field="program",
        current=person.program_id,
        given=program,
        message=MOVE_MESSAGE,
    )
    check_not_stale(person, expected_updated_at)
    before = snapshot(person, PERSON_FIELDS)
    values = _apply_estimated_age(data, person=person)
    assign(person, pick(values, PERSON_FIELDS))
    if person.sms_consent and not before["sms_consent"]:
        person.sms_consent_at = timezone.now()
    elif not person.sms_consent:
        person.sms_consent_at = None
    old_aliases = sorted(person.aliases.values_list("name", flat=True))
    new_aliases = old_aliases if aliases is None else _clean_aliases(aliases)
    refresh_search_text(person, new_aliases)
    _check_person_name(person)
    _check_external_id_free(person)
    validate_model(person, exclude=["created_by", "deleted_by"])
    check_person_rules(person)
    changes = diff(before, snapshot(person, PERSON_FIELDS))
    if sorted(new_aliases) != old_aliases:
        changes["aliases"] = [old_aliases, sorted(new_aliases)]
        person.aliases.exclude(name__in=new_aliases).delete()
        Alias.objects.bulk_create(
            [Alias(person=person, name=n) for n in new_aliases if n not in old_aliases]
        )
    if not changes:
        return person
    _save_person(person)
    audit_record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=person,
        person_id=person.pk,
        program_id=person.program_id,
        changes=changes,
    )
    return person


def _plain_date(value: datetime.date | None) -> str | None:
    return value.isoformat() if value else None


def lock_person(person: Person, *, by: User, action: PersonAction = "edit") -> Person:
    # Row lock: two navigators editing one record serialise instead of losing
    # one another's change between read and write. Access asked again here,
    # of the locked row: a service trusts no caller to have used a scoped
    # selector (cases.selectors.person_access; DESIGN.md).
    locked = (
        Person.objects.select_for_update(of=("self",))
        .select_related("program")
        .filter(pk=person.pk)
        .first()
    )
    if locked is None:
        raise NotFound("No such person.")
    person_access(user=by, person=locked, action=action)
    return locked


@transaction.atomic
def person_soft_delete(*, by: User, person: Person, reason: str) -> Person:
    person = lock_person(person, by=by, action="delete")
    softdelete.soft_delete(
        obj=person,
        by=by,
        reason=reason,
        program_id=person.program_id,
        person_id=person.pk,
        what="person's record",
    )
    queue_familiar_faces(person.pk)
    return person


@transaction.atomic
def person_restore(*, by: User, person: Person, reason: str = "") -> Person:
    person = lock_person(person, by=by, action="restore")
    softdelete.restore(
        obj=person,
        by=by,
        reason=reason,
        program_id=person.program_id,
        person_id=person.pk,
        what="person's record",
    )
    queue_familiar_faces(person.pk)
    return person


def person_record_viewed(
    *, by: User, person: Person, kind: str = disclosure.PERSON
) -> None:
    """Log that a user opened a person's record, or the part ``kind`` of it
    (HIPAA access accounting). Within a request it joins the request's one
    event for the person (navigator.disclosure)."""
    disclosure.note(
        by=by,
        person_id=person.pk,
        program_id=person.program_id,
        kind=kind,
        object_id=person.pk,
    )
