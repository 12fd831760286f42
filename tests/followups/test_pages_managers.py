"""Program managers' pages: the team's overdue follow-ups, the delivery log,
the program's reminder settings and default plan. Nobody else sees them."""

from __future__ import annotations

import itertools

import pytest
from django.urls import reverse
from django.utils import timezone

from followups import services
from followups.models import (
    Delivery,
    DeliveryStatus,
    FollowupPlanStep,
    FollowupSettings,
    Reminder,
    ReminderKind,
    ReminderStatus,
)
from navigator.models import AuditAction, AuditEvent, Membership, Role
from tests.factories import PersonFactory, ProgramFactory, member
from tests.followups.helpers import schedule

pytestmark = pytest.mark.django_db

# Session, user, memberships, per-navigator counts, the list's count and
# rows (person, contact, assignee joined), the audit insert, the session save
# with savepoints.
OVERDUE_MAX_QUERIES = 10
# Session, user, memberships, failed count, the list's count and rows
# (reminder joined), the audit insert (reminders to the person), the session
# save with savepoints.
DELIVERIES_MAX_QUERIES = 10
GENERATIONS = itertools.count(1000)

MANAGER_PAGES = ["followup-overdue", "followup-deliveries", "followup-settings"]


def delivery(
    program,
    *,
    followup=None,
    user=None,
    recipient="nadia@example.org",
    status=DeliveryStatus.SENT,
    error="",
    channel="email",
    kind=ReminderKind.DUE_SOON,
) -> Delivery:
    to_person = kind == ReminderKind.PERSON
    reminder = Reminder.objects.create(
        kind=kind,
        program=program,
        followup=followup,
        generation=next(GENERATIONS),
        recipient_user=None if to_person else user,
        recipient_person=followup.person if to_person else None,
        send_after=timezone.now(),
        status=ReminderStatus.SENT
        if status == DeliveryStatus.SENT
        else ReminderStatus.FAILED,
        attempts=1 if status == DeliveryStatus.SENT else 5,
    )
    return Delivery.objects.create(
        reminder=reminder,
        channel=channel,
        recipient=recipient,
        summary="Follow-up due Tue Mar 4, 10:00 AM PST",
        status=status,
        error=error,
        sent_at=timezone.now() if status == DeliveryStatus.SENT else None,
    )


def test_manager_pages_require_login(client):
    for name in MANAGER_PAGES:
        response = client.get(reverse(name))
        assert response.status_code == 302, name
        assert response.url.startswith(reverse("login")), name


def test_manager_pages_are_403_for_everyone_else(client, navigator_a, program_a):
    # In scope (the pages exist) but not for the role: 403, saying why, as
    # the API answers (tests/navigator/test_access_agreement.py).
    caseworker = member(program_a, Role.CASEWORKER)
    admin = member(program_a, Role.ADMIN)
    for user in (navigator_a, caseworker, admin):
        client.force_login(user)
        for name in MANAGER_PAGES:
            refused = client.get(reverse(name))
            assert refused.status_code == 403, (user, name)
            assert "Only a program manager" in refused.text
        assert client.post(reverse("followup-settings"), {}).status_code == 403, user
        assert client.post(reverse("followup-plan-step-add"), {}).status_code == 403


def test_navbar_links_for_managers_only(client, navigator_a, manager_a):
    client.force_login(navigator_a)
    html = client.get(reverse("today")).text
    assert f'href="{reverse("followup-list")}"' in html
    assert f'href="{reverse("followup-overdue")}"' not in html
    client.force_login(manager_a)
    html = client.get(reverse("today")).text
    for name in ["followup-list", *MANAGER_PAGES]:
        assert f'href="{reverse(name)}"' in html, name


# --- overdue -----------------------------------------------------------------


def test_overdue_by_navigator_then_the_list(
    client, manager_a, navigator_a, program_a, program_b, navigator_b
):
    colleague = member(program_a, Role.NAVIGATOR, first_name="Ana", last_name="Ruiz")
    oldest = schedule(navigator_a, in_minutes=-60 * 50)
    schedule(navigator_a, in_minutes=-60 * 3)
    schedule(colleague, in_minutes=-60)
    not_yet = schedule(navigator_a, in_minutes=60)
    elsewhere = schedule(navigator_b, in_minutes=-60)
    client.force_login(manager_a)
    response = client.get(reverse("followup-overdue"))
    assert response.status_code == 200
    rows = response.context["by_navigator"]
    assert [(r["assigned_to"], r["overdue"]) for r in rows] == [
        (navigator_a.pk, 2),
        (colleague.pk, 1),
    ]
    assert rows[0]["oldest_due"] == oldest.due_at
    listed = [f.pk for f in response.context["page_obj"].object_list]
    assert len(listed) == 3 and listed[0] == oldest.pk
    assert not_yet.pk not in listed and elsewhere.pk not in listed
    assert "Ana Ruiz" in response.text
    # One navigator's only.
    mine = client.get(reverse("followup-overdue"), {"assigned_to": colleague.pk})
    assert len(mine.context["page_obj"].object_list) == 1


@pytest.mark.parametrize("rows", [3, 30])
def test_overdue_query_count_is_flat(
    client, manager_a, program_a, django_assert_max_num_queries, rows
):
    navigators = [member(program_a, Role.NAVIGATOR) for _ in range(3)]
    for i in range(rows):
        schedule(navigators[i % 3], in_minutes=-60 * (i + 1))
    # And escalated ones (tries unanswered up to the limit), not yet due.
    for i in range(rows // 3):
        followup = schedule(navigators[i % 3], in_minutes=60 * 24)
        for _ in range(3):
            services.followup_attempt(
                by=navigators[i % 3], followup=followup, method="", outcome="no_answer"
            )
    client.force_login(manager_a)
    with django_assert_max_num_queries(OVERDUE_MAX_QUERIES):
        response = client.get(reverse("followup-overdue"))
    assert sum(r["overdue"] for r in response.context["by_navigator"]) == rows
    listed = rows + rows // 3
    assert len(response.context["page_obj"].object_list) == min(listed, 25)
    escalated = [f for f in response.context["page_obj"].object_list if f.escalated_at]
    assert response.text.count("Escalated: tries unanswered") == len(escalated)
    if listed <= 25:  # all on the first page (due soonest last)
        assert len(escalated) == rows // 3


# --- deliveries --------------------------------------------------------------


def test_delivery_log_is_masked_and_failed_ones_stand_out(
    client, manager_a, navigator_a, navigator_b, program_a, program_b
):
    followup = schedule(navigator_a)
    delivery(program_a, followup=followup, user=navigator_a)
    delivery(
        program_a,
        followup=followup,
        user=navigator_a,
        channel="sms",
        recipient="+1 555 010 4321",
        status=DeliveryStatus.FAILED,
        error="Provider refused +1 555 010 4321: unreachable",
    )
    delivery(program_b, user=navigator_b, recipient="other@example.org")
    client.force_login(manager_a)
    response = client.get(reverse("followup-deliveries"))
    assert response.status_code == 200
    html = response.text
    assert "n***@example.org" in html and "nadia@example.org" not in html
    assert "***4321" in html and "555 010 4321" not in html
    assert "Provider refused ***4321: unreachable" in html
    assert "other@example.org" not in html and "o***@example.org" not in html
    assert response.context["failed_count"] == 1
    assert "1 delivery failed" in html and 'role="alert"' in html
    assert "list-group-item-danger" in html
    assert "5 attempts" in html
    assert reverse("followup-detail", args=[followup.pk]) in html
    failed = client.get(reverse("followup-deliveries"), {"status": "failed"})
    assert [d.status for d in failed.context["page_obj"].object_list] == ["failed"]
    by_followup = client.get(reverse("followup-deliveries"), {"followup": followup.pk})
    assert len(by_followup.context["page_obj"].object_list) == 2
    bad = client.get(reverse("followup-deliveries"), {"followup": "x"})
    assert bad.status_code == 200 and bad.context["filter"].errors


@pytest.mark.parametrize("rows", [3, 30])
def test_deliveries_query_count_is_flat(
    client, manager_a, navigator_a, program_a, django_assert_max_num_queries, rows
):
    followup = schedule(navigator_a)
    for i in range(rows):
        delivery(
            program_a,
            followup=followup if i % 2 else None,
            user=navigator_a,
            status=DeliveryStatus.FAILED if i % 5 == 0 else DeliveryStatus.SENT,
            error="timeout" if i % 5 == 0 else "",
            # One in six reminded the person served (a masked address).
            kind=ReminderKind.PERSON if i % 6 == 1 else ReminderKind.DUE_SOON,
        )
    client.force_login(manager_a)
    with django_assert_max_num_queries(DELIVERIES_MAX_QUERIES):
        response = client.get(reverse("followup-deliveries"))
    assert len(response.context["page_obj"].object_list) == min(rows, 25)


# --- settings and the default plan -------------------------------------------


SETTINGS_POST = {
    "settings-reminder_lead_minutes": "30",
    "settings-digest_hour": "6",
    "settings-escalate_after_days": "3",
    "settings-person_reminder_lead_minutes": "120",
    "settings-quiet_hours_start": "20:30",
    "settings-quiet_hours_end": "08:00",
    "settings-attempt_retry_hours": "4",
    "settings-attempt_limit": "3",
    "settings-sender_name": "Care Team",
}


def test_manager_updates_settings_audited(client, manager_a, program_a):
    client.force_login(manager_a)
    page = client.get(reverse("followup-settings"))
    assert page.status_code == 200 and 'value="60"' in page.text
    response = client.post(reverse("followup-settings"), SETTINGS_POST)
    assert response.status_code == 302
    config = FollowupSettings.objects.get(program=program_a)
    assert config.reminder_lead_minutes == 30 and config.sender_name == "Care Team"
    assert config.quiet_hours_start.strftime("%H:%M") == "20:30"
    event = AuditEvent.objects.get(object_type="followups.followupsettings")
    assert event.changes["reminder_lead_minutes"] == [60, 30]


def test_bad_settings_stay_on_the_field(client, manager_a, program_a):
    client.force_login(manager_a)
    response = client.post(
        reverse("followup-settings"),
        {**SETTINGS_POST, "settings-digest_hour": "25"},
    )
    assert response.status_code == 200
    assert "digest_hour" in response.context["settings_form"].errors
    assert 'value="Care Team"' in response.text  # nothing typed is lost
    assert not FollowupSettings.objects.filter(program=program_a).exists()


def test_settings_of_an_unmanaged_program_is_404(client, manager_a, program_b):
    client.force_login(manager_a)
    response = client.get(reverse("followup-settings"), {"program": program_b.pk})
    assert response.status_code == 404


def test_manager_of_two_programs_picks_one(client, manager_a, program_a):
    second = ProgramFactory(name="Program Z", slug="program-z")
    Membership.objects.create(user=manager_a, program=second, role=Role.PROGRAM_MANAGER)
    client.force_login(manager_a)
    page = client.get(reverse("followup-settings"), {"program": second.pk})
    assert page.context["program"] == second and "Program Z" in page.text
    # Shown with the defaults; a read writes nothing (issue 8).
    assert 'value="60"' in page.text
    assert not FollowupSettings.objects.filter(program=second).exists()
    client.post(f"{reverse('followup-settings')}?program={second.pk}", SETTINGS_POST)
    assert FollowupSettings.objects.get(program=second).digest_hour == 6
    assert not FollowupSettings.objects.filter(
        program=program_a, digest_hour=6
    ).exists()


def test_add_and_remove_plan_steps(client, manager_a, program_a):
    client.force_login(manager_a)
    add = {
        "step-disposition": "resources_provided",
        "step-days_after": "2",
        "step-method": "phone",
        "step-purpose": "Did the resources help?",
        "step-priority": "routine",
    }
    response = client.post(reverse("followup-plan-step-add"), add)
    assert response.status_code == 302
    step = FollowupPlanStep.objects.get()
    assert (step.program, step.days_after) == (program_a, 2)
    page = client.get(reverse("followup-settings"))
    assert "Did the resources help?" in page.text
    # The same step twice is refused on the form, not a 500.
    again = client.post(reverse("followup-plan-step-add"), add)
    assert again.status_code == 200 and again.context["step_form"].errors
    assert FollowupPlanStep.objects.count() == 1
    removed = client.post(reverse("followup-plan-step-remove", args=[step.pk]))
    assert removed.status_code == 302
    assert not FollowupPlanStep.objects.exists()
    assert AuditEvent.objects.filter(
        object_type="followups.followupplanstep", action=AuditAction.DELETE
    ).exists()


def test_removing_another_programs_step_is_404(
    client, manager_a, program_b, navigator_a
):
    other_manager = member(program_b, Role.PROGRAM_MANAGER)
    step = services.followup_plan_step_add(
        by=other_manager,
        program=program_b,
        disposition="other",
        days_after=1,
        method="phone",
    )
    client.force_login(manager_a)
    assert (
        client.post(reverse("followup-plan-step-remove", args=[step.pk])).status_code
        == 404
    )
    client.force_login(navigator_a)
    assert (
        client.post(reverse("followup-plan-step-remove", args=[step.pk])).status_code
        == 404
    )
    assert FollowupPlanStep.objects.filter(pk=step.pk).exists()


def test_plan_step_remove_service_is_for_managers(navigator_a, manager_a, program_a):
    from navigator.errors import PermissionDenied

    step = services.followup_plan_step_add(
        by=manager_a,
        program=program_a,
        disposition="other",
        days_after=1,
        method="text",
    )
    with pytest.raises(PermissionDenied):
        services.followup_plan_step_remove(by=navigator_a, step=step)
    services.followup_plan_step_remove(by=manager_a, step=step)
    event = AuditEvent.objects.get(action=AuditAction.DELETE)
    assert event.changes["days_after"] == [1, None] and event.actor == manager_a


def test_people_of_the_manager_are_not_needed(client, manager_a, program_a):
    # A manager with no follow-ups at all still gets empty pages, not errors.
    PersonFactory(program=program_a)
    client.force_login(manager_a)
    for name in MANAGER_PAGES:
        assert client.get(reverse(name)).status_code == 200, name
