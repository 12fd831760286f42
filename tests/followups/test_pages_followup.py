"""The follow-up page (/followups/<id>/, where reminders link) and its actions."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.services import family_contact_add
from followups import services
from followups.models import Followup, Outcome, Reminder, ReminderStatus, Status
from followups.texts import followup_url
from navigator.models import AuditAction, AuditEvent, Role
from tests.factories import PASSWORD, PersonFactory, member
from tests.followups.helpers import schedule

pytestmark = pytest.mark.django_db

LA = zoneinfo.ZoneInfo("America/Los_Angeles")


@pytest.fixture
def person(program_a):
    return PersonFactory(
        program=program_a, first_name="Dana", last_name="Whitfield", phone="555-0199"
    )


@pytest.fixture
def followup(navigator_a, person):
    return schedule(
        navigator_a, person=person, in_minutes=90, purpose="Check the shelter bed"
    )


def url(name: str, followup: Followup) -> str:
    return reverse(name, args=[followup.pk])


def updates_of(followup: Followup) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            object_type="followups.followup",
            object_id=str(followup.pk),
            action=AuditAction.UPDATE,
        )
    )


ACTIONS = [
    "followup-complete",
    "followup-attempt",
    "followup-undo",
    "followup-missed",
    "followup-cancel",
    "followup-reschedule",
    "followup-reassign",
]


# --- the page ----------------------------------------------------------------


def test_pages_require_login(client, followup):
    for name in ["followup-detail", *ACTIONS]:
        response = client.post(url(name, followup))
        assert response.status_code == 302, name
        assert response.url.startswith(reverse("login")), name
    assert Followup.objects.get().status == Status.SCHEDULED


def test_reminder_link_opens_the_page_after_login(client, navigator_a, followup):
    path = followup_url(followup.pk).split("://", 1)[1].split("/", 1)[1]
    link = "/" + path
    assert link == reverse("followup-detail", args=[followup.pk])
    response = client.get(link)
    assert response.status_code == 302
    login = client.post(
        response.url, {"login": "nav-a", "password": PASSWORD, "next": link}
    )
    assert login.status_code == 302 and login.url == link
    assert client.get(link).status_code == 200


def test_page_shows_the_follow_up_in_the_program_zone(
    client, navigator_a, person, program_a
):
    program_a.time_zone = "America/New_York"
    program_a.save()
    contact = family_contact_add(
        by=navigator_a,
        person=person,
        data={
            "name": "Rita Whitfield",
            "relationship": "mother",
            "phone": "555-0142",
            "may_contact": True,
        },
    )
    due = datetime.datetime(2031, 3, 4, 9, 30, tzinfo=zoneinfo.ZoneInfo("UTC"))
    followup = schedule(
        navigator_a,
        person=person,
        due_at=due,
        contact=contact,
        priority="urgent",
        purpose="Ask about the clinic intake",
    )
    client.force_login(navigator_a)
    response = client.get(url("followup-detail", followup))
    assert response.status_code == 200
    html = response.text
    # 09:30 UTC is 04:30 in New York, whatever zone the page is shown in.
    assert "Tue 4 Mar 2031, 04:30 EST" in html
    assert f'href="{reverse("person-detail", args=[person.pk])}"' in html
    assert "Rita Whitfield (mother)" in html and 'href="tel:555-0142"' in html
    assert "Ask about the clinic intake" in html and "Urgent" in html
    assert navigator_a.get_full_name() in html
    # Opening it is a read of the person's record.
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEW, person_id=person.pk
    ).exists()


def test_overdue_badge(client, navigator_a, person):
    followup = schedule(navigator_a, person=person, in_minutes=-60 * 26)
    client.force_login(navigator_a)
    html = client.get(url("followup-detail", followup)).text
    assert "Overdue 1\xa0day" in html


def test_other_programs_follow_up_is_404_everywhere(client, navigator_b, followup):
    client.force_login(navigator_b)
    assert client.get(url("followup-detail", followup)).status_code == 404
    for name in ACTIONS:
        assert client.post(url(name, followup), {}).status_code == 404, name
    assert client.get("/followups/999999999999999999999/").status_code == 404
    assert Followup.objects.get().status == Status.SCHEDULED


def test_admin_of_the_program_gets_404(client, program_a, followup):
    admin = member(program_a, Role.ADMIN)
    client.force_login(admin)
    assert client.get(url("followup-detail", followup)).status_code == 404


# --- actions -----------------------------------------------------------------


def test_complete_with_outcome_and_notes(client, navigator_a, followup):
    client.force_login(navigator_a)
    response = client.post(
        url("followup-complete", followup),
        {"complete-outcome": "reached_needs_help", "complete-notes": "Wants a ride."},
    )
    assert response.status_code == 302
    assert response.url == url("followup-detail", followup)
    followup.refresh_from_db()
    assert followup.status == Status.COMPLETED
    assert followup.outcome == Outcome.REACHED_NEEDS_HELP
    assert followup.notes == "Wants a ride." and followup.completed_by == navigator_a
    [event] = updates_of(followup)
    assert event.changes["status"] == ["scheduled", "completed"]
    page = client.get(response.url).text
    assert "Reached, needs more help" in page and "Wants a ride." in page
    assert "Complete follow-up" not in page  # closed: no more actions


def test_complete_without_outcome_is_a_field_error(client, navigator_a, followup):
    client.force_login(navigator_a)
    response = client.post(
        url("followup-complete", followup),
        {"complete-outcome": "", "complete-notes": "Typed, not lost."},
    )
    assert response.status_code == 200
    form = response.context["forms"]["complete"]
    assert form.errors["outcome"] == ["Choose how the follow-up went."]
    assert "Typed, not lost." in response.text
    assert Followup.objects.get().status == Status.SCHEDULED


def test_completing_a_cancelled_one_is_a_clear_409(client, navigator_a, followup):
    services.followup_cancel(by=navigator_a, followup=followup, reason="Moved away")
    client.force_login(navigator_a)
    response = client.post(
        url("followup-complete", followup),
        {"complete-outcome": "reached", "complete-notes": "My notes"},
    )
    assert response.status_code == 409
    assert "Cannot complete a follow-up that is cancelled." in response.text
    assert 'role="alert"' in response.text
    assert "My notes" in response.text  # what was typed is still there
    assert "so nothing was saved" in response.text
    assert "Reschedule" not in response.text  # no actions on a closed one
    followup.refresh_from_db()
    assert followup.status == Status.CANCELLED


def test_a_call_written_up_later_keeps_when_it_happened(client, navigator_a, followup):
    client.force_login(navigator_a)
    page = client.get(url("followup-detail", followup)).text
    assert "When (leave blank for now)" in page
    yesterday = timezone.localtime(timezone.now(), LA) - datetime.timedelta(days=1)
    typed = yesterday.replace(hour=18, minute=5, second=0, microsecond=0)
    response = client.post(
        url("followup-complete", followup),
        {
            "complete-outcome": "reached",
            "complete-completed_at": typed.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302
    followup.refresh_from_db()
    assert followup.completed_at == typed  # the wall clock of the program (LA)
    page = client.get(response.url).text
    assert typed.strftime("%-d %b %Y, 18:05") in page


@pytest.mark.parametrize(
    "days, message",
    [
        (-40, "Give a time within the last 30 days."),
        (2, "That time is in the future."),
    ],
)
def test_when_it_happened_out_of_bounds_is_a_field_error(
    client, navigator_a, followup, days, message
):
    client.force_login(navigator_a)
    typed = timezone.localtime(timezone.now(), LA) + datetime.timedelta(days=days)
    response = client.post(
        url("followup-missed", followup),
        {
            "missed-notes": "Kept when refused.",
            "missed-completed_at": typed.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 200
    assert response.context["forms"]["missed"].errors["completed_at"] == [message]
    assert "Kept when refused." in response.text
    followup.refresh_from_db()
    assert followup.status == Status.SCHEDULED


def test_mark_missed(client, navigator_a, followup):
    client.force_login(navigator_a)
    response = client.post(
        url("followup-missed", followup), {"missed-notes": "Not at the camp."}
    )
    assert response.status_code == 302
    followup.refresh_from_db()
    assert followup.status == Status.MISSED and followup.notes == "Not at the camp."
    assert updates_of(followup)[0].changes["status"] == ["scheduled", "missed"]
    # Its pending reminder will not go out.
    assert not Reminder.objects.filter(
        followup=followup, status=ReminderStatus.PENDING
    ).exists()


def test_cancel_needs_a_reason_from_the_service(client, navigator_a, followup):
    client.force_login(navigator_a)
    response = client.post(url("followup-cancel", followup), {"cancel-reason": " "})
    assert response.status_code == 200
    assert response.context["forms"]["cancel"].errors["reason"] == [
        "Say why the follow-up is cancelled."
    ]
    assert response.context["open_action"] == "cancel"
    assert "<details" in response.text and "open>" in response.text
    response = client.post(
        url("followup-cancel", followup), {"cancel-reason": "Duplicate"}
    )
    assert response.status_code == 302
    followup.refresh_from_db()
    assert followup.status == Status.CANCELLED
    assert followup.cancelled_reason == "Duplicate"
    assert updates_of(followup)[0].reason == "Duplicate"


def test_reschedule_reads_the_program_zone(client, navigator_a, followup):
    client.force_login(navigator_a)
    new_local = (timezone.now() + datetime.timedelta(days=3)).astimezone(LA)
    typed = new_local.strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        url("followup-reschedule", followup),
        {"reschedule-due_at": typed, "reschedule-reason": "Asked for Friday"},
    )
    assert response.status_code == 302
    followup.refresh_from_db()
    assert followup.due_at == new_local.replace(second=0, microsecond=0)
    [event] = updates_of(followup)
    assert "due_at" in event.changes and event.reason == "Asked for Friday"


def test_reschedule_far_away_is_a_field_error(client, navigator_a, followup):
    client.force_login(navigator_a)
    response = client.post(
        url("followup-reschedule", followup), {"reschedule-due_at": "9999-12-31T23:00"}
    )
    assert response.status_code == 200
    assert "within 5 years" in str(
        response.context["forms"]["reschedule"].errors["due_at"]
    )


def test_reassign_to_a_colleague_only(
    client, navigator_a, navigator_b, program_a, followup
):
    colleague = member(program_a, Role.CASEWORKER, first_name="Cam", last_name="Lee")
    client.force_login(navigator_a)
    page = client.get(url("followup-detail", followup)).text
    assert "Cam Lee" in page and navigator_b.get_full_name() not in page
    refused = client.post(
        url("followup-reassign", followup), {"reassign-assigned_to": navigator_b.pk}
    )
    assert refused.status_code == 200
    assert "assigned_to" in refused.context["forms"]["reassign"].errors
    response = client.post(
        url("followup-reassign", followup), {"reassign-assigned_to": colleague.pk}
    )
    assert response.status_code == 302
    followup.refresh_from_db()
    assert followup.assigned_to == colleague
    assert updates_of(followup)[0].changes["assigned_to_id"] == [
        navigator_a.pk,
        colleague.pk,
    ]


def test_actions_are_post_only(client, navigator_a, followup):
    client.force_login(navigator_a)
    assert client.get(url("followup-complete", followup)).status_code == 405


def test_next_goes_back_only_to_this_site(client, navigator_a, person):
    client.force_login(navigator_a)
    one = schedule(navigator_a, person=person)
    two = schedule(navigator_a, person=person)
    back = client.post(
        url("followup-complete", one), {"complete-outcome": "reached", "next": "/"}
    )
    assert back.url == "/"
    away = client.post(
        url("followup-complete", two),
        {"complete-outcome": "reached", "next": "https://evil.example/"},
    )
    assert away.url == url("followup-detail", two)


# --- managers see the reminders ----------------------------------------------


def test_managers_see_reminders_others_do_not(client, navigator_a, manager_a, followup):
    client.force_login(navigator_a)
    assert (
        "Reminders and deliveries"
        not in client.get(url("followup-detail", followup)).text
    )
    client.force_login(manager_a)
    response = client.get(url("followup-detail", followup))
    assert "Reminders and deliveries" in response.text
    assert "Due soon (to the navigator)" in response.text
    assert len(response.context["reminders"]) == 1


# --- attempts and undo (issue 8) ---------------------------------------------


def test_record_a_try_from_the_page(client, navigator_a, followup):
    client.force_login(navigator_a)
    page = client.get(url("followup-detail", followup)).text
    assert "Tries without reaching anyone" in page and "None yet." in page
    assert "Left a message" in page  # a choice of the attempt form
    response = client.post(
        url("followup-attempt", followup),
        {
            "attempt-outcome": "left_message",
            "attempt-method": "text",
            "attempt-note": "Sent the clinic's number.",
        },
    )
    assert response.status_code == 302
    followup.refresh_from_db()
    assert followup.status == Status.SCHEDULED
    page = client.get(response.url).text
    assert "Attempt recorded" in page and "stays open" in page
    assert "Sent the clinic&#x27;s number." in page
    assert "Text message" in page and "Next try:" in page
    assert "After 3 tries the program" in page


def test_the_complete_form_offers_only_closing_outcomes(client, navigator_a, followup):
    client.force_login(navigator_a)
    form = client.get(url("followup-detail", followup)).context["forms"]["complete"]
    offered = {value for value, _ in form.fields["outcome"].choices}
    assert "reached" in offered and "declined" in offered
    assert not offered & {"no_answer", "left_message"}


def test_a_try_without_outcome_is_a_field_error(client, navigator_a, followup):
    client.force_login(navigator_a)
    response = client.post(url("followup-attempt", followup), {"attempt-note": "?"})
    assert response.status_code == 200
    assert "outcome" in response.context["forms"]["attempt"].errors
    assert response.context["open_action"] == "attempt"
    assert not followup.attempts.exists()


def test_escalated_after_the_limit_shows_on_the_page(client, navigator_a, followup):
    for _ in range(3):
        services.followup_attempt(
            by=navigator_a, followup=followup, method="", outcome="no_answer"
        )
    client.force_login(navigator_a)
    page = client.get(url("followup-detail", followup)).text
    assert "Managers told: 3 unanswered tries" in page
    assert "were told after 3 tries" in page


def test_undo_a_mis_tapped_completion(client, navigator_a, followup):
    client.force_login(navigator_a)
    client.post(url("followup-complete", followup), {"complete-outcome": "reached"})
    page = client.get(url("followup-detail", followup)).text
    assert "Undo: reopen the follow-up" in page
    response = client.post(url("followup-undo", followup))
    assert response.status_code == 302
    followup.refresh_from_db()
    assert followup.status == Status.SCHEDULED
    page = client.get(response.url).text
    assert "is open again" in page and "Undo: reopen" not in page
    assert "Complete follow-up" in page


def test_no_undo_button_for_others_or_later(client, navigator_a, program_a, followup):
    services.followup_complete(by=navigator_a, followup=followup, outcome="reached")
    colleague = member(program_a, Role.NAVIGATOR)
    client.force_login(colleague)
    assert "Undo: reopen" not in client.get(url("followup-detail", followup)).text
    response = client.post(url("followup-undo", followup), follow=True)
    assert "Only the person who closed it can undo that." in response.text
    followup.refresh_from_db()
    assert followup.status == Status.COMPLETED
    Followup.objects.filter(pk=followup.pk).update(
        closed_at=timezone.now() - datetime.timedelta(minutes=11)
    )
    client.force_login(navigator_a)
    assert "Undo: reopen" not in client.get(url("followup-detail", followup)).text
