"""Unsuccessful tries (attempts) and undoing a mis-tapped closing (issue 8:
"No answer" must not close an urgent follow-up)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from followups import reminders, services
from followups.models import (
    Delivery,
    Followup,
    FollowupAttempt,
    FollowupSettings,
    Reminder,
    ReminderKind,
    ReminderStatus,
    Status,
)
from navigator.errors import Conflict, DomainError, NotFound, PermissionDenied
from navigator.models import AuditAction, AuditEvent, Role
from tests.factories import member
from tests.followups.helpers import schedule

pytestmark = pytest.mark.django_db


def try_once(by, followup, outcome="no_answer", **kwargs):
    return services.followup_attempt(
        by=by, followup=followup, method=kwargs.pop("method", "phone"),
        outcome=outcome, **kwargs,
    )  # fmt: skip


def pending_due_soon(followup: Followup) -> list[Reminder]:
    return list(
        Reminder.objects.filter(
            followup=followup,
            kind=ReminderKind.DUE_SOON,
            status=ReminderStatus.PENDING,
        )
    )


# --- attempts -----------------------------------------------------------------


def test_an_attempt_keeps_it_open_and_due_after_the_retry_time(navigator_a):
    followup = schedule(navigator_a, in_minutes=-30, priority="urgent")
    before = timezone.now()
    attempt = try_once(navigator_a, followup, note="Rang twice.")
    followup.refresh_from_db()
    assert followup.status == Status.SCHEDULED and followup.outcome == ""
    assert attempt.attempted_by == navigator_a and attempt.note == "Rang twice."
    assert attempt.attempted_at >= before
    # Default: 4 hours after the try.
    assert followup.due_at == attempt.attempted_at + datetime.timedelta(hours=4)
    assert followup.escalated_at is None


def test_the_program_setting_sets_the_retry_time(navigator_a, manager_a, program_a):
    services.followup_settings_update(
        by=manager_a, program=program_a, data={"attempt_retry_hours": 2}
    )
    followup = schedule(navigator_a, in_minutes=-30)
    attempt = try_once(navigator_a, followup, "left_message")
    followup.refresh_from_db()
    assert followup.due_at == attempt.attempted_at + datetime.timedelta(hours=2)


def test_a_try_before_the_due_time_does_not_bring_it_forward(navigator_a):
    followup = schedule(navigator_a, in_minutes=60 * 24)
    due = followup.due_at
    try_once(navigator_a, followup)
    followup.refresh_from_db()
    assert followup.due_at == due


def test_reminders_follow_the_new_due_time_exactly_once(navigator_a):
    followup = schedule(navigator_a, in_minutes=-30)
    assert pending_due_soon(followup) == []  # it was already due
    try_once(navigator_a, followup)
    followup.refresh_from_db()
    (reminder,) = pending_due_soon(followup)
    assert reminder.generation == followup.generation
    assert reminder.send_after == followup.due_at - datetime.timedelta(minutes=60)
    # A second try: the first retry's reminder is cancelled, one new one.
    try_once(navigator_a, followup)
    followup.refresh_from_db()
    (again,) = pending_due_soon(followup)
    assert again.pk != reminder.pk and again.generation == followup.generation
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.CANCELLED


def test_the_limit_escalates_to_the_managers_once(navigator_a, manager_a, program_a):
    other_manager = member(program_a, Role.PROGRAM_MANAGER)
    followup = schedule(navigator_a, in_minutes=-30)
    for _ in range(2):
        try_once(navigator_a, followup)
    followup.refresh_from_db()
    assert followup.escalated_at is None
    retry_due = followup.due_at
    try_once(navigator_a, followup)  # the 3rd: the default limit
    followup.refresh_from_db()
    assert followup.escalated_at is not None and followup.status == Status.SCHEDULED
    assert followup.due_at == retry_due  # no automatic retry after the limit
    escalations = Reminder.objects.filter(
        followup=followup, kind=ReminderKind.ESCALATION
    )
    assert {r.recipient_user_id for r in escalations} == {
        manager_a.pk,
        other_manager.pk,
    }
    # A 4th try is recorded, and nobody is told twice.
    try_once(navigator_a, followup)
    assert escalations.count() == 2
    assert followup.attempts.count() == 4
    # The overdue sweep does not repeat it either (same generation, same key).
    reminders.plan_escalations(now=timezone.now() + datetime.timedelta(days=30))
    assert escalations.count() == 2
    # Sent once each, in words without health information.
    reminders.sweep()
    sent = Delivery.objects.filter(reminder__in=escalations)
    assert sent.count() == 2
    assert all("tries without reaching anyone" in d.summary for d in sent)
    reminders.sweep()
    assert Delivery.objects.filter(reminder__in=escalations).count() == 2


def test_escalated_ones_are_on_the_managers_overdue_list(navigator_a, manager_a):
    from followups.selectors import overdue_followups_for_manager

    followup = schedule(navigator_a, in_minutes=60 * 24)  # not yet due
    for _ in range(3):
        try_once(navigator_a, followup)
    assert followup in overdue_followups_for_manager(user=manager_a)


def test_an_attempt_is_one_audit_event_with_the_reschedule(navigator_a):
    followup = schedule(navigator_a, in_minutes=-30)
    last = AuditEvent.objects.order_by("id").last()
    assert last is not None  # scheduling is audited
    attempt = try_once(navigator_a, followup, note="Voicemail full")
    (event,) = AuditEvent.objects.filter(id__gt=last.pk)
    assert (event.object_type, event.object_id, event.action) == (
        "followups.followupattempt",
        str(attempt.pk),
        AuditAction.CREATE,
    )
    assert event.actor == navigator_a and event.person_id == followup.person_id
    assert event.changes["outcome"] == [None, "no_answer"]
    assert event.changes["note"] == [None, "Voicemail full"]
    followup.refresh_from_db()
    assert event.changes["followup.due_at"][1] == followup.due_at.isoformat()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"outcome": "reached"}, "outcome"),
        ({"outcome": ""}, "outcome"),
        ({"method": "pigeon"}, "method"),
        ({"note": "x" * 2001}, "note"),
        ({"at": timezone.now() + datetime.timedelta(hours=1)}, "at"),
        ({"at": timezone.now() - datetime.timedelta(days=40)}, "at"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(navigator_a, kwargs, field):
    followup = schedule(navigator_a, in_minutes=-30)
    with pytest.raises(DomainError) as caught:
        try_once(navigator_a, followup, **kwargs)
    assert field in caught.value.fields
    assert not FollowupAttempt.objects.exists()
    followup.refresh_from_db()
    assert followup.generation == 1


def test_blank_method_is_the_follow_ups_own(navigator_a):
    followup = schedule(navigator_a, in_minutes=-30, method="in_person")
    assert try_once(navigator_a, followup, method="").method == "in_person"


def test_no_attempt_on_a_closed_follow_up(navigator_a):
    followup = schedule(navigator_a, in_minutes=-30)
    services.followup_cancel(by=navigator_a, followup=followup, reason="Duplicate")
    with pytest.raises(Conflict):
        try_once(navigator_a, followup)


def test_no_attempt_outside_ones_programs(navigator_a, navigator_b):
    followup = schedule(navigator_a, in_minutes=-30)
    with pytest.raises(NotFound):
        try_once(navigator_b, followup)
    assert not FollowupAttempt.objects.exists()


@pytest.mark.parametrize("outcome", ["no_answer", "left_message"])
def test_complete_refuses_outcomes_that_reach_nobody(navigator_a, outcome):
    followup = schedule(navigator_a, in_minutes=-30)
    with pytest.raises(DomainError) as caught:
        services.followup_complete(by=navigator_a, followup=followup, outcome=outcome)
    assert "outcome" in caught.value.fields
    followup.refresh_from_db()
    assert followup.status == Status.SCHEDULED


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"attempt_retry_hours": 0}, "attempt_retry_hours"),
        ({"attempt_retry_hours": 73}, "attempt_retry_hours"),
        ({"attempt_limit": 0}, "attempt_limit"),
        ({"attempt_limit": 11}, "attempt_limit"),
    ],
)
def test_attempt_settings_are_bounded(manager_a, program_a, data, field):
    with pytest.raises(DomainError) as caught:
        services.followup_settings_update(by=manager_a, program=program_a, data=data)
    assert field in caught.value.fields
    assert not FollowupSettings.objects.filter(program=program_a).exists()


# --- undo ---------------------------------------------------------------------


def test_the_author_undoes_a_completion_within_minutes(navigator_a):
    followup = schedule(navigator_a, in_minutes=60)
    services.followup_complete(
        by=navigator_a, followup=followup, outcome="reached", notes="Mis-tap"
    )
    assert services.followup_undo_possible(
        by=navigator_a, followup=Followup.objects.get(pk=followup.pk)
    )
    reopened = services.followup_undo_close(by=navigator_a, followup=followup)
    reopened.refresh_from_db()
    assert reopened.status == Status.SCHEDULED
    assert (reopened.outcome, reopened.notes, reopened.completed_by) == ("", "", None)
    # Reminded again, for the new generation.
    (reminder,) = pending_due_soon(reopened)
    assert reminder.generation == reopened.generation
    event = AuditEvent.objects.filter(
        object_type="followups.followup", object_id=str(followup.pk)
    ).latest("id")
    assert event.actor == navigator_a
    assert event.changes["status"] == [Status.COMPLETED, Status.SCHEDULED]
    assert event.changes["notes"] == ["Mis-tap", ""]  # what it dropped, kept


def test_only_the_author_may_undo(navigator_a, program_a):
    colleague = member(program_a, Role.NAVIGATOR)
    followup = schedule(navigator_a, in_minutes=60)
    services.followup_mark_missed(by=navigator_a, followup=followup)
    with pytest.raises(PermissionDenied):
        services.followup_undo_close(by=colleague, followup=followup)
    followup.refresh_from_db()
    assert followup.status == Status.MISSED


def test_no_undo_after_the_window(navigator_a):
    followup = schedule(navigator_a, in_minutes=60)
    services.followup_complete(by=navigator_a, followup=followup, outcome="reached")
    Followup.objects.filter(pk=followup.pk).update(
        closed_at=timezone.now() - services.UNDO_WINDOW - datetime.timedelta(seconds=1)
    )
    with pytest.raises(Conflict) as caught:
        services.followup_undo_close(by=navigator_a, followup=followup)
    assert caught.value.code == "undo_expired"
    followup.refresh_from_db()
    assert followup.status == Status.COMPLETED


def test_no_undo_of_an_open_or_cancelled_one(navigator_a):
    followup = schedule(navigator_a, in_minutes=60)
    with pytest.raises(Conflict):
        services.followup_undo_close(by=navigator_a, followup=followup)
    services.followup_cancel(by=navigator_a, followup=followup, reason="Duplicate")
    with pytest.raises(Conflict):
        services.followup_undo_close(by=navigator_a, followup=followup)
