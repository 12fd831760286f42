"""``Idempotency-Key`` on API writes (issue 7, finding 4: "posting the same
encounter twice stored two")."""

from __future__ import annotations

import datetime
import threading
from typing import Any
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from cases import services as case_services
from cases.models import Encounter
from navigator.models import AuditEvent, IdempotencyKey
from navigator.tasks import expire_idempotency_keys
from tests.cases.test_api_encounters import client_for, valid
from tests.factories import EncounterFactory, PersonFactory, member

pytestmark = pytest.mark.django_db

URL = "/api/v1/encounters/"
KEY = "6f1c0d2e-8a4b-4c3d-9e5f-0a1b2c3d4e5f"


@pytest.fixture
def api(navigator_a):
    return client_for(navigator_a)


def post(api, body, key=KEY, url=URL):
    headers = {} if key is None else {"Idempotency-Key": key}
    return api.post(url, body, format="json", headers=headers)


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"detail", "code", "fields"}, body
    if code is not None:
        assert body["code"] == code, body
    return body


def test_without_a_key_a_retry_writes_twice(api):
    """The reported behaviour, still true without the header."""
    body = valid()
    assert post(api, body, key=None).status_code == 201
    assert post(api, body, key=None).status_code == 201
    assert Encounter.objects.count() == 2


def test_the_same_key_and_body_return_the_first_answer_and_write_nothing(api):
    body = valid()
    first = post(api, body)
    assert first.status_code == 201, first.content
    events = AuditEvent.objects.count()
    again = post(api, body)
    assert again.status_code == 201
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Encounter.objects.count() == 1
    assert AuditEvent.objects.count() == events  # nothing new, not even a read


def test_the_body_compares_as_json_not_as_text(api):
    body = valid()
    first = post(api, body)
    reordered = api.post(
        URL,
        "{" + ", ".join(f'"{k}": "{v}"' for k, v in reversed(body.items())) + "}",
        content_type="application/json",
        headers={"Idempotency-Key": KEY},
    )
    assert reordered.status_code == 201 and reordered.content == first.content
    assert Encounter.objects.count() == 1


def test_the_same_key_with_another_body_is_a_409(api):
    assert post(api, valid()).status_code == 201
    other = post(api, valid(unidentified_description="woman, 30s"))
    body = assert_error(other, 409, "idempotency_key_reused")
    assert "Idempotency-Key" in body["detail"]
    assert Encounter.objects.count() == 1


def test_the_same_key_on_another_path_or_method_is_a_409(api, program_a):
    assert post(api, valid()).status_code == 201
    person = PersonFactory(program=program_a)
    encounter = Encounter.objects.get()
    patch = api.patch(
        f"{URL}{encounter.pk}/",
        {"person": person.pk},
        format="json",
        headers={"Idempotency-Key": KEY},
    )
    assert_error(patch, 409, "idempotency_key_reused")
    assert_error(
        post(api, {"first_name": "A"}, url="/api/v1/people/"),
        409,
        "idempotency_key_reused",
    )
    encounter.refresh_from_db()
    assert encounter.person is None


def test_keys_are_per_user(api, program_a):
    colleague = client_for(member(program_a, username="colleague"))
    body = valid()
    mine, theirs = post(api, body), post(colleague, body)
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]
    assert "Idempotent-Replayed" not in theirs
    assert Encounter.objects.count() == 2


def test_a_refused_request_is_answered_the_same_way_again(api):
    """4xx answers are kept too: the same request is the same answer."""
    bad = valid(started_at="not a time")
    first = post(api, bad)
    assert_error(first, 400)
    again = post(api, bad)
    assert again.status_code == 400 and again.content == first.content
    assert again["Idempotent-Replayed"] == "true"


@pytest.mark.parametrize(
    "key",
    ["", "x" * 256, "caf\u00e9", "tab\there", "new\nline"],
    ids=["empty", "too-long", "non-ascii", "tab", "newline"],
)
def test_a_bad_key_is_a_400_naming_the_header(api, key):
    if "\n" in key:
        # HTTP clients refuse a newline in a header; the WSGI layer can see one.
        response = api.post(URL, valid(), format="json", HTTP_IDEMPOTENCY_KEY=key)
    else:
        response = post(api, valid(), key=key)
    body = assert_error(response, 400)
    assert list(body["fields"]) == ["Idempotency-Key"]
    assert not Encounter.objects.exists() and not IdempotencyKey.objects.exists()


def test_the_longest_key_works(api):
    assert post(api, valid(), key="k" * 255).status_code == 201


def test_a_5xx_is_not_kept_its_write_is_rolled_back_and_a_retry_runs(api):
    real = case_services.encounter_log

    def log_then_fail(**kwargs):
        real(**kwargs)
        raise RuntimeError("the server failed after saving")

    body = valid()
    api.raise_request_exception = False
    with mock.patch("cases.api.views.services.encounter_log", log_then_fail):
        failed = post(api, body)
    assert failed.status_code == 500
    assert not Encounter.objects.exists()  # rolled back with the answer
    # The key's row stays without an answer and unlocked: a dead request's.
    assert IdempotencyKey.objects.get().status_code is None
    retried = post(api, body)
    assert retried.status_code == 201 and "Idempotent-Replayed" not in retried
    assert Encounter.objects.count() == 1


def test_after_24_hours_a_key_is_new_again_and_is_cleaned_up(api, navigator_a):
    body = valid()
    assert post(api, body).status_code == 201
    IdempotencyKey.objects.update(
        created_at=timezone.now() - datetime.timedelta(hours=24, seconds=1)
    )
    again = post(api, body)
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert Encounter.objects.count() == 2
    # The hourly cleanup deletes what is older than 24 hours, and only that.
    IdempotencyKey.objects.create(
        user=navigator_a,
        key="old",
        fingerprint="x" * 64,
        created_at=timezone.now() - datetime.timedelta(hours=25),
        status_code=201,
        response_body=b"{}",
    )
    assert expire_idempotency_keys() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == [KEY]


def test_deletes_are_replayed_too(api, program_a):
    encounter = EncounterFactory(program=program_a, person=None)
    url = f"{URL}{encounter.pk}/?reason=twice"
    first = api.delete(url, headers={"Idempotency-Key": KEY})
    again = api.delete(url, headers={"Idempotency-Key": KEY})
    assert (first.status_code, again.status_code) == (204, 204)
    assert again["Idempotent-Replayed"] == "true"  # not a 409 "already deleted"


def test_reads_and_pages_ignore_the_header(client, api, navigator_a):
    assert api.get(URL, headers={"Idempotency-Key": KEY}).status_code == 200
    client.force_login(navigator_a)
    client.post("/encounters/new/", {}, headers={"Idempotency-Key": KEY})
    assert not IdempotencyKey.objects.exists()


def test_the_schema_documents_the_header_and_its_409_on_every_write():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    writes = reads = 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            names = {p["name"] for p in operation.get("parameters", [])}
            if method in {"post", "put", "patch", "delete"}:
                writes += 1
                assert "Idempotency-Key" in names, (method, path)
                assert {"400", "409"} <= set(operation["responses"]), (method, path)
                assert "Idempotency-Key" in operation["responses"]["409"]["description"]
            else:
                reads += 1
                assert "Idempotency-Key" not in names, (method, path)
    assert writes > 15 and reads > 5


@pytest.mark.django_db(transaction=True)
def test_a_second_request_while_the_first_runs_is_a_409_never_a_second_write(
    navigator_a,
):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; SQLite makes the second one wait")
    started, release = threading.Event(), threading.Event()
    real = case_services.encounter_log
    answers: dict[str, Any] = {}

    def slow_log(**kwargs):
        started.set()
        assert release.wait(20)
        return real(**kwargs)

    body = valid()

    def first() -> None:
        try:
            answers["first"] = post(client_for(navigator_a), body)
        finally:
            connection.close()

    with mock.patch("cases.api.views.services.encounter_log", slow_log):
        thread = threading.Thread(target=first)
        thread.start()
        try:
            assert started.wait(20)
            second = post(client_for(navigator_a), body)
        finally:
            release.set()
            thread.join()
    assert_error(second, 409, "idempotency_key_in_progress")
    assert answers["first"].status_code == 201
    third = post(client_for(navigator_a), body)
    assert third.status_code == 201 and third["Idempotent-Replayed"] == "true"
    assert third.content == answers["first"].content
    assert Encounter.objects.count() == 1


def test_a_method_the_endpoint_does_not_answer_is_a_405_whatever_the_key(api):
    """Found by schemathesis: PUT on a collection with a key already used
    answered 409 "key reused" instead of 405, and claimed the key."""
    assert post(api, valid()).status_code == 201
    response = api.put(URL, valid(), format="json", headers={"Idempotency-Key": KEY})
    assert_error(response, 405)
    fresh = api.put(
        URL, valid(), format="json", headers={"Idempotency-Key": "another-key-1234"}
    )
    assert_error(fresh, 405)
    assert not IdempotencyKey.objects.filter(key="another-key-1234").exists()
