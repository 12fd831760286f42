"""The password policy (NIST SP 800-63B §5.1.1.2, OWASP ASVS V2.1): length
12 to 128, no composition rules, not like the username, not common, not
known from breaches (checked offline)."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from navigator.models import User
from navigator.passwords import BreachedPasswordValidator, MaximumLengthValidator
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def refusals(password: str, user: User | None = None) -> set[str | None]:
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        return {e.code for e in exc.error_list}
    return set()


@pytest.mark.parametrize(
    "password",
    [
        "correct-horse-battery",  # the tests' fixture password
        "navigator-demo",  # the documented demo password
        "lantern orchard seventeen",  # words and spaces: no composition rules
        "x" * 20 + "é☃" + "q" * 42,  # 64 characters must be allowed
        "glacier-" * 16,  # 128
    ],
)
def test_good_passwords_pass(password):
    assert refusals(password) == set()


def test_length_bounds():
    assert refusals("short-pass1") == {"password_too_short"}  # 11
    assert "password_too_long" in refusals("k" * 129)
    assert MaximumLengthValidator().get_help_text()


@pytest.mark.parametrize(
    "password", ["password1234", "PASSWORD1234", "qwertyuiop123", "iloveyou1234"]
)
def test_breached_passwords_are_refused(password):
    assert "password_breached" in refusals(password)


def test_the_breach_list_is_offline_and_large(monkeypatch):
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError("the breach check must not use the network")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    validator = BreachedPasswordValidator()
    with pytest.raises(ValidationError):
        validator.validate("trustno1trustno1")
    # Beyond Django's 20,000 common passwords (only 190 of them are 12+ long).
    with pytest.raises(ValidationError):
        validator.validate("correcthorsebatterystaple")
    validator.validate("a-phrase-nobody-leaked-yet-7f3k")


def test_a_password_like_the_username_is_refused():
    user = User(username="marisol.delgado", email="marisol@example.org")
    assert "password_too_similar" in refusals("marisol.delgado1", user=user)


def test_a_common_password_is_refused():
    assert "password_too_common" in refusals("1234567890123")


def test_changing_a_password_on_the_page_applies_the_policy(client, navigator_a):
    client.post(reverse("login"), {"login": "nav-a", "password": PASSWORD})

    def change(new: str):
        return client.post(
            reverse("account_change_password"),
            {"oldpassword": PASSWORD, "password1": new, "password2": new},
        )

    refused = change("password1234")
    assert refused.status_code == 200
    assert "leaked in data breaches" in refused.text
    assert change("lantern orchard seventeen").status_code == 302
    navigator_a.refresh_from_db()
    assert navigator_a.check_password("lantern orchard seventeen")
