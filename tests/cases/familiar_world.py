"""Familiar faces as the page and API tests need them: people flagged by a
rule, their flags, the pages' URLs."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone

from cases.familiar import evaluation
from cases.models import Encounter, FamiliarFaceFlag, FamiliarFacesRule, Person
from tests.factories import EncounterFactory, PersonFactory

LIST_URL = reverse("familiar:list")
EXPORT_URL = reverse("familiar:export")
RULES_URL = reverse("familiar:rules")
OUTCOMES_URL = reverse("familiar:outcomes")
HISTORY_URL = reverse("familiar:history")


def flagged(
    program,
    n_people: int = 3,
    contacts: int = 4,
    previous: int = 1,
    rule: FamiliarFacesRule | None = None,
    **person_kwargs,
) -> list[Person]:
    """People with ``contacts`` (+0..2, so the list has an order) encounters in
    the last 30 days and ``previous`` in the 30 before, evaluated: on the list
    of a "3 in 30 days" rule."""
    if rule is None:
        rule, _ = FamiliarFacesRule.objects.get_or_create(
            program=program,
            name="3 in 30 days",
            defaults={"min_encounters": 3, "window_days": 30},
        )
    now = timezone.now()
    people = PersonFactory.create_batch(n_people, program=program, **person_kwargs)
    rows = []
    for i, person in enumerate(people):
        for d in range(contacts + i % 3):
            rows.append(
                EncounterFactory.build(
                    person=person,
                    program=program,
                    started_at=now - datetime.timedelta(days=d + 1, minutes=i),
                    concerns=["mental_health", "homelessness"]
                    if d % 2
                    else ["mental_health"],
                    narrative="Secret narrative about the call.",
                )
            )
        rows.extend(
            EncounterFactory.build(
                person=person,
                program=program,
                started_at=now - datetime.timedelta(days=35 + d),
            )
            for d in range(previous)
        )
    Encounter.objects.bulk_create(rows)
    evaluation.evaluate_program(program)
    return people


def flag_of(person) -> FamiliarFaceFlag:
    return FamiliarFaceFlag.objects.get(
        person=person, status__in=["active", "dismissed"]
    )
