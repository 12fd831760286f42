"""Writes of people, their contacts, and encounters. Each is audited."""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from cases.models import Alias, DobPrecision, Encounter, FamilyContact, Person
from cases.text import person_search_text
from navigator.audit import audit_record, audit_view, diff, snapshot
from navigator.errors import Conflict, DomainError, NotFound
from navigator.models import STAFF_ROLES, AuditAction, Program, User
from navigator.selectors import program_ids_for
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
FAMILY_CONTACT_FIELDS = (
    "name",
    "relationship",
    "phone",
    "email",
    "may_contact",
    "notes",
)
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


def _pick(data: dict[str, Any], allowed: Sequence[str]) -> dict[str, Any]:
    unknown = set(data) - set(allowed)
    if unknown:
        raise DomainError(
            "Unknown field(s): " + ", ".join(sorted(unknown)),
            fields={name: ["Unknown field."] for name in sorted(unknown)},
        )
    return dict(data)


def _assign(instance: models.Model, data: dict[str, Any]) -> None:
    """Set fields from input, normalised the way every front door needs.

    ``None`` for a NOT NULL field means "not given": otherwise a JSON null
    reaches the database as NULL and fails there (a 500). Single-line text is
    stripped as forms and DRF do, so that a command's " HMIS-1" and a page's
    "HMIS-1" are one external id.
    """
    for name, value in data.items():
        field = instance._meta.get_field(name)
        if value is None and not field.null:
            value = field.get_default()
        elif isinstance(value, str) and isinstance(field, models.CharField):
            value = value.strip()
        elif isinstance(field, models.DecimalField) and value not in (None, ""):
            value = _to_places(value, field.decimal_places)
        setattr(instance, name, value)


def _to_places(value: Any, places: int) -> Any:
    """Round to the column's precision instead of refusing extra digits.

    A phone's GPS gives 47.6062095; a JSON float 47.6 becomes
    47.600000000000001 as a Decimal. Both are valid coordinates, and ~11 cm
    (6 places) is more than a field location needs.
    """
    try:
        number = decimal.Decimal(str(value).strip())
    except (decimal.InvalidOperation, ValueError):
        return value  # left for validation to name the field
    if not number.is_finite():
        return value
    return number.quantize(decimal.Decimal(1).scaleb(-places))


def _check_not_stale(obj: Person | Encounter, expected: datetime.datetime | str | None):
    """Optimistic concurrency for edit forms.

    The row lock serialises two saves, but a form opened before someone
    else's save would still overwrite their change with the values it was
    loaded with. A caller that sends back the ``updated_at`` it showed gets a
    Conflict instead of silently undoing another user's edit.
    """
    if expected in (None, ""):
        return
    if isinstance(expected, str):
        parsed = parse_datetime(expected)
        if parsed is None:
            raise DomainError.for_field("updated_at", "Invalid timestamp.")
        expected = parsed
    if timezone.is_naive(expected):
        expected = timezone.make_aware(expected, datetime.UTC)
    if obj.updated_at != expected:
        raise Conflict(
            "Someone else changed this record after you opened it. "
            "Reload it and make your change again.",
            code="stale",
        )


def _clean_aliases(aliases: Iterable[str]) -> list[str]:
    out: list[str] = []
    for alias in aliases:
        alias = " ".join(str(alias).split())
        if alias and alias.casefold() not in {a.casefold() for a in out}:
            if len(alias) > 200:
                raise DomainError.for_field(
                    "aliases", "An alias is at most 200 characters."
                )
            out.append(alias)
    return out


def _refresh_search_text(person: Person, aliases: list[str]) -> None:
    person.search_text = person_search_text(
        [person.first_name, person.middle_name, person.last_name, person.preferred_name]
        + [f"{person.first_name} {person.last_name}"]
        + aliases
    )


def _apply_estimated_age(data: dict[str, Any]) -> dict[str, Any]:
    """``estimated_age`` (years) becomes an estimated date of birth."""
    age = data.pop("estimated_age", None)
    if age in (None, ""):
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


def _check_person_rules(person: Person) -> None:
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
    data: dict[str, Any],
    program: Program | int | None = None,
    aliases: Iterable[str] = (),
) -> Person:
    target = program_for_write(user=by, program=program)
    data = _apply_estimated_age(dict(data))
    person = Person(program=target, created_by=by)
    _assign(person, _pick(data, PERSON_FIELDS))
    if person.sms_consent:
        person.sms_consent_at = timezone.now()
    alias_names = _clean_aliases(aliases)
    _refresh_search_text(person, alias_names)
    _check_person_name(person)
    _check_external_id_free(person)
    validate_model(person, exclude=["created_by", "deleted_by"])
    _check_person_rules(person)
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
    data: dict[str, Any],
    aliases: Iterable[str] | None = None,
    expected_updated_at: datetime.datetime | str | None = None,
) -> Person:
    """Change a person's record; only the fields in ``data`` (and aliases).

    ``aliases=None`` leaves them; a list replaces them. ``expected_updated_at``
    (the ``updated_at`` the editor was shown) turns a lost update into a
    Conflict.
    """
    person = _lock_person(person, by=by)
    if person.is_deleted:
        raise Conflict("This person's record is deleted; restore it first.")
    _check_not_stale(person, expected_updated_at)
    before = snapshot(person, PERSON_FIELDS)
    estimated = data.get("estimated_age") not in (None, "")
    data = _apply_estimated_age(dict(data))
    _assign(person, _pick(data, PERSON_FIELDS))
    if person.sms_consent and not before["sms_consent"]:
        person.sms_consent_at = timezone.now()
    elif not person.sms_consent:
        person.sms_consent_at = None
    old_aliases = sorted(person.aliases.values_list("name", flat=True))
    new_aliases = old_aliases if aliases is None else _clean_aliases(aliases)
    _refresh_search_text(person, new_aliases)
    _check_person_name(person)
    _check_external_id_free(person)
    validate_model(person, exclude=["created_by", "deleted_by"])
    _check_person_rules(person)
    if (
        not estimated
        and "dob_precision" not in data
        and _plain_date(person.date_of_birth) != before["date_of_birth"]
    ):
        # A newly typed date of birth is a real one unless said otherwise;
        # keeping "estimated" would mislabel it (and the age shown).
        person.dob_precision = DobPrecision.EXACT
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


def _lock_person(person: Person, *, by: User) -> Person:
    # Row lock: two navigators editing one record serialise instead of losing
    # one another's change between read and write. Scoped again here: a
    # service trusts no caller to have used a scoped selector, and a record
    # outside the user's programs is "not found", as everywhere (DESIGN.md).
    locked = (
        Person.objects.select_for_update(of=("self",))
        .select_related("program")
        .filter(pk=person.pk, program_id__in=program_ids_for(user=by))
        .first()
    )
    if locked is None:
        raise NotFound("No such person.")
    return locked


@transaction.atomic
def person_soft_delete(*, by: User, person: Person, reason: str) -> Person:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError.for_field(
            "reason", "Say why this record is deleted.", code="required"
        )
    person = _lock_person(person, by=by)
    if person.is_deleted:
        raise Conflict("This person's record is already deleted.")
    person.deleted_at = timezone.now()
    person.deleted_by = by
    person.deleted_reason = reason
    person.save(
        update_fields=["deleted_at", "deleted_by", "deleted_reason", "updated_at"]
    )
    audit_record(
        actor=by,
        action=AuditAction.DELETE,
        obj=person,
        person_id=person.pk,
        program_id=person.program_id,
        reason=reason,
    )
    return person


@transaction.atomic
def person_restore(*, by: User, person: Person, reason: str = "") -> Person:
    person = _lock_person(person, by=by)
    if not person.is_deleted:
        raise Conflict("This person's record is not deleted.")
    changes = {
        "deleted_at": [person.deleted_at.isoformat(), None],
        "deleted_reason": [person.deleted_reason, ""],
    }
    person.deleted_at = None
    person.deleted_by = None
    person.deleted_reason = ""
    person.save(
        update_fields=["deleted_at", "deleted_by", "deleted_reason", "updated_at"]
    )
    audit_record(
        actor=by,
        action=AuditAction.RESTORE,
        obj=person,
        person_id=person.pk,
        program_id=person.program_id,
        changes=changes,
        reason=reason,
    )
    return person


def person_record_viewed(*, by: User, person: Person) -> None:
    """Log that a user opened a person's record (HIPAA access accounting)."""
    audit_view(actor=by, obj=person, person_id=person.pk, program_id=person.program_id)


def _lock_contact(contact: FamilyContact, *, by: User) -> FamilyContact:
    locked = (
        FamilyContact.objects.select_for_update(of=("self",))
        .select_related("person")
        .filter(pk=contact.pk, person__program_id__in=program_ids_for(user=by))
        .first()
    )
    if locked is None:
        raise NotFound("No such contact.")
    if locked.person.is_deleted:
        raise Conflict("This person's record is deleted; restore it first.")
    return locked


@transaction.atomic
def family_contact_add(
    *, by: User, person: Person, data: dict[str, Any]
) -> FamilyContact:
    # Locked and re-read: the caller's copy may predate a soft delete.
    person = _lock_person(person, by=by)
    if person.is_deleted:
        raise Conflict("This person's record is deleted; restore it first.")
    contact = FamilyContact(person=person)
    _assign(contact, _pick(data, FAMILY_CONTACT_FIELDS))
    validate_model(contact, exclude=["deleted_by"])
    contact.save()
    audit_record(
        actor=by,
        action=AuditAction.CREATE,
        obj=contact,
        person_id=person.pk,
        program_id=person.program_id,
        changes={
            k: [None, v]
            for k, v in snapshot(contact, FAMILY_CONTACT_FIELDS).items()
            if v not in ("", None)
        },
    )
    return contact


@transaction.atomic
def family_contact_update(
    *, by: User, contact: FamilyContact, data: dict[str, Any]
) -> FamilyContact:
    contact = _lock_contact(contact, by=by)
    if contact.is_deleted:
        raise Conflict("This contact is deleted.")
    before = snapshot(contact, FAMILY_CONTACT_FIELDS)
    _assign(contact, _pick(data, FAMILY_CONTACT_FIELDS))
    validate_model(contact, exclude=["deleted_by"])
    changes = diff(before, snapshot(contact, FAMILY_CONTACT_FIELDS))
    if changes:
        contact.save()
        audit_record(
            actor=by,
            action=AuditAction.UPDATE,
            obj=contact,
            person_id=contact.person_id,
            program_id=contact.person.program_id,
            changes=changes,
        )
    return contact


@transaction.atomic
def family_contact_remove(
    *, by: User, contact: FamilyContact, reason: str = ""
) -> FamilyContact:
    """Soft-delete a contact (who and when always; why when given)."""
    contact = _lock_contact(contact, by=by)
    if contact.is_deleted:
        # Like people and encounters: a second delete is a state error, not
        # a silent success that could hide a double submit of another id.
        raise Conflict("This contact is already removed.")
    reason = (reason or "").strip()
    contact.deleted_at = timezone.now()
    contact.deleted_by = by
    contact.deleted_reason = reason
    contact.save(
        update_fields=["deleted_at", "deleted_by", "deleted_reason", "updated_at"]
    )
    audit_record(
        actor=by,
        action=AuditAction.DELETE,
        obj=contact,
        person_id=contact.person_id,
        program_id=contact.person.program_id,
        reason=reason,
    )
    return contact


@transaction.atomic
def family_contact_restore(
    *, by: User, contact: FamilyContact, reason: str = ""
) -> FamilyContact:
    """Undo a removal; soft deletes are reversible for every record type."""
    contact = _lock_contact(contact, by=by)
    if not contact.is_deleted:
        raise Conflict("This contact is not removed.")
    changes = {
        "deleted_at": [snapshot(contact, ["deleted_at"])["deleted_at"], None],
        "deleted_reason": [contact.deleted_reason, ""],
    }
    contact.deleted_at = None
    contact.deleted_by = None
    contact.deleted_reason = ""
    contact.save(
        update_fields=["deleted_at", "deleted_by", "deleted_reason", "updated_at"]
    )
    audit_record(
        actor=by,
        action=AuditAction.RESTORE,
        obj=contact,
        person_id=contact.person_id,
        program_id=contact.person.program_id,
        changes=changes,
        reason=(reason or "").strip(),
    )
    return contact


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
            program_id__in=program_ids_for(user=by),
            deleted_at__isnull=True,
        ).first()
        if str(person_id).isdigit()
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
        if not str(key).isdigit():
            raise DomainError.for_field("navigators", f"Unknown responder {key!r}.")
        ids.add(int(key))
    kept = set(already) & ids
    added = list(
        User.objects.filter(
            pk__in=ids - kept,
            is_active=True,
            memberships__program=program,
            memberships__is_active=True,
            memberships__role__in=STAFF_ROLES,
        ).distinct()
    )
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
    data: dict[str, Any],
    program: Program | int | None = None,
    person: Person | int | None = None,
    navigators: Iterable[User | int] | None = None,
) -> Encounter:
    """Record an encounter from the field; the logging user is a responder."""
    target = program_for_write(user=by, program=program)
    subject = _resolve_person_for_encounter(by=by, program=target, person=person)
    fields = _pick(data, ENCOUNTER_FIELDS)
    encounter = Encounter(program=target, person=subject, created_by=by)
    _assign(encounter, fields)
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
    return encounter


def _lock_encounter(encounter: Encounter, *, by: User) -> Encounter:
    locked = (
        Encounter.objects.select_for_update(of=("self",))
        .select_related("program")
        .filter(pk=encounter.pk, program_id__in=program_ids_for(user=by))
        .first()
    )
    if locked is None:
        raise NotFound("No such encounter.")
    return locked


@transaction.atomic
def encounter_update(
    *,
    by: User,
    encounter: Encounter,
    data: dict[str, Any],
    person: Person | int | None | type[Ellipsis] = ...,
    navigators: Iterable[User | int] | None = None,
    expected_updated_at: datetime.datetime | str | None = None,
) -> Encounter:
    """Edit an encounter. ``person=...`` leaves the link as it is.

    ``expected_updated_at``: see person_update.
    """
    encounter = _lock_encounter(encounter, by=by)
    if encounter.is_deleted:
        raise Conflict("This encounter is deleted; restore it first.")
    _check_not_stale(encounter, expected_updated_at)
    before = snapshot(encounter, ("person_id",) + ENCOUNTER_FIELDS)
    old_person_id = encounter.person_id
    old_nav = list(encounter.navigators.values_list("pk", flat=True))
    _assign(encounter, _pick(data, ENCOUNTER_FIELDS))
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
    for person_id in sorted({old_person_id, encounter.person_id} - {None}) or [None]:
        audit_record(
            actor=by,
            action=AuditAction.UPDATE,
            obj=encounter,
            person_id=person_id,
            program_id=encounter.program_id,
            changes=changes,
        )
    return encounter


def encounter_link_person(
    *, by: User, encounter: Encounter, person: Person | int
) -> Encounter:
    """Identify the person of an encounter logged as unidentified."""
    return encounter_update(by=by, encounter=encounter, data={}, person=person)


@transaction.atomic
def encounter_soft_delete(*, by: User, encounter: Encounter, reason: str) -> Encounter:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError.for_field(
            "reason", "Say why this encounter is deleted.", code="required"
        )
    encounter = _lock_encounter(encounter, by=by)
    if encounter.is_deleted:
        raise Conflict("This encounter is already deleted.")
    encounter.deleted_at = timezone.now()
    encounter.deleted_by = by
    encounter.deleted_reason = reason
    encounter.save(
        update_fields=["deleted_at", "deleted_by", "deleted_reason", "updated_at"]
    )
    audit_record(
        actor=by,
        action=AuditAction.DELETE,
        obj=encounter,
        person_id=encounter.person_id,
        program_id=encounter.program_id,
        reason=reason,
    )
    return encounter


@transaction.atomic
def encounter_restore(*, by: User, encounter: Encounter, reason: str = "") -> Encounter:
    encounter = _lock_encounter(encounter, by=by)
    if not encounter.is_deleted:
        raise Conflict("This encounter is not deleted.")
    changes = {
        "deleted_at": [snapshot(encounter, ["deleted_at"])["deleted_at"], None],
        "deleted_reason": [encounter.deleted_reason, ""],
    }
    encounter.deleted_at = None
    encounter.deleted_by = None
    encounter.deleted_reason = ""
    encounter.save(
        update_fields=["deleted_at", "deleted_by", "deleted_reason", "updated_at"]
    )
    audit_record(
        actor=by,
        action=AuditAction.RESTORE,
        obj=encounter,
        person_id=encounter.person_id,
        program_id=encounter.program_id,
        changes=changes,
        reason=(reason or "").strip(),
    )
    return encounter
