"""/followups/: the user's open follow-ups by default, filterable, paginated."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.services import family_contact_add
from followups import services
from navigator.models import Role
from tests.factories import PersonFactory, member
from tests.followups.helpers import schedule

pytestmark = pytest.mark.django_db

# Session, user, memberships, the default assignee checked against the
# colleagues, the list's count and rows (person, program, assignee, contact,
# encounter, closer joined), the filter form's choices (programs,
# colleagues), the audit insert, the session save with savepoints.
LIST_MAX_QUERIES = 12


def test_list_requires_login(client):
    response = client.get(reverse("followup-list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_admins_see_an_empty_list(client, navigator_a, program_a):
    # A list shows what is the user's (DESIGN.md), as from the API: an admin
    # holds no follow-ups and sees none of the program's.
    schedule(navigator_a, in_minutes=60)
    client.force_login(member(program_a, Role.ADMIN))
    response = client.get(reverse("followup-list"))
    assert response.status_code == 200
    assert list(response.context["page_obj"].object_list) == []


def test_default_is_my_open_follow_ups(client, navigator_a, navigator_b, program_a):
    colleague = member(program_a, Role.NAVIGATOR)
    mine = schedule(navigator_a, in_minutes=60)
    late = schedule(navigator_a, in_minutes=-60)
    done = schedule(navigator_a, in_minutes=30)
    services.followup_complete(by=navigator_a, followup=done, outcome="reached")
    theirs = schedule(colleague, in_minutes=60)
    elsewhere = schedule(navigator_b, in_minutes=60)
    client.force_login(navigator_a)
    response = client.get(reverse("followup-list"))
    assert response.status_code == 200
    listed = [f.pk for f in response.context["page_obj"].object_list]
    assert listed == [late.pk, mine.pk]  # oldest due first
    assert "Overdue" in response.text
    # The filter can widen it, never beyond the user's programs.
    everyone = client.get(reverse("followup-list"), {"status": ""})
    shown = {f.pk for f in everyone.context["page_obj"].object_list}
    assert shown == {mine.pk, late.pk, done.pk, theirs.pk}
    assert elsewhere.pk not in shown
    overdue = client.get(reverse("followup-list"), {"overdue": "true"})
    assert [f.pk for f in overdue.context["page_obj"].object_list] == [late.pk]
    # Paging keeps the default filter.
    page2 = client.get(reverse("followup-list"), {"page": "2"})
    assert [f.pk for f in page2.context["page_obj"].object_list] == listed


def test_bad_filter_value_is_a_form_error(client, navigator_a):
    client.force_login(navigator_a)
    response = client.get(reverse("followup-list"), {"due_after": "yesterday-ish"})
    assert response.status_code == 200
    assert "due_after" in response.context["filter"].errors


@pytest.mark.parametrize("rows", [3, 30])
def test_list_query_count_is_flat(
    client, navigator_a, program_a, django_assert_max_num_queries, rows
):
    for i in range(rows):
        person = PersonFactory(program=program_a)
        contact = family_contact_add(
            by=navigator_a,
            person=person,
            data={"name": f"C{i}", "relationship": "son", "may_contact": True},
        )
        schedule(
            navigator_a,
            person=person,
            contact=contact if i % 2 else None,
            in_minutes=(i - rows // 2) * 60,
        )
    client.force_login(navigator_a)
    with django_assert_max_num_queries(LIST_MAX_QUERIES):
        response = client.get(reverse("followup-list"))
    assert len(response.context["page_obj"].object_list) == min(rows, 25)
    assert response.context["page_obj"].paginator.count == rows
