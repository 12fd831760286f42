"""Soft delete and restore: one mechanism, one set of rules, every record type.

Nothing a user does hard-deletes (DESIGN.md): a row is hidden with who, when
and why, and a program manager can bring it back. People, family contacts and
encounters use this now; referrals, consents and screenings use it the same
way when they come. A record type takes part in three steps:

1. Its model inherits ``SoftDeletable`` (``deleted_at``, ``deleted_by``,
   ``deleted_reason``; a migration adds the columns).
2. Its access function (``<entity>_access`` in its selectors) answers the
   actions ``delete`` and ``restore``: restore for the program's managers
   only (``PermissionDenied`` for its other staff, ``NotFound`` outside it),
   as ``cases.selectors.person_access`` does. Who may is decided there, once
   per entity and action, not here.
   Its ``<entity>_soft_delete`` / ``<entity>_restore`` services, each
   ``@transaction.atomic``, lock the row and ask that access function of the
   locked row, check what is their own (e.g. "the person's record is
   deleted"), then call ``soft_delete`` / ``restore`` here.
3. They queue their own side effects after (``transaction.on_commit`` /
   ``navigator.outbox``), e.g. re-evaluating familiar faces.

The rules, written once here:

- Delete: any staff member the caller's scoped lock let through; a reason is
  required (``clean_reason``: stripped, bounded, no NUL), kept on the record
  and in the DELETE audit event.
- Restore: a manager's decision (deleted records are hidden from navigators;
  the access function of step 2 says so); the reason is optional, cleaned the
  same way, and kept in the RESTORE audit event with the delete it undoes.
- Deleting a deleted record, or restoring one that is not deleted, is a
  ``Conflict`` (a state error, not a silent success that could hide a double
  submit of another id).
"""

from __future__ import annotations

from typing import TypeVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from navigator.audit import audit_record, snapshot
from navigator.errors import Conflict
from navigator.fields import REASON_MAX_LENGTH, BoundedTextField
from navigator.models import AuditAction, User
from navigator.services import clean_reason


class SoftDeletable(models.Model):
    """Users never hard-delete: a row is hidden with who, when and why."""

    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    deleted_reason = BoundedTextField(max_length=REASON_MAX_LENGTH, blank=True)

    class Meta:
        abstract = True

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


R = TypeVar("R", bound=SoftDeletable)


def _save(obj: SoftDeletable) -> None:
    fields = ["deleted_at", "deleted_by", "deleted_reason"]
    if any(f.name == "updated_at" for f in obj._meta.concrete_fields):
        fields.append("updated_at")
    obj.save(update_fields=fields)


def soft_delete(
    *,
    obj: R,
    by: User,
    reason: str,
    program_id: int,
    person_id: int | None,
    what: str = "record",
) -> R:
    """Hide ``obj`` (locked and scoped by the caller). ``what`` names it in
    messages: "Say why this encounter is deleted."."""
    reason = clean_reason(reason, required=f"Say why this {what} is deleted.")
    if obj.is_deleted:
        raise Conflict(f"This {what} is already deleted.")
    obj.deleted_at = timezone.now()
    obj.deleted_by = by
    obj.deleted_reason = reason
    _save(obj)
    audit_record(
        actor=by,
        action=AuditAction.DELETE,
        obj=obj,
        person_id=person_id,
        program_id=program_id,
        reason=reason,
    )
    return obj


def restore(
    *,
    obj: R,
    by: User,
    reason: str = "",
    program_id: int,
    person_id: int | None,
    what: str = "record",
) -> R:
    """Bring ``obj`` (locked and scoped by the caller) back."""
    reason = clean_reason(reason)
    if not obj.is_deleted:
        raise Conflict(f"This {what} is not deleted.")
    changes = {
        "deleted_at": [snapshot(obj, ["deleted_at"])["deleted_at"], None],
        "deleted_reason": [obj.deleted_reason, ""],
    }
    obj.deleted_at = None
    obj.deleted_by = None
    obj.deleted_reason = ""
    _save(obj)
    audit_record(
        actor=by,
        action=AuditAction.RESTORE,
        obj=obj,
        person_id=person_id,
        program_id=program_id,
        changes=changes,
        reason=reason,
    )
    return obj
