import datetime

import pytest
from django.utils import timezone

from cases.familiar import evaluation, selectors
from cases.familiar import services as ff
from cases.models import FamiliarFacesRule
from followups import services as followup_services
from tests.factories import EncounterFactory, PersonFactory

pytestmark = pytest.mark.django_db


def flagged(program, n_people=3, contacts=4):
    FamiliarFacesRule.objects.get_or_create(
        program=program, defaults={"name": "r", "min_encounters": 3, "window_days": 30}
    )
    now = timezone.now()
    people = []
    for _ in range(n_people):
        person = PersonFactory(program=program)
        for d in range(contacts):
            EncounterFactory(
                person=person,
                started_at=now - datetime.timedelta(days=d + 1),
                concerns=["mental_health", "homelessness"]
                if d % 2
                else ["mental_health"],
            )
        EncounterFactory(person=person, started_at=now - datetime.timedelta(days=40))
        people.append(person)
    evaluation.evaluate_program(program)
    return people


def test_list_rows_say_why_and_trend(navigator_a, program_a):
    (person,) = flagged(program_a, n_people=1)
    followup_services.followup_schedule(
        by=navigator_a,
        person=person,
        method="phone",
        due_at=timezone.now() - datetime.timedelta(days=1),
    )
    flags = list(selectors.familiar_faces_for(user=navigator_a))
    (row,) = selectors.familiar_faces_rows(flags)
    assert row["person"] == person
    assert row["contacts"] == 4 and row["previous_contacts"] == 1
    assert row["trend"] == "up"
    assert row["top_concerns"][0] == "Mental health"
    assert row["overdue_followups"] == 1
    assert row["enrollment_status"] == "not enrolled"
    assert "4 encounters in 30 days" in row["reason"]


def test_list_is_scoped_to_the_users_programs(navigator_b, program_a):
    flagged(program_a)
    assert list(selectors.familiar_faces_for(user=navigator_b)) == []


def test_rows_query_count_does_not_grow_with_the_page(
    navigator_a, program_a, django_assert_max_num_queries
):
    flagged(program_a, n_people=2)
    with django_assert_max_num_queries(5):
        selectors.familiar_faces_rows(
            list(selectors.familiar_faces_for(user=navigator_a))
        )
    flagged(program_a, n_people=20)
    with django_assert_max_num_queries(5):
        rows = selectors.familiar_faces_rows(
            list(selectors.familiar_faces_for(user=navigator_a))
        )
    assert len(rows) == 22


def test_outcome_before_and_after_enrollment(manager_a, navigator_a, program_a):
    (person,) = flagged(program_a, n_people=1)
    enrollment = ff.familiar_enroll(by=manager_a, person=person, navigator=navigator_a)
    EncounterFactory(person=person, started_at=timezone.now())
    (row,) = selectors.enrollment_outcomes_for(user=manager_a, days=30)
    assert row.pk == enrollment.pk
    # Annotated by the selector, whose return type does not say so
    # (QuerySet[FamiliarFaceEnrollment], cases/familiar/selectors.py).
    assert row.contacts_before == 4  # type: ignore[attr-defined]
    assert row.contacts_after == 1  # type: ignore[attr-defined]
    assert list(selectors.enrollment_outcomes_for(user=navigator_a, days=30)) == []


def test_contacts_per_month_chart(program_a):
    person = PersonFactory(program=program_a)
    now = datetime.datetime(2026, 6, 15, 12, tzinfo=datetime.UTC)
    EncounterFactory(person=person, started_at=now - datetime.timedelta(days=1))
    EncounterFactory(person=person, started_at=now - datetime.timedelta(days=2))
    EncounterFactory(
        person=person, started_at=datetime.datetime(2026, 1, 1, 7, tzinfo=datetime.UTC)
    )
    months = selectors.encounters_per_month(person=person, now=now)
    assert len(months) == 12
    assert months[-1] == (datetime.date(2026, 6, 1), 2)
    # 07:00 UTC on Jan 1 is still Dec 31 in Los Angeles.
    assert dict(months)[datetime.date(2025, 12, 1)] == 1
