"""Partners' lists are N+1-free: the directory lists as a partner token, and
the agency's token page, ask the same number of queries for many rows."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.referrals.factories import ServiceFactory, partner_of
from tests.referrals.partner_helpers import key_client, partner_key, partner_user

pytestmark = pytest.mark.django_db

# The boundary's token lookup, the authentication's (token, service
# account), the partner's agency and its programs, the primary program,
# COUNT, the page, the programs prefetch (agencies).
DIRECTORY_MAX_QUERIES = 9
# Session, user, the partner's agency, the access check, the tokens, and
# the base template's reads.
TOKEN_PAGE_MAX_QUERIES = 9


@pytest.fixture
def clinic(program_a):
    return partner_of(program_a)


@pytest.mark.parametrize("url", ["/api/v1/agencies/", "/api/v1/services/"])
@pytest.mark.parametrize("rows", [2, 30])
def test_directory_lists_as_a_partner(
    django_assert_max_num_queries, program_a, clinic, url, rows
):
    for _ in range(rows):
        ServiceFactory(agency=partner_of(program_a))
    client = key_client(partner_key(clinic))
    client.get(url)  # stamps last_used_at once
    with django_assert_max_num_queries(DIRECTORY_MAX_QUERIES):
        response = client.get(url, {"page_size": 50})
    assert response.status_code == 200
    assert len(response.json()["results"]) >= rows


@pytest.mark.parametrize("tokens", [1, 2])
def test_token_page(django_assert_max_num_queries, client, clinic, tokens):
    from django.utils import timezone

    from referrals.models import PartnerToken

    for _ in range(tokens * 5):
        partner_key(clinic)
        PartnerToken.objects.filter(revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    client.force_login(partner_user(clinic))
    with django_assert_max_num_queries(TOKEN_PAGE_MAX_QUERIES):
        response = client.get(reverse("partner-tokens"))
    assert response.status_code == 200
    assert len(response.context["tokens"]) == tokens * 5
