"""The staff referral list API is N+1-free: the same queries for a page of
10 as for a page of 100 (in the style of tests/cases/test_api_queries.py).

Counts include authentication (token lookup), the user's memberships, the
page count, the page itself (person, agency, service and assignee joined)
and the one insert of the disclosure events.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from navigator.models import Role
from referrals.models import ReferralStatus
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
