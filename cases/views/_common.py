"""Helpers shared by the cases pages: 404s, paging, labels, managers' scope."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from cases.models import Concern, Encounter, Person
from navigator.models import Role, User
from navigator.selectors import is_manager_of, program_ids_for

T = TypeVar("T")


def _with_ages(people: Iterable[Person]) -> None:
    today = timezone.localdate()
    for person in people:
        person.age = person.age_on(today)


_CONCERNS = dict(Concern.choices)


def _with_concern_labels(encounters: Iterable[Encounter]) -> None:
    for encounter in encounters:
        encounter.concern_labels = [_CONCERNS.get(c, c) for c in encounter.concerns]


def _managed_program_ids(user: User) -> list[int]:
    return program_ids_for(user=user, roles=(Role.PROGRAM_MANAGER,))


def _require_manager_of(user: User, program_id: int) -> None:
    # Not a manager here: the record is out of scope, hence 404 (DESIGN.md).
    if not is_manager_of(user=user, program_id=program_id):
        raise Http404


def _deleted_for_manager(qs: QuerySet[T], user: User) -> QuerySet[T]:
    # Private until cases.selectors has a "deleted, for managers" selector.
    return qs.filter(
        deleted_at__isnull=False, program_id__in=_managed_program_ids(user)
    )
