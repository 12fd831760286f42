"""Helpers shared by the cases pages: labels.

Access is not decided here: the scoped selectors and the services raise
NotFound / PermissionDenied and navigator.views answers them."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from cases.models import Concern, Encounter, Person


def _with_ages(people: Iterable[Person]) -> None:
    today = timezone.localdate()
    for person in people:
        person.age = person.age_on(today)


_CONCERNS = dict(Concern.choices)


def _with_concern_labels(encounters: Iterable[Encounter]) -> None:
    for encounter in encounters:
        encounter.concern_labels = [_CONCERNS.get(c, c) for c in encounter.concerns]
