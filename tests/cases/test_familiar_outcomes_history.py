"""Outcomes of enrollments (managers) and who was on the list by month."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from cases.familiar import services as ff
from cases.models import (
    FamiliarFaceEnrollment,
    Person,
)
from navigator.models import Membership, Role
from tests.cases.familiar_world import (
    HISTORY_URL,
    OUTCOMES_URL,
    flagged,
)
from tests.factories import EncounterFactory, PersonFactory

pytestmark = pytest.mark.django_db

# Session, user, memberships, COUNT, page, the two totals, the audit insert,
# session save.
OUTCOMES_MAX_QUERIES = 11
# Session, user, memberships, COUNT, page (person, rule, program joined), the
# audit insert, session save.
HISTORY_MAX_QUERIES = 9


# --- outcomes ----------------------------------------------------------------


def enroll_at(by, person, navigator, when: datetime.datetime) -> FamiliarFaceEnrollment:
    enrollment = ff.familiar_enroll(by=by, person=person, navigator=navigator)
    FamiliarFaceEnrollment.objects.filter(pk=enrollment.pk).update(enrolled_at=when)
    return enrollment


def test_outcomes_before_vs_after_with_totals(
    client, program_a, manager_a, navigator_a
):
    now = timezone.now()
    old, recent = PersonFactory.create_batch(2, program=program_a)
    # Enrolled 100 days ago: 3 contacts in the 30 days before, 1 in the 30 after.
    enrolled = now - datetime.timedelta(days=100)
    for d in (2, 10, 20):
        EncounterFactory(person=old, started_at=enrolled - datetime.timedelta(days=d))
    EncounterFactory(person=old, started_at=enrolled + datetime.timedelta(days=5))
    EncounterFactory(person=old, started_at=enrolled - datetime.timedelta(days=40))
    enroll_at(manager_a, old, navigator_a, enrolled)
    # Enrolled 10 days ago: 2 before, 1 after so far.
    since = now - datetime.timedelta(days=10)
    for d in (1, 3):
        EncounterFactory(person=recent, started_at=since - datetime.timedelta(days=d))
    EncounterFactory(person=recent, started_at=since + datetime.timedelta(days=1))
    enroll_at(manager_a, recent, navigator_a, since)

    client.force_login(manager_a)
    response = client.get(OUTCOMES_URL, {"days": 30})
    assert response.status_code == 200
    rows = {e.person_id: e for e in response.context["page_obj"].object_list}
    assert (rows[old.pk].contacts_before, rows[old.pk].contacts_after) == (3, 1)
    assert rows[old.pk].days_observed == 30
    assert (rows[recent.pk].contacts_before, rows[recent.pk].contacts_after) == (2, 1)
    assert rows[recent.pk].days_observed == 10
    totals = response.context["totals"]
    assert totals["all"] == {"enrollments": 2, "before": 5, "after": 2, "percent": -60}
    assert totals["observed"] == {
        "enrollments": 1,
        "before": 3,
        "after": 1,
        "percent": -67,
    }
    assert "10 of 30" in response.text
    # The default period is 90 days; a bad one is named and the default used.
    assert client.get(OUTCOMES_URL).context["days"] == 90
    bad = client.get(OUTCOMES_URL, {"days": "-3"})
    assert bad.context["days"] == 90 and "days" in bad.context["form"].errors


def test_outcomes_hold_only_managed_programs(
    client, program_a, manager_a, manager_b, navigator_a
):
    person = PersonFactory(program=program_a)
    ff.familiar_enroll(by=manager_a, person=person, navigator=navigator_a)
    client.force_login(manager_b)
    response = client.get(OUTCOMES_URL)
    assert response.status_code == 200
    assert response.context["page_obj"].object_list == []


@pytest.mark.parametrize("n_people", [2, 20])
def test_outcomes_query_count_is_flat(
    client,
    program_a,
    program_b,
    manager_a,
    navigator_a,
    n_people,
    django_assert_max_num_queries,
):
    # Two managed programs, so each row shows its program too.
    Membership.objects.create(
        user=manager_a, program=program_b, role=Role.PROGRAM_MANAGER
    )
    for program in (program_a, program_b):
        for person in flagged(program, n_people=n_people // 2):
            ff.familiar_enroll(by=manager_a, person=person, navigator=manager_a)
    client.force_login(manager_a)
    with django_assert_max_num_queries(OUTCOMES_MAX_QUERIES):
        response = client.get(OUTCOMES_URL)
    assert len(response.context["page_obj"].object_list) == n_people
    assert program_b.name in response.text


# --- history -----------------------------------------------------------------


def test_history_shows_who_was_on_the_list_that_month(
    client, program_a, navigator_a, navigator_b
):
    people = flagged(program_a, n_people=2)
    gone = people[1]
    Person.objects.filter(pk=gone.pk).update(deleted_at=timezone.now())
    this_month = timezone.localtime(timezone.now(), program_a.tz).strftime("%Y-%m")
    client.force_login(navigator_a)
    response = client.get(HISTORY_URL, {"month": this_month})
    assert response.status_code == 200
    entries = response.context["page_obj"].object_list
    assert [e.person for e in entries] == [people[0]]  # deleted people are gone
    assert people[0].display_name in response.text
    assert client.get(HISTORY_URL).context["month"].strftime("%Y-%m") == this_month
    assert (
        client.get(HISTORY_URL, {"month": "2001-01"}).context["page_obj"].object_list
        == []
    )
    bad = client.get(HISTORY_URL, {"month": "2026-13"})
    assert bad.status_code == 200 and "month" in bad.context["form"].errors
    client.force_login(navigator_b)
    assert (
        client.get(HISTORY_URL, {"month": this_month}).context["page_obj"].object_list
        == []
    )


@pytest.mark.parametrize("n_people", [2, 20])
def test_history_query_count_is_flat(
    client, program_a, navigator_a, n_people, django_assert_max_num_queries
):
    flagged(program_a, n_people=n_people)
    client.force_login(navigator_a)
    with django_assert_max_num_queries(HISTORY_MAX_QUERIES):
        response = client.get(HISTORY_URL)
    assert len(response.context["page_obj"].object_list) == n_people
