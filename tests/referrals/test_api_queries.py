"""The staff referral list API is N+1-free: the same queries for a page of
10 as for a page of 100 (in the style of tests/cases/test_api_queries.py).

Counts include authentication (token lookup), the user's memberships, the
page count, the page itself (person, agency, service and assignee joined)
and the one insert of the disclosure events.
"""

from __future__ import annotations

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from navigator.models import Role
from navigator.pagination import BoundedPaginator
from referrals.api.serializers import ReferralSerializer
from referrals.models import Referral, ReferralGroup, ReferralStatus, Urgency
from tests.factories import PersonFactory, member, token_client
from tests.referrals.factories import ServiceFactory, partner_of, referral_for

pytestmark = pytest.mark.django_db

# Token, memberships, COUNT, page (joined), the audit insert.
REFERRALS_MAX_QUERIES = 5
# The same with every filter at once (none adds a query of its own).
FILTERED_MAX_QUERIES = 5


@pytest.fixture
def api(navigator_a):
    client = token_client(navigator_a)
    client.get("/api/v1/referrals/", {"page_size": 1})  # stamps last_used_at once
    return client


@pytest.fixture
def referrals(program_a, navigator_a):
    colleague = member(program_a, Role.CASEWORKER)
    agencies = [partner_of(program_a) for _ in range(5)]
    services = [ServiceFactory(agency=a) for a in agencies]
    people = PersonFactory.create_batch(40, program=program_a)
    return [
        referral_for(
            people[i % 40],
            agencies[i % 5],
            by=navigator_a,
            service=services[i % 5] if i % 3 else None,
            assigned_to=navigator_a if i % 2 else colleague,
            status=ReferralStatus.REQUESTED,
        )
        for i in range(220)
    ]


def count_queries(api, **params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = api.get("/api/v1/referrals/", params)
    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) == params["page_size"]
    return len(ctx.captured_queries)


@pytest.mark.parametrize("page_size", [10, 100])
def test_referral_list_query_count(
    api, referrals, page_size, django_assert_max_num_queries
):
    with django_assert_max_num_queries(REFERRALS_MAX_QUERIES):
        response = api.get("/api/v1/referrals/", {"page_size": page_size})
    rows = response.json()["results"]
    assert len(rows) == page_size
    assert all(row["agency"]["name"] and row["person_display_name"] for row in rows)
    assert any(row["service"] for row in rows) and any(
        row["service"] is None for row in rows
    )
    assert all(row["assigned_to_name"] for row in rows)


@pytest.mark.parametrize("page_size", [10, 100])
def test_filtered_referral_list_query_count(
    api, referrals, page_size, django_assert_max_num_queries
):
    params = {
        "page_size": page_size,
        "status": ["requested", "accepted"],
        "urgency": "routine",
        "overdue": "false",
    }
    with django_assert_max_num_queries(FILTERED_MAX_QUERIES):
        response = api.get("/api/v1/referrals/", params)
    assert len(response.json()["results"]) == page_size


def test_page_size_does_not_change_the_number_of_queries(api, referrals):
    assert count_queries(api, page_size=10) == count_queries(api, page_size=100)
    assert count_queries(api, page_size=10, assigned="me") == count_queries(
        api, page_size=100, assigned="me"
    )


def test_list_items_are_the_serializers_items(api, program_a, navigator_a):
    """The list reads values (referrals.selectors.referral_rows) and shapes
    them by hand; each item must be what ReferralSerializer, the schema,
    gives for the same referral: every field, in its order, times in the
    program's zone."""
    S = ReferralStatus
    colleague = member(program_a, Role.CASEWORKER)
    colleague.first_name, colleague.last_name = "", ""
    colleague.save()
    agency = partner_of(program_a)
    service = ServiceFactory(agency=agency)
    named = PersonFactory(program=program_a, preferred_name="Bea", last_name="Ortiz")
    nameless = PersonFactory(program=program_a, first_name="Kim", last_name="")
    group = ReferralGroup.objects.create(
        program=program_a, person=named, created_by=navigator_a
    )
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    made = [
        referral_for(named, agency, by=navigator_a, service=service, group=group),
        referral_for(named, agency, by=navigator_a, respond_by=yesterday),  # overdue
        referral_for(nameless, agency, by=navigator_a, assigned_to=None),
        referral_for(nameless, agency, by=navigator_a, assigned_to=colleague),
        referral_for(
            named,
            agency,
            by=navigator_a,
            status=S.COMPLETED,
            closed_at=timezone.now(),
            responded_at=timezone.now(),
            urgency=Urgency.EMERGENCY,
            is_involuntary=True,
        ),
        referral_for(named, agency, by=navigator_a, status=S.DRAFT, respond_by=None),
    ]
    items = api.get("/api/v1/referrals/").json()["results"]
    referrals = Referral.objects.filter(pk__in=[r.pk for r in made]).order_by(
        "-created_at", "-id"
    )
    with timezone.override(program_a.tz):
        expected = json.loads(
            JSONRenderer().render(ReferralSerializer(referrals, many=True).data)
        )
    assert [list(item) for item in items] == [list(item) for item in expected]
    assert items == expected
    shown = {item["id"]: item for item in items}
    assert shown[made[1].pk]["is_overdue"] is True
    assert shown[made[2].pk]["assigned_to_name"] is None
    assert shown[made[3].pk]["assigned_to_name"] == colleague.username
    assert shown[made[2].pk]["person_display_name"] == "Kim"
    assert shown[made[0].pk]["person_display_name"] == "Bea Ortiz"
    assert shown[made[0].pk]["created_at"][-6:] in ("-08:00", "-07:00")


def test_the_list_goes_on_by_cursor_past_the_count(api, referrals, monkeypatch):
    """Past the counted rows the list follows a cursor made from the rows it
    read as values (created_at, id): every referral once, newest first."""
    monkeypatch.setattr(BoundedPaginator, "count_limit", 30)
    bodies = [api.get("/api/v1/referrals/", {"page_size": 25}).json()]
    while bodies[-1]["next"] and len(bodies) < 20:
        bodies.append(api.get(bodies[-1]["next"]).json())
    assert any("cursor=" in (b["next"] or "") for b in bodies)
    seen = [row["id"] for b in bodies for row in b["results"]]
    expected = sorted(referrals, key=lambda r: (r.created_at, r.pk), reverse=True)
    assert seen == [r.pk for r in expected]
