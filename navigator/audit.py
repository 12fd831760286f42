"""Writing the audit log. Services call these inside their transaction."""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.utils import timezone

from navigator import disclosure
from navigator.bulk import BulkLoader
from navigator.context import endpoint_var, request_id_var, source_var
from navigator.models import AuditEvent, User


def _plain(value: Any) -> Any:
    # One spelling per value, so that a diff shows only real changes: the same
    # instant given in a program's time zone and read back from the database
    # in UTC, or 47.6 vs 47.600000 from a DecimalField, are not "changes".
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = value.astimezone(datetime.UTC)
        return value.isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        # A stored file's id (a consent's scanned form): JSON has no UUIDs.
        return str(value)
    if isinstance(value, decimal.Decimal):
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict:
    """The concrete field values of a row, JSON-ready, for diffing."""
    names = fields or [
        f.attname for f in instance._meta.concrete_fields if not f.primary_key
    ]
    return {name: _plain(getattr(instance, name)) for name in names}


def diff(before: dict, after: dict) -> dict:
    """``{field: [old, new]}`` for the fields that changed."""
    return {
        key: [before.get(key), value]
        for key, value in after.items()
        if before.get(key) != value
    }


def audit_record(
    *,
    actor: User | AnonymousUser | None,
    action: str,
    obj: models.Model,
    person_id: int | None,
    program_id: int | None,
    changes: dict | None = None,
    reason: str = "",
) -> AuditEvent:
    event = AuditEvent.objects.create(
        actor=actor if isinstance(actor, User) else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        person_id=person_id,
        program_id=program_id,
        changes=changes or {},
        reason=reason,
        request_id=request_id_var.get(),
        source=source_var.get() or "command",
        endpoint=endpoint_var.get(),
    )
    # The write's event accounts for the person in this request: a response
    # that shows the record it just changed needs no VIEW beside it.
    disclosure.written(event)
    return event


@dataclass(frozen=True)
class AuditEntry:
    """One event of a bulk write (``audit_records_bulk``): what
    ``audit_record`` takes, less the actor, shared by the whole write."""

    action: str
    obj: models.Model
    person_id: int | None
    program_id: int | None
    changes: dict[str, Any] = field(default_factory=dict)
    reason: str = ""


def audit_records_bulk(
    *, actor: User | AnonymousUser | None, entries: Sequence[AuditEntry]
) -> list[AuditEvent]:
    """The events of a bulk write (an import, the seed), in one COPY on
    PostgreSQL (navigator.bulk; bulk_create elsewhere).

    The same events ``audit_record`` writes one by one: same fields, request
    id, source and endpoint from the context, and each accounts for its
    person in the request's disclosures. The objects must be saved (have a pk).
    """
    by = actor if isinstance(actor, User) else None
    request_id, source = request_id_var.get(), source_var.get() or "command"
    endpoint = endpoint_var.get()
    events = [
        AuditEvent(
            actor=by,
            action=entry.action,
            object_type=entry.obj._meta.label_lower,
            object_id=str(entry.obj.pk),
            person_id=entry.person_id,
            program_id=entry.program_id,
            changes=entry.changes,
            reason=entry.reason,
            request_id=request_id,
            source=source,
            endpoint=endpoint,
        )
        for entry in entries
    ]
    BulkLoader().create(events)
    for event in events:
        disclosure.written(event)
    return events


def audit_view(
    *,
    actor: User,
    obj: models.Model,
    person_id: int,
    program_id: int,
    kind: str = disclosure.PERSON,
) -> None:
    """A person's record (``kind``: which part) was opened. Written with the
    request's other disclosures, as one event per person (navigator.disclosure)."""
    disclosure.note(
        by=actor,
        person_id=person_id,
        program_id=program_id,
        kind=kind,
        object_id=obj.pk,
    )
