"""Failed sign-ins are counted per account and per address; a locked client
is refused even the right password, with one answer for every name (issue 7,
finding 2: 300 wrong passwords in 40 seconds were all answered normally)."""

from __future__ import annotations

import datetime
import re

import pytest
from axes.models import AccessAttempt
from django.test import RequestFactory, override_settings
from django.urls import reverse

from navigator.accounts.throttling import client_ip
from navigator.models import Role
from tests.factories import PASSWORD, member

pytestmark = pytest.mark.django_db

LIMIT = 10
LOCKED = "Too many failed sign-ins; try again in 15 minutes or ask an administrator."
MISMATCH = "The username and/or password you specified are not correct."


def sign_in(client, login: str, password: str, **extra):
    return client.post(
        reverse("login"), {"login": login, "password": password}, **extra
    )


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def comparable(html: str, typed: str) -> str:
    # What differs from one page to the next: the CSRF token, and the form
    # showing back the name that was typed.
    html = re.sub(r'value="[A-Za-z0-9]{64}"', 'value="…"', html)
    return html.replace(f'value="{typed}"', 'value="…"')


def fail(client, login: str, times: int, **extra):
    return [sign_in(client, login, "not the password", **extra) for _ in range(times)]


def test_ten_wrong_passwords_lock_the_account(client, navigator_a):
    answers = fail(client, "nav-a", LIMIT)
    assert [a.status_code for a in answers[:-1]] == [200] * (LIMIT - 1)
    assert all(MISMATCH in a.text for a in answers[:-1])
    # The tenth failure already answers with the lock.
    assert answers[-1].status_code == 429
    assert LOCKED in answers[-1].text

    # While locked, even the right password is refused, the same way.
    right = sign_in(client, "nav-a", PASSWORD)
    assert right.status_code == 429
    assert LOCKED in right.text
    assert not signed_in(client)
    # ... and those tries do not extend the lock or count as new failures.
    assert sum(a.failures_since_start for a in AccessAttempt.objects.all()) == LIMIT


def test_the_lock_is_per_account_and_ignores_case(client, navigator_a, program_a):
    other = member(program_a, Role.NAVIGATOR, username="nav-other")
    fail(client, "NAV-A", LIMIT // 2)
    fail(client, " nav-a", LIMIT // 2)
    assert sign_in(client, "Nav-A", PASSWORD).status_code == 429
    # Another account from the same address is not affected.
    response = sign_in(client, other.username, PASSWORD)
    assert response.status_code == 302
    assert signed_in(client)


def test_a_nonexistent_account_gets_the_same_answers(client, navigator_a):
    real = fail(client, "nav-a", LIMIT) + [sign_in(client, "nav-a", PASSWORD)]
    client.logout()
    ghost = fail(client, "nobody-here", LIMIT) + [sign_in(client, "nobody-here", "x")]
    assert [r.status_code for r in real] == [r.status_code for r in ghost]
    for mine, theirs in zip(real, ghost, strict=True):
        assert comparable(mine.text, "nav-a") == comparable(theirs.text, "nobody-here")
    # Nothing on the page repeats the name that was typed.
    assert "nobody-here" not in ghost[-1].text


def test_failures_are_counted_per_address(client, navigator_a, program_a, settings):
    settings.NAVIGATOR_LOGIN_ADDRESS_FAILURE_LIMIT = 30
    attacker = {"REMOTE_ADDR": "203.0.113.7"}
    # One failure each for many names: no account reaches its own limit...
    for n in range(29):
        assert sign_in(client, f"guess-{n}", "x", **attacker).status_code == 200
    # ... but the address does, and then it may not sign in at all.
    assert sign_in(client, "guess-29", "x", **attacker).status_code == 429
    assert sign_in(client, "nav-a", PASSWORD, **attacker).status_code == 429
    assert not signed_in(client)
    # Someone else, elsewhere, signs in as usual.
    elsewhere = sign_in(client, "nav-a", PASSWORD, REMOTE_ADDR="198.51.100.2")
    assert elsewhere.status_code == 302


def test_the_lock_ends_after_the_cool_off(client, navigator_a):
    fail(client, "nav-a", LIMIT)
    assert sign_in(client, "nav-a", PASSWORD).status_code == 429
    AccessAttempt.objects.update(
        attempt_time=datetime.datetime.now(datetime.UTC)
        - datetime.timedelta(minutes=16)
    )
    assert sign_in(client, "nav-a", PASSWORD).status_code == 302


def test_the_lockout_page_says_how_long(client, navigator_a):
    fail(client, "nav-a", LIMIT)
    AccessAttempt.objects.update(
        attempt_time=datetime.datetime.now(datetime.UTC)
        - datetime.timedelta(minutes=12, seconds=30)
    )
    page = sign_in(client, "nav-a", PASSWORD)
    assert "try again in 3 minutes or ask an administrator" in page.text


def test_signing_in_forgets_only_that_accounts_failures(client, navigator_a, program_a):
    fail(client, "nav-a", 3)
    fail(client, "someone-else", 3)
    assert sign_in(client, "nav-a", PASSWORD).status_code == 302
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {
        "someone-else"
    }


def test_a_get_of_the_login_page_from_a_locked_address_says_so(
    client, navigator_a, settings
):
    settings.NAVIGATOR_LOGIN_ADDRESS_FAILURE_LIMIT = LIMIT
    fail(client, "whoever", LIMIT)
    page = client.get(reverse("login"))
    assert page.status_code == 429
    assert LOCKED in page.text


def test_admin_login_is_the_same_throttled_form(client, navigator_a):
    # The admin's own sign-in form is gone: it sends people to ours.
    response = client.get(reverse("admin:login") + "?next=/admin/navigator/user/")
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/admin/navigator/user/"
    # Posting passwords to it checks nothing and counts nothing.
    for _ in range(LIMIT + 1):
        posted = client.post(
            reverse("admin:login"), {"username": "nav-a", "password": PASSWORD}
        )
        assert posted.status_code == 302
    assert not signed_in(client)
    assert client.get("/admin/").url == "/admin/login/?next=/admin/"


def test_admin_login_of_a_signed_in_non_administrator_is_403(client, navigator_a):
    client.force_login(navigator_a)
    assert client.get(reverse("admin:login") + "?next=/admin/").status_code == 403


def test_an_administrator_signs_in_to_the_admin_site_through_our_form(
    client, program_a
):
    admin = member(program_a, Role.ADMIN, username="boss", is_staff=True)
    login = client.get("/admin/", follow=True)
    assert login.request["PATH_INFO"] == "/accounts/login/"
    response = client.post(
        "/accounts/login/?next=/admin/", {"login": "boss", "password": PASSWORD}
    )
    assert response.url == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert admin.is_staff


@override_settings(NAVIGATOR_TRUSTED_PROXY_COUNT=1)
def test_behind_one_proxy_the_client_is_the_address_it_appended():
    request = RequestFactory().get(
        "/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9", REMOTE_ADDR="10.0.0.2"
    )
    assert client_ip(request) == "203.0.113.9"
    # What the client wrote itself is never trusted.
    junk = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="", REMOTE_ADDR="10.0.0.2")
    assert client_ip(junk) == "10.0.0.2"


def test_without_proxies_forwarded_for_is_ignored():
    request = RequestFactory().get(
        "/", HTTP_X_FORWARDED_FOR="6.6.6.6", REMOTE_ADDR="192.0.2.1"
    )
    assert client_ip(request) == "192.0.2.1"
