"""Follow-ups on Today: overdue, due today, next 7 days; one tap to complete."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from followups import services
from followups.models import Followup, Outcome, Status
from navigator.models import AuditEvent, Role
from tests.factories import PersonFactory, member
from tests.followups.helpers import schedule

pytestmark = pytest.mark.django_db

# Session, user, memberships, the follow-ups (one query, everything joined,
# with the attempt counts and the ones just closed),
# the recent encounters' count, rows and responders, the user's referrals
# awaiting an answer, the audit insert, the session save (with savepoints).
# Not one more for more follow-ups.
TODAY_MAX_QUERIES = 10
LA = zoneinfo.ZoneInfo("America/Los_Angeles")  # the programs' zone (factories)


def local_midnight_after(days: int) -> datetime.datetime:
    """Local midnight ``days`` from today, in the program's (the page's) zone."""
    now = timezone.localtime(timezone.now(), LA)
    return now.replace(hour=0, minute=0, second=0, microsecond=0) + datetime.timedelta(
        days=days
    )


@pytest.fixture
def groups(navigator_a, program_a):
    person = PersonFactory(program=program_a, first_name="Dana", last_name="Okafor")
    return {
        "overdue": schedule(navigator_a, person=person, in_minutes=-180),
        "today": schedule(
            navigator_a,
            person=person,
            due_at=local_midnight_after(1) - datetime.timedelta(minutes=1),
        ),
        "upcoming": schedule(
            navigator_a, person=person, due_at=local_midnight_after(3)
        ),
        "later": schedule(navigator_a, person=person, due_at=local_midnight_after(9)),
    }


def test_today_shows_my_follow_ups_by_group(client, navigator_a, program_a, groups):
    colleague = member(program_a, Role.NAVIGATOR)
    theirs = schedule(colleague, in_minutes=30)
    client.force_login(navigator_a)
    response = client.get(reverse("today"))
    assert response.status_code == 200
    shown = response.context["followups"]
    assert [f.pk for f in shown["overdue"]] == [groups["overdue"].pk]
    assert [f.pk for f in shown["upcoming"]] == [groups["upcoming"].pk]
    # Just before local midnight is still "today" (unless that minute has
    # already passed while the test ran, in which case it is overdue).
    assert groups["today"].pk in [f.pk for f in shown["today"] + shown["overdue"]]
    html = response.text
    section = html.split('id="today-followups"', 1)[1].split("</section>", 1)[0]
    assert "Overdue" in section and "Next 7 days" in section
    # One one-tap form per follow-up shown.
    assert section.count('name="complete-outcome" value="reached"') == 3
    for f in (groups["overdue"], groups["upcoming"]):
        assert reverse("followup-detail", args=[f.pk]) in section
    assert reverse("followup-detail", args=[groups["later"].pk]) not in section
    assert reverse("followup-detail", args=[theirs.pk]) not in section


def test_one_tap_reached_completes_from_today(client, navigator_a, groups):
    client.force_login(navigator_a)
    overdue = groups["overdue"]
    html = client.get(reverse("today")).text
    assert 'name="complete-outcome" value="reached"' in html
    response = client.post(
        reverse("followup-complete", args=[overdue.pk]),
        {"complete-outcome": "reached", "next": "/#today-followups"},
    )
    assert response.status_code == 302 and response.url == "/#today-followups"
    overdue.refresh_from_db()
    assert (overdue.status, overdue.outcome) == (Status.COMPLETED, Outcome.REACHED)
    assert AuditEvent.objects.filter(
        object_type="followups.followup", object_id=str(overdue.pk), action="update"
    ).exists()
    after = client.get(reverse("today"))
    assert overdue.pk not in [f.pk for f in after.context["followups"]["overdue"]]
    assert "completed." in after.text  # the message
    # Just closed: offered for undo on Today, for a few minutes.
    assert [f.pk for f in after.context["followups"]["just_closed"]] == [overdue.pk]
    assert reverse("followup-undo", args=[overdue.pk]) in after.text


def test_one_tap_no_answer_keeps_it_open_and_due_again(client, navigator_a, groups):
    client.force_login(navigator_a)
    overdue = groups["overdue"]
    html = client.get(reverse("today")).text
    attempt_url = reverse("followup-attempt", args=[overdue.pk])
    assert f'formaction="{attempt_url}" name="attempt-outcome" value="no_answer"' in (
        html
    )
    before = timezone.now()
    response = client.post(
        attempt_url,
        {
            "attempt-outcome": "no_answer",
            "attempt-method": "phone",
            "next": "/#today-followups",
        },
    )
    assert response.status_code == 302 and response.url == "/#today-followups"
    overdue.refresh_from_db()
    assert overdue.status == Status.SCHEDULED and overdue.outcome == ""
    # The program's default: tried again 4 hours later.
    assert (
        before + datetime.timedelta(hours=4)
        <= overdue.due_at
        <= timezone.now() + datetime.timedelta(hours=4)
    )
    attempt = overdue.attempts.get()
    assert (attempt.outcome, attempt.attempted_by) == ("no_answer", navigator_a)
    after = client.get(reverse("today"))
    shown = after.context["followups"]
    assert overdue.pk not in [f.pk for f in shown["overdue"]]
    assert "stays open" in after.text
    assert "1 unanswered try · next try" in after.text


def test_no_answer_as_a_completion_is_refused_on_the_field(client, navigator_a, groups):
    client.force_login(navigator_a)
    overdue = groups["overdue"]
    response = client.post(
        reverse("followup-complete", args=[overdue.pk]),
        {"complete-outcome": "no_answer"},
    )
    assert response.status_code == 200
    assert "outcome" in response.context["forms"]["complete"].errors
    overdue.refresh_from_db()
    assert overdue.status == Status.SCHEDULED


def test_today_without_follow_ups_says_so(client, navigator_a):
    client.force_login(navigator_a)
    assert "No follow-ups due in the next 7 days." in client.get(reverse("today")).text


def test_admin_sees_no_follow_up_section(client, program_a):
    admin = member(program_a, Role.ADMIN)
    client.force_login(admin)
    html = client.get(reverse("today")).text
    assert "My follow-ups" not in html


@pytest.mark.parametrize("rows", [3, 30])
def test_today_with_follow_ups_query_count_is_flat(
    client, navigator_a, program_a, django_assert_max_num_queries, rows
):
    from cases.services import family_contact_add

    for i in range(rows):
        person = PersonFactory(program=program_a)
        contact = family_contact_add(
            by=navigator_a,
            person=person,
            data={"name": f"C{i}", "relationship": "sister", "may_contact": True},
        )
        followup = schedule(
            navigator_a,
            person=person,
            contact=contact if i % 2 else None,
            in_minutes=(i - rows // 2) * 60 * 5,
        )
        if i % 3 == 0:  # tried without an answer: still listed, with its count
            services.followup_attempt(
                by=navigator_a, followup=followup, method="", outcome="no_answer"
            )
        if i % 5 == 4:  # just completed: listed for undo
            services.followup_complete(
                by=navigator_a, followup=followup, outcome="reached"
            )
    client.force_login(navigator_a)
    with django_assert_max_num_queries(TODAY_MAX_QUERIES):
        response = client.get(reverse("today"))
    shown = response.context["followups"]
    assert sum(len(v) for v in shown.values()) == rows
    assert len(shown["just_closed"]) == rows // 5
    assert Followup.objects.count() == rows
