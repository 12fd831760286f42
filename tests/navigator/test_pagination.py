"""Lists count at most COUNT_LIMIT rows, the same way on the pages and the API.

Issue 7, finding 9: every list counted all the rows it matched (600,000
encounters for a page of 25). The count now stops one row past the limit and
says so; page numbers reach only the rows it counted.
"""

from __future__ import annotations

import datetime
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from cases.models import Person
from navigator.pagination import COUNT_LIMIT, BoundedPaginator, ExactPaginator
from tests.cases.familiar_world import flagged
from tests.factories import EncounterFactory, PersonFactory

pytestmark = pytest.mark.django_db

STAFF_LISTS = [
    "/api/v1/people/",
    "/api/v1/encounters/",
    "/api/v1/followups/",
    "/api/v1/followups/deliveries/",
    "/api/v1/familiar-faces/",
    "/api/v1/referrals/",
    "/people/",
    "/encounters/",
    "/followups/?status=&assigned_to=",
    "/followups/overdue/",
    "/followups/deliveries/",
    "/familiar-faces/",
    "/",
    # Referral pages (issue 9): the board.
    "/referrals/",
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


def test_a_later_page_is_found_by_its_keys_in_one_query(program_a, limit):
    people(program_a, 3)
    qs = Person.objects.order_by("last_name").annotate(n=Count("aliases"))
    grouped = BoundedPaginator(qs, 1)
    plain = BoundedPaginator(Person.objects.order_by("last_name"), 1)
    assert plain.count == grouped.count == 3
    with CaptureQueriesContext(connection) as ctx:
        second = list(plain.page(2))
    (sql,) = [q["sql"] for q in ctx.captured_queries]
    # The page's rows by key: the skipped rows' columns are never read.
    assert "IN (SELECT" in sql and "OFFSET 1" in sql
    assert [p.last_name for p in second] == ["Row01"]
    # A grouped query pages as it is (a key alone does not name its rows).
    assert [p.last_name for p in grouped.page(2)] == ["Row01"]


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
    # Page numbers reach the counted rows; past them is a 404.
    last = api.get("/api/v1/people/", {"page_size": 2, "page": 2}).json()
    assert [p["last_name"] for p in last["results"]] == ["Row02"]
    beyond = api.get("/api/v1/people/", {"page_size": 2, "page": 3})
    assert beyond.status_code == 404
    assert beyond.json()["code"] == "not_found"
    # The last of them goes on by cursor.
    assert "cursor=" in last["next"] and "page=" not in last["next"]


def walk(api, url: str, params: dict) -> tuple[list[dict], list[dict]]:
    """Every result and every page body, following ``next`` to the end."""
    bodies = [api.get(url, params).json()]
    while bodies[-1]["next"] and len(bodies) < 50:
        bodies.append(api.get(bodies[-1]["next"]).json())
    return [r for b in bodies for r in b["results"]], bodies


def test_following_next_gives_every_row_once(program_a, navigator_a, limit):
    rows = people(program_a, 4)
    # Ties on both names: the cursor's id decides between them.
    rows += [
        PersonFactory(program=program_a, last_name="Row02", first_name="A")
        for _ in range(3)
    ]
    api = api_for(navigator_a)
    results, bodies = walk(api, "/api/v1/people/", {"page_size": 2})
    expected = [
        p.pk for p in sorted(rows, key=lambda p: (p.last_name, p.first_name, p.pk))
    ]
    assert [r["id"] for r in results] == expected
    assert len(bodies) == 4
    cursor_pages = bodies[2:]
    assert all(b["previous"] is None for b in cursor_pages)
    assert all((b["count"], b["count_capped"]) == (3, True) for b in bodies)


def test_cursors_walk_a_descending_order_with_ties(program_a, manager_a, limit):
    person = PersonFactory(program=program_a)
    same = timezone.now() - datetime.timedelta(days=1)
    encounters = [EncounterFactory(person=person, started_at=same) for _ in range(4)]
    encounters += [EncounterFactory(person=person) for _ in range(3)]
    results, _ = walk(api_for(manager_a), "/api/v1/encounters/", {"page_size": 2})
    expected = sorted(encounters, key=lambda e: (e.started_at, e.pk), reverse=True)
    assert [r["id"] for r in results] == [e.pk for e in expected]


def test_cursors_walk_a_name_search(program_a, navigator_a, limit):
    """The search's order is computed (match tier, similarity on PostgreSQL)."""
    smiths = [
        PersonFactory(program=program_a, last_name=name, first_name="Jo")
        for name in ["Smith"] * 4 + ["Smyth", "Smithson", "Smith-Jones"]
    ]
    PersonFactory(program=program_a, last_name="Brown", first_name="Al")
    api = api_for(navigator_a)
    everyone, _ = walk(api, "/api/v1/people/", {"q": "smith", "page_size": 100})
    results, bodies = walk(api, "/api/v1/people/", {"q": "smith", "page_size": 2})
    assert [r["id"] for r in results] == [r["id"] for r in everyone]
    assert len(bodies) > 2  # through cursors
    assert {r["id"] for r in results} <= {p.pk for p in smiths}


def test_cursors_walk_the_familiar_faces_list(program_a, manager_a, limit):
    """Its order is across tables: most contacts, then the person's name."""
    flagged(program_a, n_people=7, last_name="Same")
    results, bodies = walk(
        api_for(manager_a), "/api/v1/familiar-faces/", {"page_size": 2}
    )
    assert len(results) == 7 == len({r["id"] for r in results})
    contacts = [r["contacts"] for r in results]
    assert contacts == sorted(contacts, reverse=True)
    assert len(bodies) == 4


def test_a_cursor_keeps_the_filters(program_a, navigator_a, limit):
    housed = people(program_a, 6)
    Person.objects.filter(pk__in=[p.pk for p in housed]).update(
        housing_situation="housed"
    )
    PersonFactory(program=program_a, last_name="Row09", housing_situation="unknown")
    api = api_for(navigator_a)
    results, _ = walk(
        api, "/api/v1/people/", {"page_size": 1, "housing_situation": "housed"}
    )
    assert [r["id"] for r in results] == [p.pk for p in housed]


@pytest.mark.parametrize("cursor", ["nonsense", "a" * 300, "W10:1abc:xyz"])
def test_a_bad_cursor_is_a_404(program_a, navigator_a, cursor):
    response = api_for(navigator_a).get("/api/v1/people/", {"cursor": cursor})
    assert response.status_code == 404
    assert set(response.json()) == {"detail", "code", "fields"}


def test_a_cursor_for_another_order_is_a_404(program_a, navigator_a, limit):
    people(program_a, 5)
    api = api_for(navigator_a)
    last = api.get("/api/v1/people/", {"page_size": 2, "page": 2}).json()
    cursor = parse_qs(urlsplit(last["next"]).query)["cursor"][0]
    # Same token, the encounters list: its order is another one.
    response = api.get("/api/v1/encounters/", {"cursor": cursor})
    assert response.status_code == 404


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
    assert "following `next` still gives every result" in capped["description"]
    parameters = {
        p["name"]: p for p in schema["paths"]["/api/v1/people/"]["get"]["parameters"]
    }
    assert "10,000" in parameters["page"]["description"]
    assert "at most 100" in parameters["page_size"]["description"]
    assert parameters["cursor"]["schema"] == {"type": "string"}


# --- the pages, and the same answer as the API ----------------------------------


NEXT = re.compile(r'href="([^"]+)" rel="next"')


def test_page_shows_10000_plus_and_goes_on_by_cursor(
    client, program_a, navigator_a, limit
):
    rows = people(program_a, 7)
    client.force_login(navigator_a)
    response = client.get("/people/")
    html = response.content.decode()
    assert "3+ people" in html and "Page 1 of 1+" in html
    seen = [p.pk for p in response.context["page_obj"].object_list]
    # Page numbers stop at the counted rows; Next goes on by cursor.
    while link := NEXT.search(response.content.decode()):
        assert "cursor=" in link.group(1)
        response = client.get("/people/" + unescape(link.group(1)))
        page = response.context["page_obj"]
        assert page.after_counted
        assert "Past the first 3" in response.content.decode()
        seen += [p.pk for p in page.object_list]
    assert seen == [p.pk for p in rows]
    # A page number past the counted rows gives the last one, as before; a
    # bad cursor the first.
    assert client.get("/people/", {"page": 9}).context["page_obj"].number == 1
    bad = client.get("/people/", {"cursor": "nonsense"}).context["page_obj"]
    assert bad.number == 1 and not bad.after_counted


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
