"""Lists count at most COUNT_LIMIT rows, the same way on the pages and the API.

Issue 7, finding 9: every list counted all the rows it matched (600,000
encounters for a page of 25). The count now stops one row past the limit and
says so; page numbers reach only the rows it counted.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from cases.models import Person
from navigator.pagination import COUNT_LIMIT, BoundedPaginator, ExactPaginator
from tests.factories import EncounterFactory, PersonFactory

pytestmark = pytest.mark.django_db

STAFF_LISTS = [
    "/api/v1/people/",
    "/api/v1/encounters/",
    "/api/v1/followups/",
    "/api/v1/followups/deliveries/",
    "/api/v1/familiar-faces/",
    "/people/",
    "/encounters/",
    "/followups/?status=&assigned_to=",
    "/followups/overdue/",
    "/followups/deliveries/",
    "/familiar-faces/",
    "/",
]


@pytest.fixture
def limit(monkeypatch):
    """A count limit of 3, so a handful of rows goes past it."""
    monkeypatch.setattr(BoundedPaginator, "count_limit", 3)
    return 3


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def people(program, n: int) -> list[Person]:
    return [
        PersonFactory(program=program, last_name=f"Row{i:02}", first_name="A")
        for i in range(n)
    ]


def count_queries(ctx) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]


# --- the paginator -------------------------------------------------------------


def test_the_limit_is_ten_thousand_and_reads_10000_plus():
    capped = BoundedPaginator(range(COUNT_LIMIT + 1), 25)
    assert COUNT_LIMIT == 10_000
    assert (capped.count, capped.count_capped) == (10_000, True)
    assert capped.count_label == "10,000+"
    assert capped.num_pages == 400
    exact = BoundedPaginator(range(COUNT_LIMIT), 25)
    assert (exact.count, exact.count_capped, exact.count_label) == (
        10_000,
        False,
        "10,000",
    )


def test_count_is_exact_up_to_the_limit(program_a, limit):
    people(program_a, 3)
    paginator = BoundedPaginator(Person.objects.order_by("last_name"), 2)
    assert (paginator.count, paginator.count_capped) == (3, False)
    assert paginator.count_label == "3"


def test_count_stops_one_row_past_the_limit_in_one_query(program_a, limit):
    people(program_a, 7)
    paginator = BoundedPaginator(Person.objects.order_by("last_name"), 2)
    with CaptureQueriesContext(connection) as ctx:
        assert (paginator.count, paginator.count_capped) == (3, True)
    (sql,) = ctx.captured_queries
    assert "LIMIT 4" in sql["sql"]
    # The count reads no more than the key: no ORDER BY, no page columns.
    assert "ORDER BY" not in sql["sql"] and "last_name" not in sql["sql"]
    assert paginator.count_label == "3+"
    assert paginator.num_pages == 2
    assert [p.last_name for p in paginator.page(2)] == ["Row02"]
    with pytest.raises(Exception, match="no results"):
        paginator.page(3)


def test_exact_paginator_counts_everything(program_a, limit):
    people(program_a, 7)
    paginator = ExactPaginator(Person.objects.order_by("last_name"), 2)
    assert (paginator.count, paginator.count_capped) == (7, False)
    assert paginator.num_pages == 4


# --- every staff list counts this way -------------------------------------------


@pytest.mark.parametrize("url", STAFF_LISTS)
def test_every_staff_list_counts_at_most_the_limit(url, client, manager_a):
    """Before the fix each of these ran an unbounded COUNT(*) of the list."""
    client.force_login(manager_a)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    counts = count_queries(ctx)
    assert any(f"LIMIT {COUNT_LIMIT + 1}" in sql for sql in counts), counts


# --- the API ----------------------------------------------------------------------


def test_api_says_when_the_count_is_capped(program_a, navigator_a, limit):
    people(program_a, 5)
    api = api_for(navigator_a)
    first = api.get("/api/v1/people/", {"page_size": 2}).json()
    assert first["count"] == 3 and first["count_capped"] is True
    assert [p["last_name"] for p in first["results"]] == ["Row00", "Row01"]
    assert "page=2" in first["next"]
    # The last page the count reaches has no next; past it is a 404.
    last = api.get("/api/v1/people/", {"page_size": 2, "page": 2}).json()
    assert last["next"] is None and last["count_capped"] is True
    assert [p["last_name"] for p in last["results"]] == ["Row02"]
    beyond = api.get("/api/v1/people/", {"page_size": 2, "page": 3})
    assert beyond.status_code == 404
    assert beyond.json()["code"] == "not_found"


def test_api_count_is_exact_below_the_limit(program_a, navigator_a, limit):
    people(program_a, 2)
    body = api_for(navigator_a).get("/api/v1/people/").json()
    assert body["count"] == 2 and body["count_capped"] is False
    assert set(body) == {"count", "count_capped", "next", "previous", "results"}


def test_schema_documents_count_and_count_capped():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    page = schema["components"]["schemas"]["PaginatedPersonList"]
    assert page["required"] == ["count", "count_capped", "next", "previous", "results"]
    count = page["properties"]["count"]
    assert count["maximum"] == COUNT_LIMIT
    assert "exact up to 10,000" in count["description"]
    capped = page["properties"]["count_capped"]
    assert capped["type"] == "boolean"
    assert "narrow the filters" in capped["description"]
    parameters = {
        p["name"]: p for p in schema["paths"]["/api/v1/people/"]["get"]["parameters"]
    }
    assert "10,000" in parameters["page"]["description"]
    assert "at most 100" in parameters["page_size"]["description"]


# --- the pages, and the same answer as the API ----------------------------------


def test_page_shows_10000_plus_and_where_page_numbers_stop(
    client, program_a, navigator_a, limit
):
    people(program_a, 80)
    client.force_login(navigator_a)
    first = client.get("/people/").content.decode()
    assert "3+ people" in first and "Page 1 of 1+" in first
    assert "Page numbers stop here" in first
    # A page number past the counted rows gives the last one, as before.
    beyond = client.get("/people/", {"page": 9})
    assert beyond.context["page_obj"].number == 1


def test_page_and_api_give_the_same_count(client, program_a, manager_a, limit):
    for _ in range(4):
        EncounterFactory(person__program=program_a)
    client.force_login(manager_a)
    page = client.get("/encounters/").context["page_obj"].paginator
    body = api_for(manager_a).get("/api/v1/encounters/").json()
    assert (page.count, page.count_capped) == (body["count"], body["count_capped"])
    assert (body["count"], body["count_capped"]) == (3, True)


def test_a_persons_timeline_is_counted_exactly(client, program_a, manager_a, limit):
    person = PersonFactory(program=program_a)
    for _ in range(5):
        EncounterFactory(person=person)
    client.force_login(manager_a)
    timeline = client.get(f"/people/{person.pk}/").context["timeline"]
    assert timeline.paginator.count == 5
    assert timeline.paginator.count_capped is False
