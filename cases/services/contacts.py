"""Writes of family / caregiver contacts of a person. Each audited."""

from __future__ import annotations

from django.db import transaction

from cases.models import FamilyContact, Person
from cases.selectors import FamilyContactAction, family_contact_access
from cases.services._input import assign, check_not_moved, pick
from cases.services.inputs import FamilyContactData
from cases.services.people import lock_person
from navigator import softdelete
from navigator.audit import audit_record, diff, snapshot
from navigator.errors import Conflict, NotFound
from navigator.models import AuditAction, User
from navigator.services import validate_model

FAMILY_CONTACT_FIELDS = (
    "name",
    "relationship",
    "phone",
    "email",
    "may_contact",
    "notes",
)


def _lock_contact(
    contact: FamilyContact, *, by: User, action: FamilyContactAction
) -> FamilyContact:
    locked = (
        FamilyContact.objects.select_for_update(of=("self",))
        .select_related("person")
        .filter(pk=contact.pk)
        .first()
    )
    if locked is None:
        raise NotFound("No such contact.")
    family_contact_access(user=by, contact=locked, action=action)
    if locked.person.is_deleted:
        raise Conflict("This person's record is deleted; restore it first.")
    return locked


@transaction.atomic
def family_contact_add(
    *, by: User, person: Person, data: FamilyContactData
) -> FamilyContact:
    # Locked and re-read: the caller's copy may predate a soft delete.
    person = lock_person(person, by=by)
    if person.is_deleted:
        raise Conflict("This person's record is deleted; restore it first.")
    contact = FamilyContact(person=person)
    assign(contact, pick(data, FAMILY_CONTACT_FIELDS))
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
    *,
    by: User,
    contact: FamilyContact,
    data: FamilyContactData,
    person: Person | int | None = None,
) -> FamilyContact:
    """``person``, when given, must be the contact's own: a contact never
    moves to another person's record."""
    contact = _lock_contact(contact, by=by, action="edit")
    contact = _lock_contact(contact, by=by, action="edit")
    if contact.is_deleted:
        raise Conflict("This contact is deleted.")
    check_not_moved(
        field="person",
        current=contact.person_id,
        given=person,
        message="A contact cannot be moved to another person.",
    )
    before = snapshot(contact, FAMILY_CONTACT_FIELDS)
    assign(contact, pick(data, FAMILY_CONTACT_FIELDS))
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
    *, by: User, contact: FamilyContact, reason: str
) -> FamilyContact:
    """Soft-delete a contact (navigator.softdelete: who, when and why)."""
    contact = _lock_contact(contact, by=by, action="remove")
    return softdelete.soft_delete(
        obj=contact,
        by=by,
        reason=reason,
        program_id=contact.person.program_id,
        person_id=contact.person_id,
        what="contact",
    )


@transaction.atomic
def family_contact_restore(
    *, by: User, contact: FamilyContact, reason: str = ""
) -> FamilyContact:
    """Undo a removal: a program manager's decision, as for every record."""
    contact = _lock_contact(contact, by=by, action="restore")
    return softdelete.restore(
        obj=contact,
        by=by,
        reason=reason,
        program_id=contact.person.program_id,
        person_id=contact.person_id,
        what="contact",
    )
