"""The person page's familiar-faces panel: chart, history, audit, scope."""

from __future__ import annotations

import datetime

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from cases.familiar import evaluation
from cases.familiar import services as ff
from navigator.models import AuditAction, AuditEvent
from tests.cases.familiar_world import (
    flag_of,
    flagged,
)
from tests.factories import EncounterFactory, PersonFactory

pytestmark = pytest.mark.django_db

# Session, user, memberships, the person, the audit insert, the months, the
# flags, the enrollment, session save.
PANEL_MAX_QUERIES = 12


# --- the person page's panel -------------------------------------------------


def local_noon(program, months_back: int) -> datetime.datetime:
    """Noon on the 15th, ``months_back`` months ago, in the program's zone."""
    today = timezone.localtime(timezone.now(), program.tz).date()
    index = today.year * 12 + today.month - 1 - months_back
    return datetime.datetime(index // 12, index % 12 + 1, 15, 12, tzinfo=program.tz)


def test_person_page_loads_the_panel_without_costing_it_queries(
    client, program_a, navigator_a
):
    person = PersonFactory(program=program_a)
    client.force_login(navigator_a)
    html = client.get(reverse("person-detail", args=[person.pk])).text
    panel = reverse("familiar:person-panel", args=[person.pk])
    assert f'hx-get="{panel}"' in html and 'hx-trigger="revealed"' in html
    assert f'<a href="{panel}">' in html  # without JavaScript


def test_panel_chart_counts_encounters_per_month(client, program_a, navigator_a):
    person = PersonFactory(program=program_a)
    EncounterFactory(
        person=person, started_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    EncounterFactory(
        person=person, started_at=timezone.now() - datetime.timedelta(minutes=2)
    )
    EncounterFactory(person=person, started_at=local_noon(program_a, 3))
    EncounterFactory(person=person, started_at=local_noon(program_a, 13))  # too old
    deleted = EncounterFactory(person=person, started_at=local_noon(program_a, 3))
    deleted.deleted_at = timezone.now()
    deleted.save()
    client.force_login(navigator_a)
    response = client.get(
        reverse("familiar:person-panel", args=[person.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "<html" not in response.text  # a fragment for htmx
    months = response.context["months"]
    assert len(months) == 12
    assert months[-1][1] == 2 and months[-4][1] == 1
    assert sum(n for _, n in months) == 3
    html = response.text
    this_month = months[-1][0].strftime("%B %Y")
    assert f'<th scope="row">{this_month}</th><td>2</td>' in html
    assert "<svg" in html and 'aria-hidden="true"' in html
    # A table ignores .visually-hidden's 1px width (it widened the phone page
    # by 111px): it hides inside a div.
    assert '<div class="visually-hidden">\n<table>' in html
    assert "{#" not in html and "{%" not in html
    assert "3 encounters from" in html
    full = client.get(reverse("familiar:person-panel", args=[person.pk]))
    assert "<html" in full.text and "Encounters per month" in full.text


def test_panel_is_audited_and_scoped(client, program_a, navigator_a, navigator_b):
    person = PersonFactory(program=program_a)
    url = reverse("familiar:person-panel", args=[person.pk])
    client.force_login(navigator_b)
    assert client.get(url).status_code == 404
    assert not AuditEvent.objects.exists()
    client.force_login(navigator_a)
    client.get(url)
    event = AuditEvent.objects.get()
    assert (event.actor, event.action, event.person_id, event.disclosed) == (
        navigator_a,
        AuditAction.VIEW,
        person.pk,
        {"encounter.counts": [person.pk]},
    )
    assert event.endpoint == "familiar:person-panel"


def test_panel_shows_flag_history_and_enrollment(
    client, program_a, manager_a, navigator_a
):
    (person,) = flagged(program_a, n_people=1)
    flag = flag_of(person)
    ff.familiar_flag_dismiss(by=manager_a, flag=flag, reason="Housed last week")
    EncounterFactory(person=person, started_at=timezone.now())
    evaluation.evaluate_person(person.pk)  # new contact: back on the list
    enrollment = ff.familiar_enroll(
        by=manager_a, person=person, navigator=navigator_a, plan="Call on Mondays"
    )
    url = reverse("familiar:person-panel", args=[person.pk])
    client.force_login(navigator_a)
    html = client.get(url, HTTP_HX_REQUEST="true").text
    assert "Dismissal superseded by new contacts" in html
    assert "Housed last week" in html and manager_a.get_full_name() in html
    assert "new contacts after the dismissal" in html
    assert "On the list" in html
    assert "Call on Mondays" in html and navigator_a.get_full_name() in html
    end_url = reverse("familiar:enrollment-end", args=[enrollment.pk])
    assert end_url not in html  # navigators do not end enrollments
    client.force_login(manager_a)
    assert end_url in client.get(url, HTTP_HX_REQUEST="true").text


def test_panel_of_a_person_never_flagged(client, program_a, navigator_a):
    person = PersonFactory(program=program_a)
    client.force_login(navigator_a)
    html = client.get(reverse("familiar:person-panel", args=[person.pk])).text
    assert "Never on the familiar-faces list." in html and "Not enrolled." in html


def test_panel_renders_in_place_with_lazy_false(rf, program_a, navigator_a):
    person = PersonFactory(program=program_a)
    EncounterFactory(
        person=person, started_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    request = rf.get("/")
    request.user = navigator_a
    html = Template(
        "{% load familiar_faces %}{% familiar_person_panel person lazy=False %}"
    ).render(Context({"person": person, "request": request}))
    assert "hx-get" not in html
    assert "1 encounter from" in html


@pytest.mark.parametrize("n_flags", [1, 6])
def test_panel_query_count_is_flat(
    client, program_a, manager_a, navigator_a, n_flags, django_assert_max_num_queries
):
    (person,) = flagged(program_a, n_people=1)
    for i in range(n_flags - 1):
        flag = flag_of(person)
        ff.familiar_flag_dismiss(by=manager_a, flag=flag, reason=f"r{i}")
        EncounterFactory(person=person, started_at=timezone.now())
        evaluation.evaluate_person(person.pk)
    ff.familiar_enroll(by=manager_a, person=person, navigator=navigator_a)
    client.force_login(manager_a)
    with django_assert_max_num_queries(PANEL_MAX_QUERIES):
        response = client.get(reverse("familiar:person-panel", args=[person.pk]))
    assert len(response.context["flags"]) == n_flags
