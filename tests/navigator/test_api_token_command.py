"""``manage.py create_api_token``: the key is printed once; revoke by prefix."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from navigator.api.authentication import hash_token
from navigator.models import ApiToken

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("create_api_token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_creates_a_token_and_prints_only_the_key(navigator_a):
    out, err = run("--user", navigator_a.username, "--name", "field app")
    key = out.strip()
    token = ApiToken.objects.get()
    assert (token.user, token.name) == (navigator_a, "field app")
    assert token.key_hash == hash_token(key)
    assert token.key_prefix in err and key not in err
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get("/api/v1/people/").status_code == 200


def test_revoke_by_prefix(navigator_a):
    key = run("--user", navigator_a.username)[0].strip()
    out, _ = run(f"--revoke={key[:8]}")
    assert "Revoked" in out
    assert ApiToken.objects.get().revoked_at is not None
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get("/api/v1/people/").status_code == 401
    with pytest.raises(CommandError, match="No active token"):
        run(f"--revoke={key[:8]}")


def test_revoke_a_prefix_that_starts_with_a_dash(navigator_a):
    # One prefix in 64 does; "--revoke=PREFIX" (as printed) handles it.
    ApiToken.objects.create(
        user=navigator_a, name="t", key_prefix="-abc1234", key_hash="0" * 64
    )
    _, err = run("--user", navigator_a.username)
    assert "--revoke=" in err
    run("--revoke=-abc1234")
    assert ApiToken.objects.get(key_prefix="-abc1234").revoked_at is not None


@pytest.mark.parametrize(
    "args, message",
    [
        ((), "--user"),
        (("--user", "nobody"), "No user"),
        (("--revoke", "zzzzzzzz"), "No active token"),
        (("--user", "nav-a", "--name", " "), "--name"),
    ],
)
def test_errors(navigator_a, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not ApiToken.objects.exists()


def test_inactive_user_gets_no_token(navigator_a):
    navigator_a.is_active = False
    navigator_a.save()
    with pytest.raises(CommandError, match="inactive"):
        run("--user", navigator_a.username)
