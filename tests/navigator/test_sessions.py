"""Session limits (navigator/sessions.py): 12 hours from sign-in at most, the
strictest program idle timeout, a new key at sign-in and whenever the user's
privileges change."""

from __future__ import annotations

import time

import pytest
from allauth.usersessions.models import UserSession
from django.contrib.messages import get_messages
from django.contrib.sessions.backends.db import SessionStore
from django.urls import reverse

from navigator.models import Membership, Program, Role
from navigator.sessions import LAST_SEEN_AT, SIGNED_IN_AT
from tests.factories import PASSWORD, ProgramFactory

pytestmark = pytest.mark.django_db


def age(client, key: str, seconds: float) -> None:
    session = client.session
    session[key] = time.time() - seconds
    session.save()


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_a_session_ends_12_hours_after_sign_in_however_active(client, navigator_a):
    client.force_login(navigator_a)
    age(client, SIGNED_IN_AT, 11.9 * 3600)
    assert client.get(reverse("today")).status_code == 200
    age(client, SIGNED_IN_AT, 12 * 3600 + 1)
    response = client.get(reverse("today"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert not signed_in(client)
    page = client.get(response.url)
    assert "a session lasts at most 12 hours" in page.text


def test_sign_in_starts_the_clock(client, navigator_a):
    before = time.time()
    client.post(reverse("login"), {"login": "nav-a", "password": PASSWORD})
    assert client.session[SIGNED_IN_AT] >= before


def test_the_default_idle_timeout_is_30_minutes(client, navigator_a):
    client.force_login(navigator_a)
    age(client, LAST_SEEN_AT, 29 * 60)
    assert client.get(reverse("today")).status_code == 200
    age(client, LAST_SEEN_AT, 31 * 60)
    assert client.get(reverse("today")).status_code == 302
    assert not signed_in(client)


def test_a_program_can_lower_the_idle_timeout(client, navigator_a, program_a):
    program_a.session_idle_minutes = 15
    program_a.save()
    client.force_login(navigator_a)
    age(client, LAST_SEEN_AT, 14 * 60)
    assert client.get(reverse("today")).status_code == 200
    age(client, LAST_SEEN_AT, 16 * 60)
    response = client.get(reverse("today"))
    assert response.status_code == 302
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert messages == [
        "You were signed out after 15 minutes without activity. Please sign in again."
    ]


def test_the_strictest_program_applies(client, navigator_a, program_b):
    strict = ProgramFactory(slug="strict", session_idle_minutes=20)
    Membership.objects.create(user=navigator_a, program=strict, role=Role.NAVIGATOR)
    client.force_login(navigator_a)
    age(client, LAST_SEEN_AT, 21 * 60)
    assert client.get(reverse("today")).status_code == 302


def test_activity_keeps_the_session(client, navigator_a):
    client.force_login(navigator_a)
    age(client, LAST_SEEN_AT, 25 * 60)
    client.get(reverse("today"))
    assert time.time() - client.session[LAST_SEEN_AT] < 5


def test_sign_in_gives_a_new_session_key(client, navigator_a):
    client.get(reverse("login"))
    session = client.session
    session["before"] = True
    session.save()
    anonymous_key = session.session_key
    client.cookies["sessionid"] = anonymous_key
    client.post(reverse("login"), {"login": "nav-a", "password": PASSWORD})
    assert signed_in(client)
    assert client.session.session_key != anonymous_key
    assert not SessionStore().exists(anonymous_key)


def test_a_change_of_privileges_gives_a_new_session_key(client, navigator_a, program_b):
    client.post(reverse("login"), {"login": "nav-a", "password": PASSWORD})
    client.get(reverse("today"))
    first = client.session.session_key
    assert UserSession.objects.get(user=navigator_a).session_key == first

    client.get(reverse("today"))
    assert client.session.session_key == first  # nothing changed, same key

    Membership.objects.create(
        user=navigator_a, program=program_b, role=Role.PROGRAM_MANAGER
    )
    assert client.get(reverse("today")).status_code == 200
    second = client.session.session_key
    assert second != first
    assert not SessionStore().exists(first)
    assert signed_in(client)
    # The sessions list follows the new key.
    assert UserSession.objects.get(user=navigator_a).session_key == second

    navigator_a.is_staff = True
    navigator_a.save()
    client.get(reverse("today"))
    assert client.session.session_key != second


def test_losing_a_role_also_rotates(client, navigator_a, program_a):
    client.force_login(navigator_a)
    client.get(reverse("today"))
    first = client.session.session_key
    Membership.objects.filter(user=navigator_a).update(is_active=False)
    client.get(reverse("today"))
    assert client.session.session_key != first
    assert Program.objects.filter(pk=program_a.pk).exists()
