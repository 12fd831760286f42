"""The API lists are N+1-free: the same queries for 10 rows as for 100.

Counts include authentication (token lookup), the user's memberships, the
page count and the page itself with its prefetches; they do not grow with the
page size.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from cases.models import Alias, FamilyContact
from navigator.models import Role
from navigator.services import api_token_create
from tests.factories import EncounterFactory, PersonFactory, member

pytestmark = pytest.mark.django_db

# Token, memberships, COUNT, page, aliases prefetch, the audit insert (one
# LIST event per person on the page, navigator.disclosure).
PEOPLE_MAX_QUERIES = 6
# The same, plus PostgreSQL's trigram threshold (set_config) for ``q``.
PEOPLE_SEARCH_MAX_QUERIES = 7
# Token, memberships, COUNT, page (person joined), navigators prefetch, the
# audit insert.
ENCOUNTERS_MAX_QUERIES = 6


@pytest.fixture
def api(navigator_a):
    _, key = api_token_create(user=navigator_a, name="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    client.get("/api/v1/people/", {"page_size": 1})  # stamps last_used_at once
    return client


@pytest.fixture
def people(program_a):
    # One shared last name, so a search can fill a page of 100.
    people = PersonFactory.create_batch(110, program=program_a, last_name="Smith")
    Alias.objects.bulk_create(
        Alias(person=p, name=f"{p.first_name} alias {i}")
        for p in people
        for i in range(2)
    )
    FamilyContact.objects.bulk_create(
        FamilyContact(person=p, name="Kin", relationship="sibling") for p in people
    )
    return people


@pytest.fixture
def encounters(people, program_a, navigator_a):
    colleague = member(program_a, Role.NAVIGATOR)
    rows = [EncounterFactory(person=people[i % 50]) for i in range(105)]
    rows += [
        EncounterFactory(person=None, program=program_a, unidentified_description="?")
        for _ in range(5)
    ]
    for row in rows:
        row.navigators.add(navigator_a, colleague)
    return rows


def count_queries(api, path: str, **params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(path, params)
    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) == params["page_size"]
    return len(ctx.captured_queries)


@pytest.mark.parametrize("page_size", [10, 100])
def test_people_list_query_count(api, people, page_size, django_assert_max_num_queries):
    with django_assert_max_num_queries(PEOPLE_MAX_QUERIES):
        response = api.get("/api/v1/people/", {"page_size": page_size})
    rows = response.json()["results"]
    assert len(rows) == page_size
    assert all(len(row["aliases"]) == 2 for row in rows)


@pytest.mark.parametrize("page_size", [10, 100])
def test_people_search_query_count(
    api, people, page_size, django_assert_max_num_queries
):
    with django_assert_max_num_queries(PEOPLE_SEARCH_MAX_QUERIES):
        response = api.get("/api/v1/people/", {"page_size": page_size, "q": "smith"})
    assert len(response.json()["results"]) == page_size


@pytest.mark.parametrize("page_size", [10, 100])
def test_encounters_list_query_count(
    api, encounters, page_size, django_assert_max_num_queries
):
    with django_assert_max_num_queries(ENCOUNTERS_MAX_QUERIES):
        response = api.get("/api/v1/encounters/", {"page_size": page_size})
    rows = response.json()["results"]
    assert len(rows) == page_size
    assert all(len(row["navigators"]) == 2 for row in rows)
    assert any(row["person_display_name"] for row in rows)


def test_page_size_does_not_change_the_number_of_queries(api, encounters):
    for path in ("/api/v1/people/", "/api/v1/encounters/"):
        assert count_queries(api, path, page_size=10) == count_queries(
            api, path, page_size=100
        ), path
