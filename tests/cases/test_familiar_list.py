"""The familiar-faces list page: its rows, who acts on them, filters, pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.familiar import evaluation
from cases.familiar import services as ff
from cases.models import (
    FamiliarFacesRule,
)
from navigator.models import Membership, Role
from tests.cases.familiar_world import (
    EXPORT_URL,
    LIST_URL,
    flag_of,
    flagged,
)

pytestmark = pytest.mark.django_db

# Session, user, memberships; the rules behind the trend filter; COUNT and
# the page of flags (annotated); the rows' enrollments, encounters and
# previous-window counts (one per rule on the page); the enroll forms' staff;
# the filter form's rule choices; the audit insert; the session save with its
# savepoints. None grow with the page.
LIST_MAX_QUERIES = 15


# --- the list ----------------------------------------------------------------


def test_manager_list_rows_say_why_trend_and_offer_actions(
    client, program_a, manager_a, navigator_a
):
    people = flagged(program_a, n_people=3)
    client.force_login(manager_a)
    response = client.get(LIST_URL)
    assert response.status_code == 200
    html = response.text
    rows = response.context["rows"]
    # Most contacts first: the third person has 4 + 2.
    assert [r["person"] for r in rows] == [people[2], people[1], people[0]]
    assert [r["contacts"] for r in rows] == [6, 5, 4]
    assert all(r["previous_contacts"] == 1 and r["trend"] == "up" for r in rows)
    for person in people:
        assert person.display_name in html
        assert reverse("person-detail", args=[person.pk]) in html
    assert "Why:</span> 6 encounters from" in html
    assert "rule “3 in 30 days”" in html
    assert "↑</span> up" in html and "(previous 30 days: 1)" in html
    assert "Mental health, Homelessness" in html
    flag = flag_of(people[0])
    assert f'action="{reverse("familiar:enroll", args=[flag.pk])}"' in html
    assert f'action="{reverse("familiar:dismiss", args=[flag.pk])}"' in html
    assert "won't come back on the list until they have new contacts" in html
    # The enroll form offers the program's staff.
    assert f'<option value="{navigator_a.pk}">' in html
    assert f'href="{EXPORT_URL}"' in html
    assert "{#" not in html and "{%" not in html  # no template text leaks


def test_navigator_list_is_read_only(client, program_a, navigator_a):
    (person,) = flagged(program_a, n_people=1)
    client.force_login(navigator_a)
    html = client.get(LIST_URL).text
    assert person.display_name in html
    assert reverse("familiar:dismiss", args=[flag_of(person).pk]) not in html
    assert reverse("familiar:enroll", args=[flag_of(person).pk]) not in html
    assert EXPORT_URL not in html
    assert "Read-only" in html


def test_other_programs_list_holds_none_of_ours(client, program_a, navigator_b):
    (person,) = flagged(program_a, n_people=1)
    client.force_login(navigator_b)
    response = client.get(LIST_URL)
    assert response.status_code == 200
    assert response.context["rows"] == []
    assert person.display_name not in response.text


def test_a_manager_here_and_navigator_there_acts_only_here(
    client, program_a, program_b, manager_a
):
    Membership.objects.create(user=manager_a, program=program_b, role=Role.NAVIGATOR)
    (ours,) = flagged(program_a, n_people=1)
    (theirs,) = flagged(program_b, n_people=1)
    client.force_login(manager_a)
    response = client.get(LIST_URL)
    can_act = {r["person"].pk: r["can_act"] for r in response.context["rows"]}
    assert can_act == {ours.pk: True, theirs.pk: False}
    assert (
        client.get(reverse("familiar:dismiss", args=[flag_of(theirs).pk])).status_code
        == 403
    )


def test_filters(client, program_a, manager_a, navigator_a):
    up = flagged(program_a, n_people=1, contacts=4, previous=1)[0]
    down = flagged(program_a, n_people=1, contacts=3, previous=5)[0]
    ff.familiar_enroll(by=manager_a, person=up, navigator=navigator_a)
    client.force_login(manager_a)

    def people(**params) -> list[int]:
        response = client.get(LIST_URL, params)
        assert response.status_code == 200
        return sorted({r["person"].pk for r in response.context["rows"]})

    assert people() == sorted([up.pk, down.pk])
    assert people(enrolled="true") == [up.pk]
    assert people(enrolled="false") == [down.pk]
    assert people(trend="up") == [up.pk]
    assert people(trend="down") == [down.pk]
    assert people(program=program_a.pk) == sorted([up.pk, down.pk])
    assert people(min_contacts=5) == []
    assert people(min_contacts=4) == [up.pk]
    # A second rule flags both again (a row per person and rule).
    other_rule = FamiliarFacesRule.objects.create(
        program=program_a, name="2 in 7", min_encounters=2, window_days=7
    )
    evaluation.evaluate_program(program_a)
    rows = client.get(LIST_URL, {"rule": other_rule.pk}).context["rows"]
    assert {r["rule"] for r in rows} == {other_rule} and len(rows) == 2
    # A bad value is named on the form, never a 500.
    response = client.get(LIST_URL, {"enrolled": "maybe", "min_contacts": "2.5"})
    assert response.status_code == 200
    assert set(response.context["filter"].form.errors) == {"enrolled", "min_contacts"}


def test_list_is_paginated(client, program_a, manager_a):
    flagged(program_a, n_people=27)
    client.force_login(manager_a)
    first = client.get(LIST_URL)
    assert len(first.context["rows"]) == 25
    assert "Page 1 of 2" in first.text
    second = client.get(LIST_URL, {"page": 2})
    assert len(second.context["rows"]) == 2
    counts = [r["contacts"] for r in first.context["rows"]] + [
        r["contacts"] for r in second.context["rows"]
    ]
    assert counts == sorted(counts, reverse=True)


@pytest.mark.parametrize("n_people", [3, 30])
def test_list_query_count_is_flat(
    client, program_a, manager_a, navigator_a, n_people, django_assert_max_num_queries
):
    people = flagged(program_a, n_people=n_people)
    ff.familiar_enroll(by=manager_a, person=people[0], navigator=navigator_a)
    client.force_login(manager_a)
    with django_assert_max_num_queries(LIST_MAX_QUERIES):
        response = client.get(LIST_URL, {"trend": "up", "enrolled": "false"})
    assert len(response.context["rows"]) == min(n_people - 1, 25)
