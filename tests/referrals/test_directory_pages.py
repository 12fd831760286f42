"""The directory's pages: search for all staff and admins, management for
admins and program managers, scoped across programs."""

from __future__ import annotations

import pytest
from django.urls import reverse

from navigator.models import Role
from referrals.models import Agency, Service
from tests.factories import member
from tests.referrals.factories import ServiceFactory, partner_of

pytestmark = pytest.mark.django_db


def test_staff_search_their_programs_directory(
    client, navigator_a, program_a, program_b
):
    mine = ServiceFactory(agency=partner_of(program_a, name="Mine"), name="Crisis bed")
    ServiceFactory(agency=partner_of(program_b, name="Theirs"), name="Other bed")
    client.force_login(navigator_a)
    page = client.get(reverse("directory:search"), {"q": "bed"})
    assert page.status_code == 200
    assert "Crisis bed" in page.text and "Other bed" not in page.text
    assert reverse("directory:agency-detail", args=[mine.agency_id]) in page.text
    assert "Add an agency" not in page.text


def test_search_filters(client, navigator_a, program_a):
    agency = partner_of(program_a)
    ServiceFactory(agency=agency, name="Yes city", city="Eugene", accepting="yes")
    ServiceFactory(agency=agency, name="Wait city", city="Eugene", accepting="waitlist")
    ServiceFactory(agency=agency, name="Food", categories=["food"], city="Salem")
    client.force_login(navigator_a)
    page = client.get(
        reverse("directory:search"), {"city": "eugene", "accepting": "waitlist"}
    )
    assert "Wait city" in page.text and "Yes city" not in page.text
    page = client.get(reverse("directory:search"), {"category": "food"})
    assert "Food" in page.text and "Wait city" not in page.text
    bad = client.get(reverse("directory:search"), {"category": "nope"})
    assert bad.status_code == 200 and "Select a valid choice" in bad.text


def test_another_programs_agency_is_404(client, navigator_b, program_a):
    agency = partner_of(program_a)
    service = ServiceFactory(agency=agency)
    client.force_login(navigator_b)
    assert (
        client.get(reverse("directory:agency-detail", args=[agency.pk])).status_code
        == 404
    )
    assert (
        client.get(reverse("directory:agency-edit", args=[agency.pk])).status_code
        == 404
    )
    assert (
        client.get(reverse("directory:service-edit", args=[service.pk])).status_code
        == 404
    )


def test_a_navigator_sees_but_may_not_manage(client, navigator_a, program_a):
    agency = partner_of(program_a)
    service = ServiceFactory(agency=agency)
    client.force_login(navigator_a)
    detail = client.get(reverse("directory:agency-detail", args=[agency.pk]))
    assert detail.status_code == 200 and "Edit agency" not in detail.text
    assert client.get(reverse("directory:agency-create")).status_code == 403
    assert (
        client.get(reverse("directory:agency-edit", args=[agency.pk])).status_code
        == 403
    )
    assert (
        client.post(reverse("directory:service-active", args=[service.pk])).status_code
        == 403
    )
    service.refresh_from_db()
    assert service.is_active


def test_a_manager_adds_edits_and_deactivates(client, manager_a, program_a):
    client.force_login(manager_a)
    response = client.post(
        reverse("directory:agency-create"),
        {"name": "Harbor", "kind": "clinic", "programs": [program_a.pk]},
    )
    agency = Agency.objects.get(name="Harbor")
    assert response.status_code == 302
    response = client.post(
        reverse("directory:service-create", args=[agency.pk]),
        {
            "name": "Walk-in",
            "accepting": "waitlist",
            "categories": ["mental_health"],
            "languages": "English, Spanish",
        },
    )
    service = Service.objects.get(name="Walk-in")
    assert service.languages == ["English", "Spanish"]
    confirm = client.get(reverse("directory:service-active", args=[service.pk]))
    assert confirm.status_code == 200 and "Deactivate" in confirm.text
    client.post(
        reverse("directory:service-active", args=[service.pk]), {"reason": "closed"}
    )
    service.refresh_from_db()
    assert not service.is_active
    client.post(reverse("directory:agency-active", args=[agency.pk]), {})
    agency.refresh_from_db()
    assert not agency.is_active


def test_a_taken_slug_is_a_form_error(client, manager_a, program_a):
    partner_of(program_a, slug="taken")
    client.force_login(manager_a)
    page = client.post(
        reverse("directory:agency-create"),
        {"name": "X", "slug": "taken", "kind": "clinic", "programs": [program_a.pk]},
    )
    assert page.status_code == 200 and "already exists" in page.text


def test_admins_keep_the_directory_without_health_data(client, program_a, program_b):
    admin = member(program_a, Role.ADMIN)
    agency = partner_of(program_b)
    client.force_login(admin)
    page = client.get(reverse("directory:agency-detail", args=[agency.pk]))
    assert page.status_code == 200 and "Edit agency" in page.text
    assert 'href="/directory/"' in client.get(reverse("directory:search")).text


def test_search_page_query_count(
    client, navigator_a, program_a, django_assert_max_num_queries
):
    for n in range(30):
        ServiceFactory(agency=partner_of(program_a), name=f"S{n}", phone="555")
    client.force_login(navigator_a)
    with django_assert_max_num_queries(14):
        page = client.get(reverse("directory:search"))
    assert page.status_code == 200 and page.text.count("list-group-item") == 25
