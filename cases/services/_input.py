"""How the services take input.

Known fields only, values normalised the same for every front door, and
optimistic concurrency for edit forms.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from cases.models import Encounter, Person
from navigator.errors import Conflict, DomainError


def pick(data: Mapping[str, Any], allowed: Sequence[str]) -> dict[str, Any]:
    unknown = set(data) - set(allowed)
    if unknown:
        raise DomainError(
            "Unknown field(s): " + ", ".join(sorted(unknown)),
            fields={name: ["Unknown field."] for name in sorted(unknown)},
        )
    return dict(data)


def assign(instance: models.Model, data: Mapping[str, Any]) -> None:
    """Set fields from input, normalised the way every front door needs.

    ``None`` for a NOT NULL field means "not given": otherwise a JSON null
    reaches the database as NULL and fails there (a 500). Single-line text is
    stripped as forms and DRF do, so that a command's " HMIS-1" and a page's
    "HMIS-1" are one external id.
    """
    for name, value in data.items():
        field = instance._meta.get_field(name)
        if not isinstance(field, models.Field):
            # A reverse relation or generic key: not something input sets.
            raise TypeError(f"{name!r} is not a field of {type(instance).__name__}")
        if value is None and not field.null:
            value = field.get_default()
        elif isinstance(value, str) and isinstance(field, models.CharField):
            value = value.strip()
        elif isinstance(field, models.DecimalField) and value not in (None, ""):
            value = to_places(value, field.decimal_places)
        setattr(instance, name, value)


def to_places(value: Any, places: int) -> Any:
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


MOVE_MESSAGE = "A record cannot be moved to another program."


def check_not_moved(
    *,
    field: str,
    current: int | None,
    given: models.Model | int | str | None,
    message: str,
) -> None:
    """A record stays with its program (and a contact with its person).

    Clients echo a read back on update, so the current value is accepted;
    another one is refused on that field rather than silently ignored. Moving
    a record between programs would move health data across agencies, and no
    service does it (issue 8: this was only in the API serializers).
    """
    if given is None:
        return
    given_id = given.pk if isinstance(given, models.Model) else given
    if str(given_id) != str(current):
        raise DomainError.for_field(field, message, code="invalid")


def check_not_stale(
    obj: Person | Encounter, expected: datetime.datetime | str | None
) -> None:
    """Optimistic concurrency for edit forms.

    The row lock serialises two saves, but a form opened before someone
    else's save would still overwrite their change with the values it was
    loaded with. A caller that sends back the ``updated_at`` it showed gets a
    Conflict instead of silently undoing another user's edit.
    """
    if expected is None or expected == "":
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
