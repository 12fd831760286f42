"""Every API error, whatever raised it, is ``{"detail", "code", "fields"}``."""

from __future__ import annotations

import json

import pytest
from django.db import IntegrityError
from rest_framework.test import APIClient

from navigator.api.errors import exception_handler
from navigator.errors import Conflict, DomainError
from navigator.services import api_token_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(navigator_a):
    _, key = api_token_create(user=navigator_a, name="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"detail", "code", "fields"}, body
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["fields"], dict)
    if code is not None:
        assert body["code"] == code, body
    return body


def post_raw(api, body: bytes | str, content_type="application/json"):
    return api.generic("POST", "/api/v1/people/", body, content_type=content_type)


def test_malformed_json_is_400(api):
    assert_error(post_raw(api, '{"first_name": "Ana",'), 400, "parse_error")


def test_json_nan_is_400(api):
    assert_error(post_raw(api, '{"first_name": NaN}'), 400, "parse_error")


def test_absurdly_nested_json_is_400_not_500(api):
    assert_error(post_raw(api, "[" * 100_000 + "]" * 100_000), 400, "parse_error")


def test_invalid_utf8_is_400(api):
    assert_error(post_raw(api, b'{"first_name": "\xff\xfe"}'), 400, "parse_error")


@pytest.mark.parametrize("body", ["[]", '"Ana"', "42", "null", '[{"first_name": "A"}]'])
def test_a_body_that_is_not_an_object_is_400(api, body):
    fields = assert_error(post_raw(api, body), 400, "invalid")["fields"]
    assert "non_field_errors" in fields


def test_form_bodies_are_refused_415(api):
    assert_error(
        post_raw(api, "first_name=Ana", "application/x-www-form-urlencoded"),
        415,
        "unsupported_media_type",
    )


def test_too_large_body_is_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"first_name": "A", "safety_notes": "x" * 2000})
    assert_error(post_raw(api, body), 413, "too_large")


def test_unknown_fields_are_named(api):
    body = assert_error(
        api.post(
            "/api/v1/people/",
            {"first_name": "Ana", "firstname": "Ana", "ssn": "123"},
            format="json",
        ),
        400,
    )
    assert body["fields"] == {
        "firstname": ["Unknown field."],
        "ssn": ["Unknown field."],
    }
    assert "firstname" in body["detail"]


def test_method_not_allowed_is_405(api):
    assert_error(api.delete("/api/v1/people/"), 405, "method_not_allowed")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nothing-here/",
        "/api/v1/people/abc/",
        "/api/v1/people/-1/",
        "/api/v1/people/1/unknown/",
    ],
)
def test_unknown_api_urls_are_json_404(api, path):
    assert_error(api.get(path), 404, "not_found")


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_unknown_api_urls_are_json_404_for_writes_too(navigator_a, method):
    # Not Django's HTML CSRF page: a token client gets the API's 404.
    _, key = api_token_create(user=navigator_a, name="t")
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    response = getattr(client, method)("/api/v1/nothing/", {}, format="json")
    assert_error(response, 404, "not_found")


def test_missing_slash_says_what_was_meant(api):
    body = assert_error(api.get("/api/v1/people"), 404, "not_found")
    assert "/api/v1/people/" in body["detail"]


def test_huge_ids_are_404_not_a_database_error(api):
    assert_error(api.get(f"/api/v1/people/{10**30}/"), 404, "not_found")
    assert_error(api.get(f"/api/v1/encounters/{2**63}/"), 404, "not_found")


# --- the handler itself, for errors hard to provoke through HTTP ------------------


def test_domain_errors_keep_their_status_code_and_fields():
    response = exception_handler(
        DomainError.for_field("started_at", "In the future.", code="future"), {}
    )
    assert response.status_code == 400
    assert response.data == {
        "detail": "In the future.",
        "code": "future",
        "fields": {"started_at": ["In the future."]},
    }
    assert exception_handler(Conflict("Already deleted."), {}).status_code == 409


def test_a_race_on_a_unique_constraint_is_409_not_500():
    response = exception_handler(IntegrityError("duplicate key"), {})
    assert response.status_code == 409
    assert response.data["code"] == "conflict"
    assert "duplicate key" not in response.data["detail"]  # no database internals


def test_unexpected_errors_are_left_to_django():
    # Not swallowed: a bug must show as a 500 in logs, not as a fake 400.
    assert exception_handler(ZeroDivisionError(), {}) is None
