"""``/api/v1/agencies/`` and ``/api/v1/services/``: scoped, filtered, counted."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import token_client
from tests.referrals.factories import AgencyFactory, ServiceFactory, partner_of

pytestmark = pytest.mark.django_db


def test_agencies_are_scoped_and_filtered(navigator_a, program_a, program_b):
    clinic = partner_of(program_a, kind="clinic", slug="clinic")
    shelter = partner_of(program_a, kind="shelter", is_active=False)
    other = partner_of(program_b)
    api = token_client(navigator_a)
    rows = api.get(reverse("api-agency-list")).json()["results"]
    assert {r["id"] for r in rows} == {clinic.pk, shelter.pk}
    assert rows[0]["slug"]
    kind = api.get(reverse("api-agency-list"), {"kind": "clinic"}).json()["results"]
    assert [r["slug"] for r in kind] == ["clinic"]
    active = api.get(reverse("api-agency-list"), {"active": "false"}).json()["results"]
    assert [r["kind"] for r in active] == ["shelter"]
    assert api.get(reverse("api-agency-list"), {"active": "maybe"}).status_code == 400
    assert (
        api.get(reverse("api-agency-list"), {"program": program_b.pk}).status_code
        == 400
    )
    assert api.get(reverse("api-agency-detail", args=[other.pk])).status_code == 404
    assert (
        api.get(reverse("api-agency-detail", args=[clinic.pk])).json()["slug"]
        == "clinic"
    )


def test_services_are_scoped_and_filtered(navigator_a, program_a, program_b):
    agency = partner_of(program_a)
    bed = ServiceFactory(
        agency=agency,
        name="Crisis bed",
        categories=["crisis_stabilization"],
        city="Eugene",
    )
    ServiceFactory(agency=agency, name="Food", categories=["food"], accepting="no")
    hidden = ServiceFactory(agency=partner_of(program_b), name="Crisis elsewhere")
    api = token_client(navigator_a)
    url = reverse("api-service-list")
    assert [r["name"] for r in api.get(url, {"q": "crisis"}).json()["results"]] == [
        "Crisis bed"
    ]
    assert [
        r["name"] for r in api.get(url, {"category": "food"}).json()["results"]
    ] == ["Food"]
    assert [r["name"] for r in api.get(url, {"city": "eugene"}).json()["results"]] == [
        "Crisis bed"
    ]
    assert [r["name"] for r in api.get(url, {"accepting": "no"}).json()["results"]] == [
        "Food"
    ]
    assert len(api.get(url, {"agency": agency.pk}).json()["results"]) == 2
    assert api.get(url, {"category": "nope"}).status_code == 400
    assert api.get(reverse("api-service-detail", args=[hidden.pk])).status_code == 404
    detail = api.get(reverse("api-service-detail", args=[bed.pk])).json()
    assert detail["agency"]["slug"] == agency.slug


def test_directory_is_read_only(navigator_a):
    api = token_client(navigator_a)
    assert api.post(reverse("api-agency-list"), {}, format="json").status_code == 405


def test_list_query_counts(navigator_a, program_a, django_assert_max_num_queries):
    for n in range(40):
        ServiceFactory(agency=AgencyFactory(programs=[program_a]), name=f"S{n}")
    api = token_client(navigator_a)
    with django_assert_max_num_queries(8):
        assert (
            len(
                api.get(reverse("api-service-list"), {"page_size": 40}).json()[
                    "results"
                ]
            )
            == 40
        )
    with django_assert_max_num_queries(8):
        assert (
            len(
                api.get(reverse("api-agency-list"), {"page_size": 40}).json()["results"]
            )
            == 40
        )
