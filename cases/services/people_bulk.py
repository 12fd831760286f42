"""Creating and updating many people at once (an import): the bulk write path.

The same rules as ``person_create`` / ``person_update`` (cases.services.people),
applied row by row, then written in bulk: one lookup, one INSERT / UPDATE and
one audit INSERT (``navigator.audit.audit_records_bulk``) per batch.

- A row with an ``external_id`` already in the program updates that person;
  a value absent from ``data`` leaves the stored one alone (a bulk update
  never erases). A row without an ``external_id`` always creates a person.
- A row for a soft-deleted person is rejected: restore it first.
- A new person needs a first, last or preferred name.
- The fields, normalisation and rules are the person service's: search text,
  date of birth and estimated age, SMS consent, model validation.
- A rejected row writes nothing and is reported with why; the other rows
  still go in.
- A new person's aliases (with their kind) are written with it, by the
  person service's alias rules; an existing person's aliases are left alone.
- SMS consent given is stamped (``sms_consent_at``), withdrawn is cleared, as
  ``person_create`` / ``person_update`` do.
- Every person created or changed gets its audit event (reason: the row's).

Used by ``import_people`` (cases.importing) and ``seed_demo``
(cases.seeding): one write path for people. New rows go in with COPY on
PostgreSQL (navigator.bulk), their audit events too; the checks are the
person service's functions run in Python, no query per row.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cases.models import Alias, AliasKind, Person
from cases.services._input import pick
from cases.services.inputs import PersonData
from cases.services.people import (
    PERSON_FIELDS,
    _apply_estimated_age,
    _clean_aliases,
    check_person_rules,
    refresh_search_text,
)
from navigator.audit import AuditEntry, audit_records_bulk, diff, snapshot
from navigator.bulk import BulkLoader
from navigator.errors import DomainError
from navigator.models import AuditAction, Program, User
from navigator.services import program_for_write

# Rows per lookup / INSERT round trip. Read at call time, so a test can make
# batches small.
BATCH = 500

NAME_FIELDS = ("first_name", "last_name", "preferred_name")

Outcome = Literal["created", "updated", "unchanged", "rejected"]


@dataclass
class PersonRow:
    """One person to create, or to update by ``external_id``.

    ``data``: values by field of ``PERSON_FIELDS`` (plus ``estimated_age``);
    only the fields given change. ``unparsed``: raw values that could not be
    stored as given, kept on ``Person.unparsed`` by field (replacing an older
    one); ``resolved``: fields given well this time, whose older unparsed value
    goes. ``ref`` is the caller's (a CSV line), echoed in the result.
    """

    ref: int
    external_id: str = ""
    data: PersonData = field(default_factory=lambda: PersonData())
    unparsed: dict[str, str] = field(default_factory=dict)
    resolved: frozenset[str] = frozenset()
    reason: str = ""  # for the audit event, e.g. "import_people f.csv line 3"
    # A new person's aliases, (name, AliasKind); ignored for an existing one.
    aliases: Sequence[tuple[str, str]] = ()
    # When a new person was first recorded, if not now (the seed's history).
    created_at: datetime.datetime | None = None


@dataclass(frozen=True)
class RowResult:
    ref: int
    outcome: Outcome
    person: Person | None = None
    message: str = ""  # why a row was rejected


def _batches(rows: Sequence[PersonRow], size: int) -> Iterator[list[PersonRow]]:
    """Batches in which an external_id appears once: a second row for the same
    person must see the first one's result, so it starts a new batch."""
    batch: list[PersonRow] = []
    seen: set[str] = set()
    for row in rows:
        key = row.external_id
        if len(batch) == size or (key and key in seen):
            yield batch
            batch, seen = [], set()
        batch.append(row)
        if key:
            seen.add(key)
    if batch:
        yield batch


@transaction.atomic
def people_upsert_bulk(
    *,
    program: Program,
    rows: Sequence[PersonRow],
    by: User | None = None,
    on_batch: Callable[[int], None] | None = None,
    batch_size: int | None = None,
) -> list[RowResult]:
    """Create or update the program's people; one result per row, in order.

    ``by``: the user, who must be staff of the program; ``None`` for a
    command (the audit events then have no actor, their source says
    "command"). ``on_batch(n)`` is called after each batch of ``n`` rows;
    ``batch_size`` (default ``BATCH``) is how many rows a lookup, a COPY and
    a lock take at once.
    """
    if by is not None:
        program = program_for_write(user=by, program=program)
    results: list[RowResult] = []
    for batch in _batches(rows, batch_size or BATCH):
        results += _upsert_batch(program=program, batch=batch, by=by)
        if on_batch is not None:
            on_batch(len(batch))
    return results


def _upsert_batch(
    *, program: Program, batch: list[PersonRow], by: User | None
) -> list[RowResult]:
    keys = [r.external_id for r in batch if r.external_id]
    existing = {
        p.external_id: p
        for p in Person.objects.select_for_update()
        .filter(program=program, external_id__in=keys)
        .prefetch_related("aliases")
    }
    now = timezone.now()
    results: list[RowResult] = []
    created: list[tuple[Person, PersonRow]] = []
    updated: list[tuple[Person, PersonRow, dict[str, Any]]] = []
    for row in batch:
        person = existing.get(row.external_id) if row.external_id else None
        try:
            person, changes = _apply(program, person, row, by=by, now=now)
        except DomainError as exc:
            results.append(RowResult(row.ref, "rejected", message=exc.detail))
            continue
        if person.pk is None:
            created.append((person, row))
            results.append(RowResult(row.ref, "created", person))
        elif changes:
            updated.append((person, row, changes))
            results.append(RowResult(row.ref, "updated", person))
        else:
            results.append(RowResult(row.ref, "unchanged", person))
    loader = BulkLoader()
    loader.create([p for p, _ in created])
    loader.create(
        [
            Alias(person_id=person.pk, name=name, kind=kind)
            for person, row in created
            for name, kind in _aliases(row)
        ]
    )
    if updated:
        Person.objects.bulk_update(
            [p for p, _, _ in updated],
            [*PERSON_FIELDS, "search_text", "search_phonetic", "updated_at"],
        )
    entries = [
        AuditEntry(
            action=AuditAction.CREATE,
            obj=person,
            person_id=person.pk,
            program_id=program.pk,
            changes=_created_changes(person, row),
            reason=row.reason,
        )
        for person, row in created
    ]
    entries += [
        AuditEntry(
            action=AuditAction.UPDATE,
            obj=person,
            person_id=person.pk,
            program_id=program.pk,
            changes=changes,
            reason=row.reason,
        )
        for person, row, changes in updated
    ]
    audit_records_bulk(actor=by, entries=entries)
    return results


def _aliases(row: PersonRow) -> list[tuple[str, str]]:
    kinds: dict[str, str] = {}
    for name, kind in row.aliases:  # the first spelling kept, with its kind
        kinds.setdefault(" ".join(name.split()).casefold(), kind)
    names = _clean_aliases(name for name, _ in row.aliases)
    return [(name, kinds.get(name.casefold(), AliasKind.ALIAS)) for name in names]


def _created_changes(person: Person, row: PersonRow) -> dict[str, Any]:
    # Only what was given, as person_create writes it (no field is numeric,
    # so a false value is an empty one).
    changes: dict[str, Any] = {
        k: [None, v] for k, v in snapshot(person, PERSON_FIELDS).items() if v
    }
    if row.aliases:
        changes["aliases"] = [[], sorted(name for name, _ in _aliases(row))]
    return changes


def _apply(
    program: Program,
    person: Person | None,
    row: PersonRow,
    *,
    by: User | None,
    now: datetime.datetime,
) -> tuple[Person, dict[str, Any]]:
    """The row applied to a new or existing person (not saved), with the
    changes to audit; DomainError if the row is rejected."""
    if person is not None and person.is_deleted:
        raise DomainError.for_field(
            "external_id",
            f"external_id {row.external_id!r} is a deleted record; restore it first",
        )
    data = _apply_estimated_age(pick(row.data, (*PERSON_FIELDS, "estimated_age")))
    if row.external_id:
        data["external_id"] = row.external_id
    if person is None:
        if not any(data.get(c) for c in NAME_FIELDS):
            raise DomainError.for_field(
                "first_name",
                "no first_name, last_name or preferred_name; row not imported",
            )
        person = Person(
            program=program, created_by=by, created_at=row.created_at or now
        )
        before: dict[str, Any] = {}
        aliases = sorted(name for name, _ in _aliases(row))
    else:
        before = snapshot(person, PERSON_FIELDS)
        aliases = sorted(a.name for a in person.aliases.all())
    for name, value in data.items():
        setattr(person, name, value)
    unparsed = dict(person.unparsed or {})
    for column in row.resolved:
        unparsed.pop(column, None)
    unparsed.update(row.unparsed)
    person.unparsed = unparsed
    refresh_search_text(person, aliases)
    try:
        # The model's field validation, then the services' rules on the typed
        # values (date of birth, SMS consent), in the services' order.
        person.clean_fields(exclude=_not_given(data))
        check_person_rules(person)
    except ValidationError as exc:
        raise DomainError(f"not imported: {_message(exc)}") from exc
    except DomainError as exc:
        raise DomainError(f"not imported: {exc.detail}", fields=exc.fields) from exc
    if person.sms_consent and not before.get("sms_consent"):
        person.sms_consent_at = person.created_at if not before else now
    elif not person.sms_consent:
        person.sms_consent_at = None
    person.updated_at = person.created_at if not before else now
    if before:
        return person, diff(before, snapshot(person, PERSON_FIELDS))
    return person, {}


# Fields the bulk path derives itself; validated with what the row gives.
_DERIVED = frozenset({"unparsed", "search_text", "search_phonetic"})


def _not_given(data: dict[str, Any]) -> list[str]:
    """The fields a row leaves as they are: a default (a new person) or the
    stored value, valid when it was stored. Validating only what the row
    sets keeps the model's checks per field and halves their cost."""
    given = _DERIVED | data.keys()
    return [f.name for f in Person._meta.concrete_fields if f.name not in given]


def _message(exc: ValidationError) -> str:
    return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
