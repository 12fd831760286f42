"""Unidentified encounters waiting to be linked: the list (filters, pages,
query count), and "add the person" from the link page coming back to the
linking (issue 8, "What users hit")."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Encounter, Person
from navigator.models import Program, Role
from tests.cases.test_pages_people import person_post
from tests.factories import EncounterFactory, PersonFactory, member

pytestmark = pytest.mark.django_db

# Session, user, memberships, the page count and rows, their navigators, the
# session save (with savepoints); no audit insert (they name no one).
UNIDENTIFIED_MAX_QUERIES = 10


def unidentified(program: Program, **kwargs: object) -> Encounter:
    kwargs.setdefault("unidentified_description", "Man in a red coat")
    return EncounterFactory(person=None, program=program, **kwargs)


def test_lists_the_programs_unidentified_encounters_only(
    client, navigator_a, program_a, program_b
):
    mine = unidentified(program_a, unidentified_description="Woman with a blue cart")
    # Someone else's in the same program shows too (Today shows only one's own).
    colleague = member(program_a, Role.NAVIGATOR)
    theirs = unidentified(program_a, created_by=colleague, unidentified_description="")
    linked = EncounterFactory(person=PersonFactory(program=program_a))
    other_program = unidentified(program_b, unidentified_description="Other program")
    client.force_login(navigator_a)
    page = client.get(reverse("encounter-unidentified"))
    assert page.status_code == 200
    shown = {e.pk for e in page.context["page_obj"].object_list}
    assert shown == {mine.pk, theirs.pk}
    assert linked.pk not in shown and other_program.pk not in shown
    assert "Woman with a blue cart" in page.text
    assert "No description" in page.text
    assert "Other program" not in page.text
    assert reverse("encounter-link", args=[mine.pk]) in page.text


def test_today_links_to_the_list(client, navigator_a):
    client.force_login(navigator_a)
    assert reverse("encounter-unidentified") in client.get(reverse("today")).text


def test_filters_by_day_and_source(client, navigator_a, program_a):
    now = timezone.now()
    old = unidentified(
        program_a,
        started_at=now - datetime.timedelta(days=40),
        source="outreach",
        unidentified_description="Old one",
    )
    new = unidentified(program_a, started_at=now, source="911")
    client.force_login(navigator_a)
    url = reverse("encounter-unidentified")
    since = (now - datetime.timedelta(days=7)).date().isoformat()
    recent = client.get(url, {"date_from": since}).context["page_obj"].object_list
    assert [e.pk for e in recent] == [new.pk]
    by_source = client.get(url, {"source": "outreach"}).context["page_obj"]
    assert [e.pk for e in by_source.object_list] == [old.pk]
    bad = client.get(url, {"date_from": "yesterday"})
    assert bad.status_code == 200 and "date_from" in bad.context["filter"].errors


def test_pages_of_25(client, navigator_a, program_a):
    for _ in range(27):
        unidentified(program_a)
    client.force_login(navigator_a)
    first = client.get(reverse("encounter-unidentified"))
    assert len(first.context["page_obj"].object_list) == 25
    assert "?page=2" in first.text
    second = client.get(reverse("encounter-unidentified"), {"page": 2})
    assert len(second.context["page_obj"].object_list) == 2


@pytest.mark.parametrize("rows", [3, 30])
def test_query_count_is_flat(
    client, navigator_a, program_a, django_assert_max_num_queries, rows
):
    for _ in range(rows):
        unidentified(program_a).navigators.add(navigator_a)
    client.force_login(navigator_a)
    with django_assert_max_num_queries(UNIDENTIFIED_MAX_QUERIES):
        response = client.get(reverse("encounter-unidentified"))
    assert len(response.context["page_obj"].object_list) == min(rows, 25)


def test_add_the_person_comes_back_to_the_linking(client, navigator_a, program_a):
    encounter = unidentified(program_a)
    link = reverse("encounter-link", args=[encounter.pk])
    client.force_login(navigator_a)
    page = client.get(link).text
    add = reverse("person-create") + "?next=" + link.replace("/", "%2F")
    assert add.replace("%2F", "/") in page.replace("%2F", "/")
    form = client.get(reverse("person-create"), {"next": link})
    assert f'name="next" value="{link}"' in form.text
    created = client.post(
        reverse("person-create"),
        person_post(last_name="Newcomb", next=link, program=str(program_a.pk)),
    )
    person = Person.objects.get(last_name="Newcomb")
    assert created.status_code == 302
    assert created.url == f"{link}?person={person.pk}"
    # Back on the link page, the new person is the one chosen.
    back = client.get(created.url)
    assert back.context["picker"]["chosen"] == person
    linked = client.post(link, {"person": str(person.pk)})
    assert linked.status_code == 302
    encounter.refresh_from_db()
    assert encounter.person_id == person.pk


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/steal",
        "//evil.example/steal",
        "/\\evil.example",
        "javascript:alert(1)",
        "people/",
    ],
)
def test_next_never_leaves_the_site(client, navigator_a, program_a, target):
    client.force_login(navigator_a)
    created = client.post(
        reverse("person-create"),
        person_post(last_name="Safe", next=target, program=str(program_a.pk)),
    )
    person = Person.objects.get(last_name="Safe")
    assert created.status_code == 302
    assert created.url == reverse("person-detail", args=[person.pk])
    form = client.get(reverse("person-create"), {"next": target})
    assert 'name="next"' not in form.text
