"""The doors the page sweep (test_injection.py) leaves out, over the same
hostile program: the admin site renders no markup from data, and the API, the
calendar feed, the CSV export and /healthz answer in their own formats, which
a browser never runs as a page (and nosniff forbids it to guess)."""

from __future__ import annotations

import csv
import io
import json
from typing import cast

import pytest
from django.contrib import admin
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse

from followups import services as followup_services
from navigator.services import api_token_create
from tests.hostile import (
    MARKUP,
    World,
    build_world,
    hostile,
    hostile_service,
    injection_problems,
)
from tests.navigator.test_injection import routes
from tests.referrals.helpers import referral_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db) -> World:
    return build_world()


def assert_not_a_page(response, content_type: str) -> None:
    assert response.status_code < 500, response.status_code
    assert response["Content-Type"].startswith(content_type), response["Content-Type"]
    assert response["X-Content-Type-Options"] == "nosniff"


# --- the admin site ----------------------------------------------------------


class _AnyRequest:
    """Enough of a superuser's request for ``has_add_permission``."""

    class user:  # noqa: N801 (mimics request.user)
        is_active = is_staff = is_superuser = is_authenticated = True

        @staticmethod
        def has_perm(perm, obj=None) -> bool:
            return True


def admin_urls(world: World) -> list[str]:
    """The index, and for every registered model (so a new one is covered):
    its list, its add form and the change form of its first row."""
    urls = [reverse("admin:index")]
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        prefix = f"admin:{meta.app_label}_{meta.model_name}"
        urls.append(reverse(f"{prefix}_changelist"))
        # Read-only registrations (the sign-in lockout records) have no add
        # form: adding or removing one is done through audited services.
        if model_admin.has_add_permission(cast(HttpRequest, _AnyRequest())):
            urls.append(reverse(f"{prefix}_add"))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            urls.append(reverse(f"{prefix}_change", args=[first.pk]))
        # A crafted search, reflected on the list.
        urls.append(reverse(f"{prefix}_changelist") + f"?q={hostile()}")
    return urls


def test_the_admin_site_prints_the_data_as_text(world, django_user_model):
    superuser = django_user_model.objects.create_superuser(
        username="root", password="x" * 16, first_name=hostile(150)
    )
    client = Client()
    client.force_login(superuser)
    for url in admin_urls(world):
        response = client.get(url)
        assert response.status_code == 200, url
        problems = injection_problems(response.content.decode())
        assert not problems, f"{url}: {problems}"
        assert "script-src 'self'" in response["Content-Security-Policy"], url


# --- the API -----------------------------------------------------------------

API_IDS = {
    "pk": {
        "api-person": lambda w: w.person.pk,
        "api-contact": lambda w: w.contact.pk,
        "api-encounter": lambda w: w.encounter.pk,
        "api-familiar-face": lambda w: w.flag.pk,
        "api-followup": lambda w: w.followup.pk,
        # The directory (issue 9).
        "api-agency": lambda w: hostile_service(w).agency_id,
        "api-service": lambda w: hostile_service(w).pk,
        "api-referral": lambda w: referral_in(w, "requested", text=hostile(100)).pk,
        # consents (issue 9)
        "api-consent": lambda w: w.consent.pk,
    },
    "person_pk": {
        "api-contact": lambda w: w.person.pk,
        "api-consent": lambda w: w.person.pk,
    },
    "referral_pk": {
        "api-referral": lambda w: referral_in(w, "requested", text=hostile(100)).pk
    },
}
# API routes that answer a file, not JSON, each checked where it says.
NOT_JSON = {"api-consent-form": "a stored PDF / image: tests/cases/test_consent_api.py"}


def api_urls(world: World) -> list[str]:
    urls = []
    for route in routes():
        if not route.route.startswith("api/v1/") or not route.name:
            continue
        if route.name in NOT_JSON:
            continue
        kwargs = {}
        for param, by_prefix in API_IDS.items():
            if f"<int:{param}>" in route.route:
                prefix = next(p for p in by_prefix if route.name.startswith(p))
                kwargs[param] = by_prefix[prefix](world)
        urls.append(reverse(route.name, kwargs=kwargs))
    return urls


def test_the_api_answers_json_even_about_hostile_records(world):
    _token, key = api_token_create(user=world.manager, name="sweep")
    client = Client(headers={"Authorization": f"Bearer {key}"})
    urls = api_urls(world) + [
        f"/api/v1/people/?q={hostile()}&program={hostile()}",
        "/api/v1/%3Cscript%3Ealert(1)%3C%2Fscript%3E/",
    ]
    assert len(urls) > 10, urls
    shown = 0
    for url in urls:
        response = client.get(url)
        assert_not_a_page(response, "application/json")
        body = response.content.decode()
        json.loads(body)
        shown += any(m in body for m in MARKUP)  # as JSON strings, not markup
    assert shown, "the payloads never reached the API's answers"


# --- the calendar feed, the CSV export, /healthz -----------------------------


def test_the_calendar_feed_holds_no_text_from_the_records(world):
    _feed, token = followup_services.calendar_feed_create(by=world.navigator)
    response = Client().get(reverse("followup-calendar-feed", args=[token]))
    assert_not_a_page(response, "text/calendar")
    body = response.content.decode()
    assert "BEGIN:VEVENT" in body
    assert not [m for m in MARKUP if m in body]
    assert "alert(1)" not in body


def test_the_csv_export_is_a_download_not_a_page(world):
    client = Client()
    client.force_login(world.manager)
    response = client.get(reverse("familiar:export"))
    assert_not_a_page(response, "text/csv")
    assert response["Content-Disposition"].startswith("attachment")


def test_the_audit_trail_export_is_a_download_without_formulas(world):
    client = Client()
    client.force_login(world.manager)
    response = client.get(reverse("person-audit-export", args=[world.person.pk]))
    assert_not_a_page(response, "text/csv")
    assert response["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert len(rows) > 1
    cells = [cell for row in rows for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")]


def test_healthz_is_json(world):
    assert_not_a_page(Client().get(reverse("healthz")), "application/json")
