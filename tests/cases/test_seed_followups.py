"""seed_demo's follow-ups: every part of the demo navigator's Today and of the
managers' overdue page has something in it, made through the follow-up
services (validated, audited, reminders planned), and only once."""

from __future__ import annotations

import datetime
import io
import re
from collections import Counter
from typing import cast

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from cases import seeding
from cases.models import Encounter, FamilyContact
from followups import reminders, services
from followups.models import (
    Followup,
    Method,
    Priority,
    Reminder,
    ReminderKind,
    ReminderStatus,
    Status,
)
from followups.selectors import followup_settings_for, followups_today_for
from navigator.models import AuditAction, AuditEvent, Program, Role, User

PEOPLE, ENCOUNTERS = 60, 500


def seed(*args: str, people: int = PEOPLE, encounters: int = ENCOUNTERS) -> str:
    out = io.StringIO()
    call_command(
        "seed_demo",
        "--people",
        str(people),
        "--encounters",
        str(encounters),
        *args,
        stdout=out,
        stderr=io.StringIO(),
    )
    return out.getvalue()


def totals() -> dict[str, int]:
    return {
        "followups": Followup.objects.count(),
        "reminders": Reminder.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


@pytest.fixture
def seeded(db) -> str:
    return seed()


@pytest.fixture
def navigator(seeded) -> User:
    return User.objects.get(username="navigator")


def test_the_navigators_today_has_every_part(navigator, client):
    demo = Program.objects.get(slug="demo")
    client.force_login(navigator)
    response = client.get(reverse("today"))
    assert response.status_code == 200
    # The page's own buckets (its time zone is the program's)...
    shown = {k: len(v) for k, v in response.context["followups"].items()}
    # ... are the selector's in the program's zone.
    with timezone.override(demo.tz):
        buckets = followups_today_for(user=navigator)
    # Every value of TodayFollowups is a list of follow-ups.
    assert shown == {k: len(cast(list[Followup], v)) for k, v in buckets.items()}
    assert len(buckets["overdue"]) == 4
    assert 2 <= len(buckets["today"]) <= 3
    assert len(buckets["upcoming"]) >= 5

    now = timezone.now()
    escalate = followup_settings_for(program=demo).escalate_after_days
    late = sorted(now - f.due_at for f in buckets["overdue"])
    assert late[-1] > datetime.timedelta(days=escalate)  # the manager is told
    assert all(datetime.timedelta(0) < d < datetime.timedelta(days=5) for d in late)
    local_midnight = timezone.localtime(now, demo.tz).replace(
        hour=0, minute=0, second=0, microsecond=0
    ) + datetime.timedelta(days=1)
    assert all(now <= f.due_at < local_midnight for f in buckets["today"])

    scheduled = Followup.objects.filter(assigned_to=navigator, status=Status.SCHEDULED)
    assert scheduled.filter(due_at__gt=now + datetime.timedelta(days=8)).count() >= 2
    assert scheduled.filter(priority=Priority.URGENT).count() >= 2
    methods = set(scheduled.values_list("method", flat=True))
    assert {Method.PHONE, Method.IN_PERSON, Method.TEXT} <= methods
    assert scheduled.exclude(contact=None).exists()


def test_times_are_wall_clock_times_of_each_programs_zone(seeded):
    for username, plan in [
        ("navigator", seeding.NAVIGATOR_FOLLOWUPS),
        # The first of their team: no shift of their times.
        ("navigator-oncall", seeding.TEAM_FOLLOWUPS),
        ("navigator-crisis", seeding.TEAM_FOLLOWUPS),
    ]:
        user = User.objects.get(username=username)
        tz = user.memberships.get().program.tz
        # An unanswered try moves the due time on (the retry): those aside.
        local = Counter(
            timezone.localtime(f.due_at, tz).time()
            for f in Followup.objects.filter(assigned_to=user, attempts=None)
        )
        # All but the "later today" ones sit on the plan's local times.
        planned = Counter(
            item.at for item in plan if item.at is not None and not item.tries
        )
        assert local & planned == planned, username


def test_every_staff_member_has_a_handful(seeded):
    now = timezone.now()
    for spec in seeding.PROGRAMS:
        for username, role, *_ in spec.users:
            mine = Followup.objects.filter(assigned_to__username=username)
            if role not in (Role.NAVIGATOR, Role.CASEWORKER):
                assert not mine.exists(), username
                continue
            assert mine.count() >= 5, username
            assert {f.program.slug for f in mine} == {spec.slug}
            overdue = mine.filter(status=Status.SCHEDULED, due_at__lt=now)
            assert overdue.count() >= 2, username
    assert 40 <= Followup.objects.count() <= 150


def test_followups_are_for_people_met_recently(seeded):
    for program in Program.objects.all():
        recent = set(
            Encounter.objects.filter(program=program, person__isnull=False)
            .order_by("-started_at", "-id")
            .values_list("person_id", flat=True)[: seeding.FOLLOWUP_POOL]
        )
        people = set(
            Followup.objects.filter(program=program).values_list("person_id", flat=True)
        )
        assert people and people <= recent, program.slug
    followups = Followup.objects.select_related("encounter")
    for followup in followups:
        if followup.encounter is not None:
            assert followup.encounter.person_id == followup.person_id
            assert followup.encounter.started_at < followup.due_at
    # Linked where the person was met in the month before (the small seed
    # meets people rarely, so not always).
    assert followups.exclude(encounter=None).count() > followups.count() / 4


def test_reminders_are_planned_like_real_ones(seeded):
    now = timezone.now()
    upcoming = Followup.objects.filter(status=Status.SCHEDULED, due_at__gt=now)
    assert upcoming.count() >= 30
    planned = set(
        Reminder.objects.filter(
            kind=ReminderKind.DUE_SOON, status=ReminderStatus.PENDING
        ).values_list("followup_id", "recipient_user_id", "generation")
    )
    assert planned == set(upcoming.values_list("id", "assigned_to_id", "generation"))
    # The cancelled one's reminder went with it.
    cancelled = Followup.objects.get(status=Status.CANCELLED)
    assert cancelled.reminders.get().status == ReminderStatus.CANCELLED
    # A text to the person only where they agreed to texts.
    to_people = Reminder.objects.filter(kind=ReminderKind.PERSON)
    assert to_people.exists()
    for reminder in to_people.select_related("followup__person"):
        assert reminder.followup is not None
        person = reminder.followup.person
        assert reminder.followup.remind_person and person.sms_consent and person.phone


def test_the_overdue_escalate_to_the_manager(seeded):
    reminders.plan_escalations()
    manager = User.objects.get(username="manager")
    escalated = Reminder.objects.filter(
        kind=ReminderKind.ESCALATION, recipient_user=manager
    )
    assert escalated.filter(followup__assigned_to__username="navigator").exists()


def test_each_followup_is_audited(seeded):
    created = {
        int(event.object_id): event
        for event in AuditEvent.objects.filter(
            object_type="followups.followup", action=AuditAction.CREATE
        )
    }
    followups = list(Followup.objects.all())
    assert set(created) == {f.pk for f in followups}
    for followup in followups:
        event = created[followup.pk]
        assert event.actor_id == followup.created_by_id
        assert (event.person_id, event.program_id) == (
            followup.person_id,
            followup.program_id,
        )
        assert event.source == "command"
    # Some were scheduled by the manager for the navigator.
    assert Followup.objects.filter(
        created_by__username="manager", assigned_to__username="navigator"
    ).exists()


def test_an_unanswered_try_is_seeded_on_an_open_follow_up(navigator):
    tried = Followup.objects.filter(assigned_to=navigator).exclude(attempts=None)
    assert tried.count() == 1
    followup = tried.get()
    assert followup.status == Status.SCHEDULED
    attempt = followup.attempts.get()
    assert attempt.outcome == "no_answer" and attempt.attempted_by == navigator
    # Due again the program's retry time after the try.
    assert followup.due_at == attempt.attempted_at + datetime.timedelta(hours=4)


def test_history_is_closed_through_the_services(navigator):
    closed = Followup.objects.filter(assigned_to=navigator).exclude(
        status=Status.SCHEDULED
    )
    assert set(closed.values_list("status", flat=True)) == {
        Status.COMPLETED,
        Status.MISSED,
        Status.CANCELLED,
    }
    for followup in closed:
        closing = AuditEvent.objects.get(
            object_type="followups.followup",
            object_id=str(followup.pk),
            action=AuditAction.UPDATE,
        )
        assert closing.changes["status"] == [Status.SCHEDULED, followup.status]
        assert closing.actor_id == navigator.pk
        if followup.status == Status.COMPLETED:
            assert followup.outcome and followup.completed_by_id == navigator.pk
        if followup.status in (Status.COMPLETED, Status.MISSED):
            # Done near when it was due, not when the seed ran.
            assert followup.completed_at == followup.due_at + datetime.timedelta(
                minutes=15
            )
        if followup.status == Status.CANCELLED:
            assert followup.cancelled_reason


def test_only_contacts_who_may_be_contacted(seeded):
    with_contact = Followup.objects.exclude(contact=None).select_related("contact")
    assert with_contact.filter(assigned_to__username="navigator").count() >= 2
    for followup in with_contact:
        contact = followup.contact
        assert contact is not None
        assert contact.may_contact, contact.pk
        assert contact.person_id == followup.person_id
        assert contact.deleted_at is None
    # There were others to pick from: the seed chose.
    assert FamilyContact.objects.filter(may_contact=False).exists()


def test_managers_overdue_page_shows_the_seeded_rows(seeded, client):
    now = timezone.now()
    for spec in seeding.PROGRAMS:
        manager = next(
            name for name, role, *_ in spec.users if role == Role.PROGRAM_MANAGER
        )
        client.force_login(User.objects.get(username=manager))
        response = client.get(reverse("followup-overdue"))
        assert response.status_code == 200
        rows = {
            row["assigned_to__username"]: row["overdue"]
            for row in response.context["by_navigator"]
        }
        expected = Counter(
            Followup.objects.filter(
                program__slug=spec.slug, status=Status.SCHEDULED, due_at__lt=now
            ).values_list("assigned_to__username", flat=True)
        )
        assert rows == expected
        navigators = {name for name, role, *_ in spec.users if role == Role.NAVIGATOR}
        assert navigators <= set(rows)
        assert all(n >= 2 for n in rows.values())
        assert response.context["page_obj"].paginator.count == sum(expected.values())
    client.force_login(User.objects.get(username="manager"))
    assert "Maya Okafor" in client.get(reverse("followup-overdue")).text


def test_a_second_run_adds_no_followups(seeded):
    before = totals()
    out = seed()
    assert "nothing to add" in out
    assert totals() == before
    # Bigger numbers top up people and encounters, never the follow-ups.
    out = seed(people=PEOPLE + 20, encounters=ENCOUNTERS + 200)
    assert "(added 20 people, 200 encounters, 0 follow-ups," in out
    assert Followup.objects.count() == before["followups"]
    assert AuditEvent.objects.filter(object_type=seeding.FOLLOWUPS_MARKER).count() == 1


def test_the_summary_counts_them(db):
    out = seed("--verbosity", "2")
    n = Followup.objects.count()
    assert re.search(rf", {ENCOUNTERS} encounters, {n} follow-ups, ", out)
    for slug in ("demo", "demo-oncall", "demo-crisis"):
        statuses = Counter(
            Followup.objects.filter(program__slug=slug).values_list("status", flat=True)
        )
        line = ", ".join(f"{k} {v}" for k, v in sorted(statuses.items()))
        assert f"follow-ups in {slug}: {line}\n" in out
    again = seed()
    assert f", {n} follow-ups, " in again and "nothing to add" in again


def test_without_people_none_until_there_are(db):
    out = seed(people=0, encounters=0)
    assert ", 0 follow-ups, " in out
    assert not Followup.objects.exists()
    assert not AuditEvent.objects.filter(object_type=seeding.FOLLOWUPS_MARKER)
    seed()
    assert Followup.objects.count() >= 40


def test_hand_made_followups_do_not_stand_in_for_the_seeds(db, monkeypatch):
    # A database seeded before the seed made follow-ups, where someone then
    # scheduled one by hand: the next seed still adds its set.
    monkeypatch.setattr("cases.seeding.run.followups_seed", lambda **kwargs: (0, 0, {}))
    seed()
    navigator = User.objects.get(username="navigator")
    encounter = Encounter.objects.filter(
        program__slug="demo", person__isnull=False
    ).first()
    assert encounter is not None and encounter.person is not None
    services.followup_schedule(
        by=navigator,
        person=encounter.person,
        due_at=timezone.now() + datetime.timedelta(days=1),
        method=Method.PHONE,
    )
    monkeypatch.undo()
    out = seed()
    assert Followup.objects.count() > 40
    assert "(added 0 people, 0 encounters, " in out
