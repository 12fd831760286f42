"""Security headers of every answer: Content-Security-Policy (django-csp),
Permissions-Policy, and no-store on whatever may hold people's records."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from navigator.headers import PERMISSIONS_POLICY
from navigator.services import api_token_create

pytestmark = pytest.mark.django_db


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (
            part.split() for part in policy.split(";") if part.strip()
        )
    }


def assert_no_store(response) -> None:
    assert "no-store" in response["Cache-Control"], response.get("Cache-Control")
    assert "private" in response["Cache-Control"]
    assert response["Pragma"] == "no-cache"


def test_pages_carry_a_same_origin_policy_without_inline_code(client, navigator_a):
    client.force_login(navigator_a)
    policy = directives(client.get(reverse("today")))
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    # Bootstrap's CSS icons are data: SVG images; nothing else is allowed.
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]


def test_the_login_page_has_the_policy_too(client):
    response = client.get(reverse("login"))
    assert directives(response)["script-src"] == ["'self'"]
    assert response["Permissions-Policy"] == PERMISSIONS_POLICY


def test_permissions_policy_allows_location_only_for_our_own_pages(client, navigator_a):
    client.force_login(navigator_a)
    features = dict(
        item.split("=", 1)
        for item in client.get(reverse("today"))["Permissions-Policy"].split(", ")
    )
    # The encounter form's "Use my current location" (navigator.js).
    assert features["geolocation"] == "(self)"
    for feature in ("camera", "microphone", "payment", "usb", "serial", "midi"):
        assert features[feature] == "()", feature


def test_pages_for_a_signed_in_user_are_never_stored(client, navigator_a):
    client.force_login(navigator_a)
    for url in (reverse("today"), reverse("person-list"), "/no-such-page/"):
        assert_no_store(client.get(url))


def test_every_api_answer_is_never_stored(navigator_a):
    _token, key = api_token_create(user=navigator_a, name="t")
    token_client = Client(headers={"Authorization": f"Bearer {key}"})
    assert_no_store(token_client.get("/api/v1/people/"))
    assert_no_store(token_client.get("/api/v1/no-such-thing/"))
    # Even an anonymous caller's error: the path decides, not the session.
    assert_no_store(Client().get("/api/v1/people/"))


def test_an_anonymous_page_may_be_cached_like_before(client):
    # The login form carries no one's record; Django's own headers apply.
    response = client.get(reverse("login"))
    assert "Pragma" not in response


def test_static_files_skip_these_headers(client, navigator_a):
    # WhiteNoise answers them before these middleware run: they stay cacheable.
    client.force_login(navigator_a)
    response = client.get("/static/navigator/navigator.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert "Content-Security-Policy" not in response
