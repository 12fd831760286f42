"""Login / logout, the layout every page shares, and the error pages."""

from __future__ import annotations

import re

import pytest
from django.test import RequestFactory
from django.urls import reverse

from navigator.models import Role
from navigator.views import server_error
from tests.factories import PASSWORD, EncounterFactory, PersonFactory, member

pytestmark = pytest.mark.django_db


def page_urls(person, encounter) -> list[str]:
    contact_args = [person.pk, 1]
    return [
        reverse("today"),
        reverse("person-list"),
        reverse("person-create"),
        reverse("person-deleted-list"),
        reverse("person-detail", args=[person.pk]),
        reverse("person-edit", args=[person.pk]),
        reverse("person-delete", args=[person.pk]),
        reverse("person-restore", args=[person.pk]),
        reverse("person-audit", args=[person.pk]),
        reverse("family-contact-add", args=[person.pk]),
        reverse("family-contact-edit", args=contact_args),
        reverse("family-contact-remove", args=contact_args),
        reverse("encounter-list"),
        reverse("encounter-create"),
        reverse("encounter-person-options"),
        reverse("encounter-detail", args=[encounter.pk]),
        reverse("encounter-edit", args=[encounter.pk]),
        reverse("encounter-link", args=[encounter.pk]),
        reverse("encounter-delete", args=[encounter.pk]),
        reverse("encounter-restore", args=[encounter.pk]),
        # Referral pages (issue 9).
        reverse("referral-board"),
        reverse("referral-refer"),
        reverse("referral-consent-check"),
        reverse("referral-detail", args=[1]),
        reverse("referral-move", args=[1]),
        reverse("referral-note-add", args=[1]),
        reverse("referral-edit", args=[1]),
        # Outbound webhooks (issue 10).
        reverse("webhook-list"),
        reverse("webhook-agency", args=[1]),
        reverse("webhook-rotate", args=[1]),
        reverse("webhook-retry", args=["msg_1"]),
    ]


def test_every_page_requires_login(client, program_a):
    person = PersonFactory(program=program_a)
    encounter = EncounterFactory(person=person)
    for url in page_urls(person, encounter):
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 302, url
            assert response.url == f"{reverse('login')}?next={url}", url


def test_login_and_logout(client, navigator_a):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert 'autocomplete="username"' in page.text
    wrong = client.post(
        reverse("login"), {"login": "nav-a", "password": "wrong password"}
    )
    assert wrong.status_code == 200
    assert "username and/or password you specified are not correct" in wrong.text
    response = client.post(reverse("login"), {"login": "nav-a", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("today")
    today = client.get(reverse("today"))
    assert f'action="{reverse("logout")}"' in today.text
    # Logging out is a POST (a link could be triggered by a prefetch or an img).
    assert client.get(reverse("logout")).status_code == 405
    out = client.post(reverse("logout"))
    assert out.status_code == 302
    assert client.get(reverse("today")).status_code == 302


def test_layout_is_accessible_and_local(client, navigator_a):
    client.force_login(navigator_a)
    html = client.get(reverse("today")).text
    assert '<html lang="en">' in html
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html
    assert 'href="#main"' in html and 'id="main"' in html  # skip link
    assert 'aria-controls="main-nav"' in html  # collapsing navbar
    assert "Times are shown in America/Los_Angeles." in html
    # Every script and stylesheet is served by the app itself: no CDN.
    assets = re.findall(r'(?:src|href)="([^"#]+)"', html)
    assert assets
    assert not [a for a in assets if re.match(r"^(https?:)?//", a)]
    for needed in (
        "/static/vendor/bootstrap/bootstrap.min.css",
        "/static/vendor/bootstrap/bootstrap.bundle.min.js",
        "/static/vendor/htmx/htmx.min.js",
        "/static/navigator/navigator.css",
        "/static/navigator/navigator.js",
    ):
        assert needed in assets
        assert client.get(needed).status_code == 200, needed


def test_navbar_links_by_role(client, navigator_a, manager_a):
    client.force_login(navigator_a)
    html = client.get(reverse("today")).text
    for link in ("today", "person-list", "encounter-create", "referral-board"):
        assert f'href="{reverse(link)}"' in html
    assert f'href="{reverse("encounter-list")}"' not in html
    client.force_login(manager_a)
    assert f'href="{reverse("encounter-list")}"' in client.get(reverse("today")).text


def test_admin_gets_no_record_links(client, program_a):
    admin = member(program_a, Role.ADMIN)
    client.force_login(admin)
    html = client.get(reverse("today")).text
    assert "no access to people's records" in html
    assert f'href="{reverse("person-list")}"' not in html
    assert f'href="{reverse("encounter-create")}"' not in html


def test_messages_are_shown(client, navigator_a):
    client.force_login(navigator_a)
    response = client.post(
        reverse("person-create"),
        {
            "first_name": "Flash",
            "veteran_status": "not_collected",
            "housing_situation": "unknown",
        },
        follow=True,
    )
    assert 'role="status"' in response.text
    assert "Flash was added." in response.text


def test_custom_404(client, navigator_a):
    client.force_login(navigator_a)
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "Not found" in response.text
    assert "not part of your program" in response.text


def test_500_page_needs_no_database(django_assert_num_queries):
    request = RequestFactory().get("/")
    # What navigator.middleware.RequestIdMiddleware would have set.
    request.request_id = "abc123def456"  # type: ignore[attr-defined]
    with django_assert_num_queries(0):
        response = server_error(request)
    assert response.status_code == 500
    assert b"Something went wrong" in response.content
    assert b"abc123def456" in response.content
