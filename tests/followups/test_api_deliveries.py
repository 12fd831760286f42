"""/api/v1/followups/deliveries/: for program managers, masked, N+1-free."""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from followups import reminders
from followups.models import (
    Delivery,
    DeliveryStatus,
    Followup,
    NotificationPreference,
    Reminder,
    ReminderKind,
    ReminderStatus,
)
from followups.texts import mask_recipient
from navigator.models import AuditAction, AuditEvent, Membership, Role
from navigator.services import api_token_create
from tests.factories import member
from tests.followups.helpers import schedule

pytestmark = pytest.mark.django_db

URL = "/api/v1/followups/deliveries/"
# Token, memberships, COUNT, page (reminder joined), the audit insert (for
# the reminders to the person). Not one more for a bigger page.
DELIVERIES_MAX_QUERIES = 5
# Hand-made reminders take generations the planner never uses, so they do
# not collide with the reminder scheduling already planned.
GENERATIONS = itertools.count(1000)


def client_for(user) -> APIClient:
    _, key = api_token_create(user=user, name="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def delivery(
    program,
    *,
    followup=None,
    user=None,
    channel="email",
    recipient="nadia@example.org",
    status=DeliveryStatus.SENT,
    error="",
    attempts=1,
    kind=ReminderKind.DUE_SOON,
) -> Delivery:
    reminder = Reminder.objects.create(
        kind=kind,
        program=program,
        followup=followup,
        generation=next(GENERATIONS),
        recipient_user=user,
        send_after=timezone.now(),
        status=ReminderStatus.SENT
        if status == DeliveryStatus.SENT
        else ReminderStatus.FAILED,
        attempts=attempts,
        digest_date=timezone.localdate() if kind == ReminderKind.DIGEST else None,
    )
    return Delivery.objects.create(
        reminder=reminder,
        channel=channel,
        recipient=recipient,
        summary="Follow-up due at 10:00",
        status=status,
        provider_id="msg-1" if status == DeliveryStatus.SENT else "",
        error=error,
        sent_at=timezone.now() if status == DeliveryStatus.SENT else None,
    )


@pytest.mark.parametrize(
    "recipient, masked",
    [
        ("nadia@example.org", "n***@example.org"),
        ("a@b.example", "a***@b.example"),
        ("@example.org", "***@example.org"),
        ("+1 (555) 010-1234", "***1234"),
        ("5550101234", "***1234"),
        ("911", "***"),
        ("", "***"),
    ],
)
def test_mask_recipient(recipient, masked):
    assert mask_recipient(recipient) == masked


def test_manager_sees_real_deliveries_of_their_program_masked(
    navigator_a, manager_a, navigator_b, program_a
):
    followup = schedule(navigator_a, in_minutes=30)  # inside the 60-minute lead
    schedule(navigator_b, in_minutes=30)
    assert reminders.sweep()["sent"] == 2
    assert len(mail.outbox) == 2
    response = client_for(manager_a).get(URL)
    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    assert len(rows) == 1
    row = rows[0]
    sent = Delivery.objects.get(reminder__followup=followup)
    assert row["id"] == sent.pk
    assert row["channel"] == "email"
    assert navigator_a.email == "nav-a@example.org"
    assert row["recipient"] == "n***@example.org"
    assert navigator_a.email not in response.content.decode()
    assert (row["status"], row["provider_id"]) == ("sent", sent.provider_id)
    assert row["summary"] == sent.summary
    assert (row["kind"], row["attempts"], row["followup"]) == (
        "due_soon",
        1,
        followup.pk,
    )
    assert row["error"] == ""
    assert row["created_at"] and row["sent_at"]


def test_sms_failure_shows_attempts_and_a_masked_error(
    manager_a, navigator_a, program_a
):
    NotificationPreference.objects.create(
        user=navigator_a, channel="sms", phone="+15550101234"
    )
    followup = schedule(navigator_a)
    delivery(
        program_a,
        followup=followup,
        user=navigator_a,
        channel="sms",
        recipient="+15550101234",
        status=DeliveryStatus.FAILED,
        error="Provider refused +15550101234: unreachable",
        attempts=5,
    )
    row = client_for(manager_a).get(URL).json()["results"][0]
    assert (row["recipient"], row["status"], row["attempts"]) == (
        "***1234",
        "failed",
        5,
    )
    assert row["error"] == "Provider refused ***1234: unreachable"


def test_a_digest_delivery_has_no_followup(manager_a, navigator_a, program_a):
    delivery(program_a, user=navigator_a, kind=ReminderKind.DIGEST)
    row = client_for(manager_a).get(URL).json()["results"][0]
    assert (row["kind"], row["followup"]) == ("digest", None)


@pytest.mark.parametrize("role", [Role.NAVIGATOR, Role.CASEWORKER, Role.ADMIN])
def test_non_managers_are_refused(navigator_a, program_a, role):
    # For the role, not for the object: 403, as the deliveries page answers
    # (followups.selectors.delivery_list_for_manager asks program_access).
    delivery(program_a, followup=schedule(navigator_a), user=navigator_a)
    user = navigator_a if role == Role.NAVIGATOR else member(program_a, role)
    response = client_for(user).get(URL)
    assert response.status_code == 403, response.content
    assert response.json()["code"] == "manager_only"


def test_a_manager_of_another_program_sees_none_of_ours(
    navigator_a, program_a, program_b
):
    delivery(program_a, followup=schedule(navigator_a), user=navigator_a)
    theirs = member(program_b, Role.PROGRAM_MANAGER)
    assert client_for(theirs).get(URL).json()["count"] == 0


def test_a_manager_who_is_a_navigator_elsewhere_sees_only_the_managed_program(
    navigator_a, navigator_b, program_a, program_b
):
    ours = delivery(program_a, followup=schedule(navigator_a), user=navigator_a)
    delivery(program_b, followup=schedule(navigator_b), user=navigator_b)
    user = member(program_a, Role.PROGRAM_MANAGER)
    Membership.objects.create(user=user, program=program_b, role=Role.NAVIGATOR)
    rows = client_for(user).get(URL).json()["results"]
    assert [r["id"] for r in rows] == [ours.pk]


def test_anonymous_is_401():
    response = APIClient().get(URL)
    assert response.status_code == 401
    assert set(response.json()) == {"detail", "code", "fields"}


def test_read_only(manager_a):
    client = client_for(manager_a)
    for response in (
        client.post(URL, {}, format="json"),
        client.patch(URL, {}, format="json"),
        client.delete(URL),
    ):
        assert response.status_code == 405
        assert set(response.json()) == {"detail", "code", "fields"}


def test_filters(manager_a, navigator_a, program_a):
    followup = schedule(navigator_a)
    sent = delivery(program_a, followup=followup, user=navigator_a)
    failed = delivery(
        program_a,
        user=navigator_a,
        channel="sms",
        recipient="+15550101234",
        status=DeliveryStatus.FAILED,
        kind=ReminderKind.DIGEST,
    )
    client = client_for(manager_a)

    def found(**params) -> list[int]:
        response = client.get(URL, params)
        assert response.status_code == 200, response.content
        return [r["id"] for r in response.json()["results"]]

    assert found(status="failed") == [failed.pk]
    assert found(channel="email") == [sent.pk]
    assert found(followup=followup.pk) == [sent.pk]
    assert found() == [failed.pk, sent.pk]  # newest first
    for params, field in (
        ({"status": "lost"}, "status"),
        ({"channel": "pigeon"}, "channel"),
        ({"followup": "abc"}, "followup"),
        ({"followup": 10**30}, "followup"),
    ):
        response = client.get(URL, params)
        assert response.status_code == 400, response.content
        assert field in response.json()["fields"]


@pytest.fixture
def many_deliveries(navigator_a, program_a):
    followups = [schedule(navigator_a, in_minutes=600 + i) for i in range(20)]
    rows = []
    kinds = (ReminderKind.ESCALATION, ReminderKind.DUE_SOON, ReminderKind.PERSON)
    for i in range(110):
        kind = kinds[i % 3]
        to_person = kind == ReminderKind.PERSON
        reminder = Reminder.objects.create(
            kind=kind,
            program=program_a,
            followup=followups[i % 20],
            generation=100 + i,  # distinct from the planned reminders
            recipient_user=None if to_person else navigator_a,
            recipient_person=followups[i % 20].person if to_person else None,
            send_after=timezone.now() - datetime.timedelta(minutes=i),
            status=ReminderStatus.SENT,
            attempts=1 + i % 3,
        )
        rows.append(
            Delivery(
                reminder=reminder,
                channel="email" if i % 2 else "sms",
                recipient=navigator_a.email if i % 2 else "+15550101234",
                summary="Follow-up due soon",
                status=DeliveryStatus.SENT,
                provider_id=f"msg-{i}",
                sent_at=timezone.now(),
            )
        )
    return Delivery.objects.bulk_create(rows)


@pytest.mark.parametrize("page_size", [10, 100])
def test_list_query_count(
    manager_a, many_deliveries, page_size, django_assert_max_num_queries
):
    client = client_for(manager_a)
    client.get(URL, {"page_size": 1})  # stamps the token's last_used_at once
    with django_assert_max_num_queries(DELIVERIES_MAX_QUERIES):
        response = client.get(URL, {"page_size": page_size})
    rows = response.json()["results"]
    assert len(rows) == page_size
    assert {r["attempts"] for r in rows} == {1, 2, 3}
    assert all(r["followup"] for r in rows)
    # A masked address of the person served: one LIST event per person.
    by_followup = {f.pk: f.person_id for f in Followup.objects.all()}
    people = {by_followup[r["followup"]] for r in rows if r["kind"] == "person"}
    assert people
    assert (
        set(
            AuditEvent.objects.filter(
                action=AuditAction.LIST, endpoint="api-delivery-list"
            ).values_list("person_id", flat=True)
        )
        == people
    )
