"""API tokens: shown once, stored as a hash, revocable."""

from __future__ import annotations

import hashlib

import pytest
from rest_framework import exceptions
from rest_framework.test import APIRequestFactory

from navigator.api.authentication import BearerTokenAuthentication
from navigator.errors import DomainError, PermissionDenied
from navigator.models import ApiToken, AuditEvent, Role, User
from navigator.services import api_token_create, api_token_revoke
from tests.factories import member

pytestmark = pytest.mark.django_db


def authenticate(key: str):
    request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {key}")
    return BearerTokenAuthentication().authenticate(request)


def test_only_a_hash_and_a_prefix_are_stored(navigator_a):
    token, key = api_token_create(user=navigator_a, name="field app")
    stored = ApiToken.objects.get(pk=token.pk)
    assert len(key) >= 40
    assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert stored.key_prefix == key[:8]
    assert key not in {getattr(stored, f.attname) for f in ApiToken._meta.fields}


def test_each_token_is_new(navigator_a):
    keys = {api_token_create(user=navigator_a, name="t")[1] for _ in range(5)}
    assert len(keys) == 5


def test_a_token_authenticates_its_user(navigator_a):
    token, key = api_token_create(user=navigator_a, name="t")
    user, auth = authenticate(key)
    assert (user, auth) == (navigator_a, token)
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_revoked_token_fails_and_revoking_twice_is_harmless(navigator_a):
    token, key = api_token_create(user=navigator_a, name="t")
    api_token_revoke(token=token)
    assert token.revoked_at is not None
    first_revoked_at = ApiToken.objects.get(pk=token.pk).revoked_at
    api_token_revoke(token=token)
    assert ApiToken.objects.get(pk=token.pk).revoked_at == first_revoked_at
    with pytest.raises(exceptions.AuthenticationFailed):
        authenticate(key)


def test_a_revocation_is_audited_once(navigator_a, program_a):
    token, _ = api_token_create(user=navigator_a, name="t")
    api_token_revoke(token=token, by=navigator_a)
    api_token_revoke(token=token, by=navigator_a)
    (event,) = AuditEvent.objects.filter(
        object_type="navigator.apitoken", action="delete"
    )
    assert event.actor == navigator_a
    assert event.object_id == str(token.pk)
    assert event.changes["revoked_at"][0] is None


def test_only_an_administrator_revokes_someone_elses_token(navigator_a, program_a):
    token, _ = api_token_create(user=navigator_a, name="t")
    with pytest.raises(PermissionDenied):
        api_token_revoke(token=token, by=member(program_a, Role.PROGRAM_MANAGER))
    token.refresh_from_db()
    assert token.revoked_at is None
    api_token_revoke(token=token, by=member(program_a, Role.ADMIN))
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_a_deactivated_users_token_fails(navigator_a):
    _, key = api_token_create(user=navigator_a, name="t")
    User.objects.filter(pk=navigator_a.pk).update(is_active=False)
    with pytest.raises(exceptions.AuthenticationFailed):
        authenticate(key)


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_a_name_is_required(navigator_a, name):
    with pytest.raises(DomainError) as exc:
        api_token_create(user=navigator_a, name=name)
    assert set(exc.value.fields) == {"name"}
    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.exists()


def test_no_token_for_a_deactivated_user(navigator_a):
    navigator_a.is_active = False
    with pytest.raises(DomainError) as exc:
        api_token_create(user=navigator_a, name="t")
    assert set(exc.value.fields) == {"user"}


def test_creating_and_revoking_a_token_is_audited_without_its_secret(
    navigator_a, manager_a
):
    token, key = api_token_create(user=navigator_a, name="field app", by=manager_a)
    created = AuditEvent.objects.get(object_type="navigator.apitoken", action="create")
    assert created.actor == manager_a and created.object_id == str(token.pk)
    assert created.changes == {
        "user_id": [None, navigator_a.pk],
        "name": [None, "field app"],
        "key_prefix": [None, key[:8]],
    }
    assert key not in str(created.changes)
    assert token.key_hash not in str(created.changes)
    api_token_revoke(token=token)  # from the command: no actor
    api_token_revoke(token=token)  # again: nothing changes, nothing written
    (revoked,) = AuditEvent.objects.filter(
        object_type="navigator.apitoken", action="delete"
    )
    assert revoked.actor is None and revoked.object_id == str(token.pk)
    assert revoked.changes["revoked_at"][0] is None
