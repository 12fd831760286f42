"""Writes of family / caregiver contacts of a person. Each audited."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from cases.models import FamilyContact, Person
from cases.selectors import FamilyContactAction, family_contact_access
from cases.services._input import assign, pick
from cases.services.people import lock_person
from navigator.audit import audit_record, diff, snapshot
from navigator.errors import Conflict, NotFound
from navigator.models import AuditAction, User
from navigator.services import clean_reason, validate_model

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
    *, by: User, person: Person, data: dict[str, Any]
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
    *, by: User, contact: FamilyContact, data: dict[str, Any]
) -> FamilyContact:
    contact = _lock_contact(contact, by=by, action="edit")
    if contact.is_deleted:
        raise Conflict("This contact is deleted.")
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
    *, by: User, contact: FamilyContact, reason: str = ""
) -> FamilyContact:
    """Soft-delete a contact (who and when always; why when given)."""
    reason = clean_reason(reason)
    contact = _lock_contact(contact, by=by, action="remove")
    if contact.is_deleted:
        # Like people and encounters: a second delete is a state error, not
        # a silent success that could hide a double submit of another id.
        raise Conflict("This contact is already removed.")
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
    reason = clean_reason(reason)
    contact = _lock_contact(contact, by=by, action="restore")
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
        reason=reason,
    )
    return contact
