"""The user's own account page: password, second factors, sessions; and the
password reset by email, which answers the same for any address."""

from __future__ import annotations

import re

import pytest
from allauth.usersessions.models import UserSession
from django.urls import reverse

from navigator.models import Role
from tests.factories import PASSWORD, member

pytestmark = pytest.mark.django_db


def sign_in(client, username="nav-a"):
    assert (
        client.post(
            reverse("login"), {"login": username, "password": PASSWORD}
        ).status_code
        == 302
    )


def test_the_navbar_links_to_the_account_page(client, navigator_a):
    client.force_login(navigator_a)
    today = client.get(reverse("today")).text
    assert f'href="{reverse("account")}"' in today
    page = client.get(reverse("account"))
    assert page.status_code == 200
    for link in ("account_change_password", "mfa_activate_totp"):
        assert f'href="{reverse(link)}"' in page.text
    assert f'action="{reverse("usersessions_list")}"' in page.text
    assert "Off" in page.text


def test_the_account_page_needs_sign_in(client):
    response = client.get(reverse("account"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_sign_out_everywhere_else(client, navigator_a):
    sign_in(client)
    phone = client.__class__()
    sign_in(phone)
    assert UserSession.objects.filter(user=navigator_a).count() == 2
    page = client.get(reverse("account"))
    assert page.text.count('text-bg-success">This session') == 1
    client.post(reverse("usersessions_list"))
    assert UserSession.objects.filter(user=navigator_a).count() == 1
    assert phone.get(reverse("today")).status_code == 302
    assert client.get(reverse("today")).status_code == 200


def test_password_reset_answers_the_same_for_any_address(
    client, navigator_a, mailoutbox
):
    url = reverse("account_reset_password")
    login_page = client.get(reverse("login")).text
    assert f'href="{url}"' in login_page

    known = client.post(url, {"email": "nav-a@example.org"}, follow=True)
    unknown = client.post(url, {"email": "nobody@example.org"}, follow=True)
    assert known.redirect_chain == unknown.redirect_chain
    strip = re.compile(r'value="[A-Za-z0-9]{64}"')
    assert strip.sub("", known.text) == strip.sub("", unknown.text)
    # Mail only to the account's address; nothing to strangers.
    assert [m.to for m in mailoutbox] == [["nav-a@example.org"]]

    link = re.search(
        r"https?://[^/]+(/accounts/password/reset/key/\S+)", mailoutbox[0].body
    )
    assert link is not None
    form = client.get(link[1], follow=True)
    action = form.redirect_chain[-1][0] if form.redirect_chain else link[1]
    done = client.post(
        action,
        {
            "password1": "lantern orchard seventeen",
            "password2": "lantern orchard seventeen",
        },
    )
    assert done.status_code == 302
    navigator_a.refresh_from_db()
    assert navigator_a.check_password("lantern orchard seventeen")


def test_no_self_sign_up(client):
    page = client.get(reverse("account_signup"))
    assert "closed" in page.text.lower()
    client.post(
        reverse("account_signup"),
        {
            "username": "newbie",
            "password1": "lantern orchard 17",
            "password2": "lantern orchard 17",
        },
    )
    from navigator.models import User

    assert not User.objects.filter(username="newbie").exists()


def test_email_addresses_are_not_managed_by_users(client, program_a):
    client.force_login(member(program_a, Role.NAVIGATOR, username="n2"))
    assert client.get("/accounts/email/").status_code == 404
