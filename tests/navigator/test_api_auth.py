"""API authentication: bearer tokens (hash stored, revocable) and sessions."""

from __future__ import annotations

import pytest
from django.middleware.csrf import get_token
from rest_framework.test import APIClient

from navigator.models import ApiToken
from navigator.services import api_token_create, api_token_revoke
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

PEOPLE = "/api/v1/people/"


def bearer(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def assert_401(response):
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"] == "Bearer"
    body = response.json()
    assert set(body) == {"detail", "code", "fields"}
    return body


def test_a_created_token_authenticates_and_records_its_use(navigator_a, program_a):
    PersonFactory(program=program_a)
    token, key = api_token_create(user=navigator_a, name="field app")
    assert key not in (token.key_hash, token.key_prefix)  # only a hash is stored
    response = bearer(key).get(PEOPLE)
    assert response.status_code == 200
    assert response.json()["count"] == 1
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_the_bearer_keyword_is_case_insensitive(navigator_a):
    _, key = api_token_create(user=navigator_a, name="t")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"bearer {key}")
    assert client.get(PEOPLE).status_code == 200


def test_no_credentials_is_401_with_bearer_challenge(db):
    body = assert_401(APIClient().get(PEOPLE))
    assert body["code"] == "not_authenticated"


def test_unknown_token_is_401(db):
    assert assert_401(bearer("not-a-real-token").get(PEOPLE))["code"] == (
        "authentication_failed"
    )


def test_revoked_token_is_401(navigator_a):
    token, key = api_token_create(user=navigator_a, name="t")
    assert bearer(key).get(PEOPLE).status_code == 200
    api_token_revoke(token=token)
    assert_401(bearer(key).get(PEOPLE))


def test_token_of_a_deactivated_user_is_401(navigator_a):
    _, key = api_token_create(user=navigator_a, name="t")
    navigator_a.is_active = False
    navigator_a.save()
    assert_401(bearer(key).get(PEOPLE))


@pytest.mark.parametrize(
    "header", ["Bearer", "Bearer a b", "Token abc", "Basic Zm9vOmJhcg=="]
)
def test_malformed_or_foreign_authorization_is_401(db, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert_401(client.get(PEOPLE))


def test_token_prefix_alone_does_not_authenticate(navigator_a):
    token, key = api_token_create(user=navigator_a, name="t")
    assert_401(bearer(token.key_prefix).get(PEOPLE))
    assert ApiToken.objects.count() == 1


def test_session_reads_need_no_csrf_but_writes_do(navigator_a):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(navigator_a)
    assert client.get(PEOPLE).status_code == 200

    response = client.post(PEOPLE, {"first_name": "Ana"}, format="json")
    assert response.status_code == 403
    body = response.json()
    assert set(body) == {"detail", "code", "fields"}
    assert "CSRF" in body["detail"]

    # With the token a page would embed, the same write goes through.
    request = client.get("/api/v1/people/").wsgi_request
    csrf = get_token(request)
    client.cookies["csrftoken"] = csrf
    response = client.post(
        PEOPLE, {"first_name": "Ana"}, format="json", HTTP_X_CSRFTOKEN=csrf
    )
    assert response.status_code == 201, response.content


def test_bearer_writes_need_no_csrf(navigator_a):
    _, key = api_token_create(user=navigator_a, name="t")
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    response = client.post(PEOPLE, {"first_name": "Ana"}, format="json")
    assert response.status_code == 201, response.content
