"""A partner and the directory (issue 10): it reads the agencies and services
of the programs its agency works with, and updates its own services' hours,
accepting and capacity note (nothing else), audited; per-token throttling
(429 with Retry-After); an oversize body is a 413."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from navigator.models import AuditEvent
from referrals.models import Accepting
from tests.referrals.factories import ServiceFactory, partner_of
from tests.referrals.partner_helpers import key_client, partner_client, partner_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic(program_a):
    return partner_of(program_a, name="Clinic")


def test_a_partner_reads_the_directory_of_its_programs(program_a, program_b, clinic):
    neighbour = partner_of(program_a, name="Neighbour")
    ServiceFactory(agency=neighbour, name="Shelter")
    ServiceFactory(agency=clinic, name="Walk-in")
    elsewhere = partner_of(program_b, name="Elsewhere")
    theirs = ServiceFactory(agency=elsewhere, name="Far away")
    client = partner_client(clinic)
    agencies = {a["name"] for a in client.get("/api/v1/agencies/").json()["results"]}
    assert agencies == {"Clinic", "Neighbour"}
    services = {s["name"] for s in client.get("/api/v1/services/").json()["results"]}
    assert services == {"Shelter", "Walk-in"}
    assert client.get(f"/api/v1/agencies/{elsewhere.pk}/").status_code == 404
    assert client.get(f"/api/v1/services/{theirs.pk}/").status_code == 404


def test_patch_own_service_availability_audited_as_the_agency(clinic):
    service = ServiceFactory(agency=clinic)
    client = partner_client(clinic)
    response = client.patch(
        f"/api/v1/services/{service.pk}/",
        {
            "hours": "Mon–Fri 9–5",
            "accepting": Accepting.WAITLIST,
            "capacity_note": "3 weeks",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    service.refresh_from_db()
    assert (service.hours, service.accepting, service.capacity_note) == (
        "Mon–Fri 9–5",
        Accepting.WAITLIST,
        "3 weeks",
    )
    event = AuditEvent.objects.get(object_type="referrals.service")
    assert event.actor is not None and event.actor.agency_member.agency == clinic
    assert event.actor.agency_member.is_service_account
    assert set(event.changes) == {"hours", "accepting", "capacity_note"}


def test_patch_any_other_field_is_a_400_naming_it(clinic):
    service = ServiceFactory(agency=clinic, name="Walk-in")
    client = partner_client(clinic)
    response = client.patch(
        f"/api/v1/services/{service.pk}/",
        {"name": "Renamed", "accepting": Accepting.NO, "is_active": False},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"name", "is_active"}
    service.refresh_from_db()
    assert service.name == "Walk-in" and service.accepting != Accepting.NO
    bad = client.patch(
        f"/api/v1/services/{service.pk}/", {"accepting": "maybe"}, format="json"
    )
    assert bad.status_code == 400 and "accepting" in bad.json()["fields"]


def test_patch_another_agencys_service_is_a_404(program_a, clinic):
    neighbour = partner_of(program_a)
    theirs = ServiceFactory(agency=neighbour, capacity_note="")
    client = partner_client(clinic)
    # Readable (the same programs' directory), but not the partner's to change.
    assert client.get(f"/api/v1/services/{theirs.pk}/").status_code == 200
    response = client.patch(
        f"/api/v1/services/{theirs.pk}/", {"capacity_note": "full"}, format="json"
    )
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.capacity_note == ""
    assert not AuditEvent.objects.filter(object_type="referrals.service").exists()


def test_staff_patch_is_the_directory_keepers(navigator_a, manager_a, clinic):
    from tests.factories import token_client

    service = ServiceFactory(agency=clinic)
    url = f"/api/v1/services/{service.pk}/"
    body = {"capacity_note": "2 beds"}
    assert token_client(navigator_a).patch(url, body, format="json").status_code == 403
    assert token_client(manager_a).patch(url, body, format="json").status_code == 200


def test_throttled_per_token_with_retry_after(settings, clinic):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "partner": "3/min"},
    }
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    saved = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES  # type: ignore[assignment]
    try:
        cache.clear()
        first = key_client(partner_key(clinic))
        assert [first.get("/api/v1/agencies/").status_code for _ in range(3)] == [
            200
        ] * 3
        refused = first.get("/api/v1/agencies/")
        assert refused.status_code == 429
        assert int(refused["Retry-After"]) > 0
        # Per token: the agency's second token has its own allowance.
        second = key_client(partner_key(clinic))
        assert second.get("/api/v1/agencies/").status_code == 200
    finally:
        SimpleRateThrottle.THROTTLE_RATES = saved


def test_oversize_body_is_a_413(settings, clinic):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    service = ServiceFactory(agency=clinic)
    response = partner_client(clinic).patch(
        f"/api/v1/services/{service.pk}/",
        {"capacity_note": "x" * 5000},
        format="json",
    )
    assert response.status_code == 413
