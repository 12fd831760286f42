"""/api/v1/followups/{id}/attempt/ and /undo/ (issue 8): an unanswered try
keeps the follow-up open; complete takes only outcomes that close it."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from followups.models import Followup, Status
from navigator.models import AuditAction, AuditEvent
from tests.factories import member
from tests.followups.helpers import schedule
from tests.followups.test_api_followups import assert_error, client_for, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(navigator_a):
    return client_for(navigator_a)


def test_attempt_keeps_it_open_and_lists_the_try(api, navigator_a):
    followup = schedule(navigator_a, in_minutes=-30)
    before = timezone.now()
    response = api.post(
        url(followup.pk, "attempt"),
        {"outcome": "left_message", "note": "Voicemail"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "scheduled" and body["outcome"] is None
    (attempt,) = body["attempts"]
    assert (attempt["outcome"], attempt["method"], attempt["note"]) == (
        "left_message",
        "phone",  # the follow-up's own method when none is sent
        "Voicemail",
    )
    assert attempt["attempted_by"] == navigator_a.pk
    due = datetime.datetime.fromisoformat(body["due_at"])
    assert due >= before + datetime.timedelta(hours=4)
    assert body["escalated_at"] is None
    # The detail shows it too.
    assert len(api.get(url(followup.pk)).json()["attempts"]) == 1


def test_the_third_attempt_escalates(api, navigator_a):
    followup = schedule(navigator_a, in_minutes=-30)
    for _ in range(3):
        body = api.post(
            url(followup.pk, "attempt"), {"outcome": "no_answer"}, format="json"
        ).json()
    assert body["escalated_at"] and body["status"] == "scheduled"
    assert len(body["attempts"]) == 3


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "outcome"),
        ({"outcome": "reached"}, "outcome"),
        ({"outcome": "no_answer", "method": "pigeon"}, "method"),
        ({"outcome": "no_answer", "note": "x" * 2001}, "note"),
        ({"outcome": "no_answer", "at": "2999-01-01T10:00"}, "at"),
        ({"outcome": "no_answer", "surprise": 1}, "surprise"),
    ],
)
def test_attempt_with_bad_input_is_400(api, navigator_a, data, field):
    followup = schedule(navigator_a, in_minutes=-30)
    assert_error(api.post(url(followup.pk, "attempt"), data, format="json"), 400, field)
    assert not Followup.objects.get(pk=followup.pk).attempts.exists()


def test_attempt_on_a_closed_one_is_409_and_elsewhere_404(
    api, navigator_a, navigator_b
):
    closed = schedule(navigator_a)
    api.post(url(closed.pk, "complete"), {"outcome": "reached"}, format="json")
    assert_error(
        api.post(url(closed.pk, "attempt"), {"outcome": "no_answer"}, format="json"),
        409,
        code="invalid_transition",
    )
    theirs = schedule(navigator_b)
    assert_error(
        api.post(url(theirs.pk, "attempt"), {"outcome": "no_answer"}, format="json"),
        404,
    )


@pytest.mark.parametrize("outcome", ["no_answer", "left_message"])
def test_complete_refuses_an_attempt_outcome_naming_the_field(
    api, navigator_a, outcome
):
    followup = schedule(navigator_a)
    response = api.post(
        url(followup.pk, "complete"), {"outcome": outcome}, format="json"
    )
    assert_error(response, 400, "outcome", code="attempt_outcome")
    assert "attempt" in response.json()["fields"]["outcome"][0]
    assert Followup.objects.get(pk=followup.pk).status == Status.SCHEDULED


def test_a_retried_attempt_with_its_key_records_one_try(api, navigator_a):
    followup = schedule(navigator_a, in_minutes=-30)
    headers = {"HTTP_IDEMPOTENCY_KEY": "attempt-1"}
    first = api.post(
        url(followup.pk, "attempt"), {"outcome": "no_answer"}, format="json", **headers
    )
    again = api.post(
        url(followup.pk, "attempt"), {"outcome": "no_answer"}, format="json", **headers
    )
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert Followup.objects.get(pk=followup.pk).attempts.count() == 1


def test_undo_reopens_ones_own_completion(api, navigator_a):
    followup = schedule(navigator_a, in_minutes=60)
    api.post(url(followup.pk, "complete"), {"outcome": "reached"}, format="json")
    response = api.post(url(followup.pk, "undo"), format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["outcome"], body["completed_by"]) == (
        "scheduled",
        None,
        None,
    )
    event = AuditEvent.objects.filter(
        object_type="followups.followup", object_id=str(followup.pk)
    ).latest("id")
    assert event.action == AuditAction.UPDATE and event.actor == navigator_a
    # Twice is a 409: it is open now.
    assert_error(api.post(url(followup.pk, "undo"), format="json"), 409)


def test_undo_by_someone_else_is_403_and_late_is_409(api, navigator_a, program_a):
    followup = schedule(navigator_a, in_minutes=60)
    api.post(url(followup.pk, "complete"), {"outcome": "reached"}, format="json")
    colleague = client_for(member(program_a, "navigator"))
    assert_error(colleague.post(url(followup.pk, "undo"), format="json"), 403)
    Followup.objects.filter(pk=followup.pk).update(
        closed_at=timezone.now() - datetime.timedelta(minutes=11)
    )
    assert_error(
        api.post(url(followup.pk, "undo"), format="json"), 409, code="undo_expired"
    )
