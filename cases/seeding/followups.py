"""The demo follow-ups step (``followups_seed``): once, the demo staff get
follow-ups - overdue, later today, coming up and some closed - scheduled
through the follow-up services like real ones (validated, audited, reminders
planned)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from cases.models import Encounter, FamilyContact, Person
from cases.seeding.encounters import ONE_DAY
from cases.seeding.specs import PROGRAMS
from cases.seeding.vocabulary import _words
from followups.models import Method, Outcome, Priority, Status
from followups.selectors import followup_settings_for, person_reminder_possible
from followups.services import (
    COMPLETED_AT_MAX_AGE,
    due_in_days,
    followup_attempt,
    followup_cancel,
    followup_complete,
    followup_mark_missed,
    followup_schedule,
)
from navigator.context import request_id_var, source_var
from navigator.models import AuditAction, AuditEvent, Program, Role, User
from navigator.progress import Progress

# AuditEvent.object_type of the record that the follow-up step has run.
FOLLOWUPS_MARKER = "seed_followups"
# Follow-ups go to the people of this many latest identified encounters of
# each program (fewer people: some are met more than once).
FOLLOWUP_POOL = 200
# A follow-up is linked to the person's last encounter before it was due, if
# that encounter is this recent (older visits are not what it is about).
FOLLOWUP_LINK_WITHIN = datetime.timedelta(days=30)
# Wall-clock times for "later today"; after the last of them has passed, the
# rest of the day is shared out evenly.
TODAY_TIMES = tuple(
    map(
        datetime.time.fromisoformat,
        _words("09:00 10:30 12:00 13:30 15:00 16:30 18:00 19:30 21:00"),
    )
)
# Who is assigned demo follow-ups (the managers schedule some for them).
FOLLOWING_UP = (Role.NAVIGATOR, Role.CASEWORKER)


@dataclass(frozen=True)
class FollowupSeed:
    """One demo follow-up, relative to today in the program's time zone."""

    days: int  # local days from today: < 0 past (overdue or history), 0 later today
    at: datetime.time | None  # local time; None: one of the rest of today's slots
    purpose: str
    method: str = Method.PHONE  # phone and text need a number, else in person
    priority: str = Priority.ROUTINE
    family: bool = False  # with a family contact the person agreed we contact
    remind_person: bool = False  # text the person too, if they agreed to texts
    by_manager: bool = False  # scheduled for the assignee by the program manager
    escalated: bool = False  # ``days`` is the program's escalation delay + 1
    close: str = ""  # a Status, reached through the services after scheduling
    outcome: str = ""  # of a completed one
    # Unanswered tries (AttemptOutcome values), recorded before any closing:
    # the follow-up stays open, due again after the program's retry time.
    tries: tuple[str, ...] = ()
    note: str = ""  # completion / missed notes, or why it was cancelled


def _t(hour: int, minute: int = 0) -> datetime.time:
    return datetime.time(hour, minute)


# The demo navigator's own list: every part of Today and of the manager's
# overdue page has something in it. Purposes are plain, with no health detail.
NAVIGATOR_FOLLOWUPS = (
    # Overdue: one by more than the escalation delay, the rest by 1-4 days.
    FollowupSeed(
        0, _t(9, 30), "Check in after crisis visit", Method.IN_PERSON,
        Priority.URGENT, escalated=True,
    ),
    FollowupSeed(
        -1, _t(15), "Check in after crisis visit", priority=Priority.URGENT,
        tries=(Outcome.NO_ANSWER,),
    ),
    FollowupSeed(
        -2, _t(10, 30), "Check that they got to the shelter bed", Method.IN_PERSON
    ),
    FollowupSeed(-4, _t(11), "Update family on next steps", family=True),
    # Later today.
    FollowupSeed(0, None, "Confirm intake appointment at clinic", Method.TEXT),
    FollowupSeed(0, None, "Check in after crisis visit", priority=Priority.URGENT),
    FollowupSeed(0, None, "Drop off bus pass and resource list", Method.IN_PERSON),
    # The next seven days.
    FollowupSeed(1, _t(9, 30), "Update family on next steps", family=True),
    FollowupSeed(2, _t(10), "Check in at the usual spot", Method.IN_PERSON),
    FollowupSeed(
        3, _t(13, 30), "Confirm ride to the appointment", Method.TEXT,
        remind_person=True,
    ),
    FollowupSeed(4, _t(11), "Weekly check-in", by_manager=True),
    FollowupSeed(
        5, _t(15), "Help with the housing application", Method.IN_PERSON,
        Priority.URGENT,
    ),
    FollowupSeed(6, _t(10, 30), "Return call about replacing lost ID"),
    # Further out.
    FollowupSeed(14, _t(10), "Two-week check-in"),
    FollowupSeed(30, _t(11), "One-month check-in", family=True),
    # History: closed through the services, so the person's page and the
    # audit trail show outcomes.
    FollowupSeed(
        -6, _t(10), "Check in after crisis visit",
        close=Status.COMPLETED, outcome=Outcome.REACHED,
        note="Doing OK; has the clinic's number.",
    ),
    FollowupSeed(
        -8, _t(14), "Update family on next steps", family=True,
        close=Status.COMPLETED, outcome=Outcome.REACHED_NEEDS_HELP,
        note="Family asked for the support group list; sent it.",
    ),
    FollowupSeed(
        -10, _t(11), "Check that they got to the shelter bed", Method.IN_PERSON,
        close=Status.MISSED, note="Not at the shelter or the usual spot.",
    ),
    FollowupSeed(
        -12, _t(9, 30), "Confirm intake appointment at clinic", Method.TEXT,
        close=Status.COMPLETED, outcome=Outcome.REACHED,
        note="Confirmed the appointment time by text.",
    ),
    FollowupSeed(
        3, _t(16), "Weekly check-in",
        close=Status.CANCELLED, note="Scheduled twice; the other one covers it.",
    ),
)  # fmt: skip

# Everyone else who follows up (navigators, caseworkers): a handful each, so
# the manager's page has a row per person and several overdue follow-ups.
TEAM_FOLLOWUPS = (
    FollowupSeed(-1, _t(10), "Check in after crisis visit"),
    FollowupSeed(
        -3, _t(14, 30), "Check that they got to the shelter bed", Method.IN_PERSON
    ),
    FollowupSeed(0, None, "Confirm intake appointment at clinic", Method.TEXT),
    FollowupSeed(2, _t(15), "Update family on next steps", family=True),
    FollowupSeed(
        5, _t(11, 30), "Check in at the usual spot", Method.IN_PERSON,
        Priority.URGENT, by_manager=True,
    ),
    FollowupSeed(21, _t(10), "Three-week check-in"),
    FollowupSeed(
        -7, _t(10), "Check in after crisis visit",
        close=Status.COMPLETED, outcome=Outcome.REACHED, note="Doing OK.",
    ),
)  # fmt: skip


@dataclass
class _Candidate:
    """A person whom the demo follow-ups may be for."""

    person: Person
    seen_by: int | None  # who logged their latest encounter
    contacts: list[FamilyContact]  # those the person agreed we may contact
    texts: bool  # they agreed to reminder texts and have a number
    uses: int = 0


def followups_seed(
    *, seed: int, now: datetime.datetime, progress: Progress
) -> tuple[int, int, dict[str, dict[str, int]]]:
    """Schedule the demo follow-ups, once.

    Through the follow-up services, as staff would: each is validated,
    audited on the person's trail and gets its reminders planned; some are
    then completed, marked missed or cancelled. Times are relative to ``now``
    in each program's zone. Returns (follow-ups the seed has scheduled,
    added by this call, per program the statuses of those added).

    Once: the step records itself with one audit event (FOLLOWUPS_MARKER) in
    its own transaction, and does nothing when that event exists. The audit
    log is append-only, so the mark cannot be edited away, and follow-ups that
    people scheduled by hand in a demo program (say after an older seed
    without this step) neither stop it nor are counted as the seed's. A
    purpose prefix or notes text would show on every page. A bigger
    ``--people`` later adds no follow-ups: the set is sized for the pages, not
    for the data. Until there are identified encounters to follow up, nothing
    is recorded, so the first run that has some schedules the set.
    """
    with transaction.atomic():
        # Locked, so two seeds at once cannot both find no mark (PostgreSQL;
        # SQLite's write transactions are serial anyway).
        demo = Program.objects.select_for_update().get(slug=PROGRAMS[0].slug)
        marker = (
            AuditEvent.objects.filter(object_type=FOLLOWUPS_MARKER, program=demo)
            .order_by("id")
            .first()
        )
        if marker is not None:
            return int(marker.changes.get("followups", [0, 0])[1]), 0, {}
        statuses = _followups_schedule(now=now, progress=progress)
        added = sum(sum(counts.values()) for counts in statuses.values())
        if added:
            AuditEvent.objects.create(
                actor=None,
                action=AuditAction.CREATE,
                object_type=FOLLOWUPS_MARKER,
                object_id=str(seed),
                program=demo,
                changes={"followups": [0, added]},
                reason="seed_demo: demo follow-ups, scheduled through the "
                "follow-up services (each audited on its own)",
                request_id=request_id_var.get(),
                source=source_var.get() or "command",
            )
    return added, added, statuses


def _followups_schedule(
    *, now: datetime.datetime, progress: Progress
) -> dict[str, dict[str, int]]:
    programs = {
        p.slug: p for p in Program.objects.filter(slug__in=[s.slug for s in PROGRAMS])
    }
    users = {
        u.username: u
        for u in User.objects.filter(
            username__in=[u[0] for spec in PROGRAMS for u in spec.users]
        )
    }
    work = []
    for spec in PROGRAMS:
        team = [name for name, role, *_ in spec.users if role in FOLLOWING_UP]
        for i, name in enumerate(team):
            plan = NAVIGATOR_FOLLOWUPS if name == "navigator" else TEAM_FOLLOWUPS
            work.append((spec, users[name], i, plan))
    statuses: dict[str, dict[str, int]] = {}
    pools: dict[str, list[_Candidate]] = {}
    total = sum(len(plan) for *_, plan in work)
    with progress.phase("follow-ups", total=total, unit="follow-ups") as bar:
        for spec, user, index, plan in work:
            program = programs[spec.slug]
            if spec.slug not in pools:
                pools[spec.slug] = _followup_candidates(program, now)
            pool = pools[spec.slug]
            if pool:
                manager = next(
                    (
                        users[name]
                        for name, role, *_ in spec.users
                        if role == Role.PROGRAM_MANAGER
                    ),
                    user,
                )
                counts = statuses.setdefault(spec.slug, {})
                for status in _followups_for(
                    program, user, index, plan, pool, manager, now
                ):
                    counts[status] = counts.get(status, 0) + 1
            bar.update(len(plan))
    return statuses


def _followup_candidates(program: Program, now: datetime.datetime) -> list[_Candidate]:
    """The people of the program's latest identified encounters, latest first."""
    recent = (
        Encounter.objects.filter(
            program=program,
            person__isnull=False,
            person__deleted_at__isnull=True,
            deleted_at__isnull=True,
            started_at__lte=now,
        )
        .select_related("person")
        .order_by("-started_at", "-id")[:FOLLOWUP_POOL]
    )
    people: dict[int, _Candidate] = {}
    for encounter in recent:
        if encounter.person_id not in people:
            person = encounter.person
            assert person is not None  # person__isnull=False above
            person.program = program  # the services read it: no query each
            people[person.pk] = _Candidate(
                person=person,
                seen_by=encounter.created_by_id,
                contacts=[],
                texts=person_reminder_possible(person=person),
            )
    # followup_contacts_for's rule, for the whole pool in one query; the
    # service refuses a contact without the person's agreement all the same.
    contacts = FamilyContact.objects.filter(
        person_id__in=list(people), may_contact=True, deleted_at__isnull=True
    ).order_by("person_id", "id")
    for contact in contacts:
        people[contact.person_id].contacts.append(contact)
    return list(people.values())


def _followups_for(
    program: Program,
    user: User,
    index: int,
    plan: Sequence[FollowupSeed],
    pool: list[_Candidate],
    manager: User,
    now: datetime.datetime,
) -> Iterator[str]:
    """Schedule (and close) one staff member's follow-ups; yields their statuses."""
    escalate = followup_settings_for(program=program).escalate_after_days
    today = iter(
        _later_today(program, now, sum(1 for s in plan if s.at is None), shift=index)
    )
    # Team members' times differ a little, so their rows do not line up.
    shift = datetime.timedelta(minutes=20 * index)
    for item in plan:
        if item.at is None:
            due_at = next(today)
        else:
            at = (datetime.datetime.combine(datetime.date.min, item.at) + shift).time()
            days = -(escalate + 1) if item.escalated else item.days
            due_at = due_in_days(program=program, days=days, at=at, now=now)
        # What the item needs (a contact, consent to texts) first, then one
        # follow-up per person while there are people, then someone with a
        # number for calls and texts, then people this user met.
        candidate = min(
            pool,
            # item bound now (ruff B023); mypy cannot type a lambda's defaults.
            key=lambda c, item=item: (  # type: ignore[misc]
                item.family and not c.contacts,
                item.remind_person and not c.texts,
                c.uses,
                item.method != Method.IN_PERSON and not c.person.phone,
                c.seen_by != user.pk,  # their own people first
            ),
        )
        candidate.uses += 1
        person = candidate.person
        contact = None
        if item.family and candidate.contacts:
            contact = candidate.contacts[candidate.uses % len(candidate.contacts)]
        method = item.method
        if method in (Method.PHONE, Method.TEXT) and not (contact or person).phone:
            method = Method.IN_PERSON
        encounter = (
            Encounter.objects.filter(
                person=person,
                deleted_at__isnull=True,
                started_at__lt=due_at,
                started_at__gte=due_at - FOLLOWUP_LINK_WITHIN,
            )
            .order_by("-started_at", "-id")
            .first()
        )
        followup = followup_schedule(
            by=manager if item.by_manager else user,
            person=person,
            due_at=due_at,
            method=method,
            assigned_to=user,
            contact=contact,
            purpose=item.purpose if contact or not item.family else "Weekly check-in",
            priority=item.priority,
            encounter=encounter,
            remind_person=item.remind_person and candidate.texts,
        )
        # History happened near its due time (as a navigator writing the call
        # up later would record it), not at the moment the seed ran.
        done_at = _done_at(due_at, now)
        for outcome in item.tries:
            followup = followup_attempt(
                by=user,
                followup=followup,
                method=method,
                outcome=outcome,
                at=done_at,
            ).followup
        if item.close == Status.COMPLETED:
            followup = followup_complete(
                by=user,
                followup=followup,
                outcome=item.outcome,
                notes=item.note,
                completed_at=done_at,
            )
        elif item.close == Status.MISSED:
            followup = followup_mark_missed(
                by=user, followup=followup, notes=item.note, completed_at=done_at
            )
        elif item.close == Status.CANCELLED:
            followup = followup_cancel(by=user, followup=followup, reason=item.note)
        yield followup.status


def _done_at(
    due_at: datetime.datetime, now: datetime.datetime
) -> datetime.datetime | None:
    """A quarter of an hour after it was due, if that is in the past and
    within the services' 30 days; otherwise now (None). A seed run with
    another ``now`` (tests) is checked against the real clock too."""
    done = due_at + datetime.timedelta(minutes=15)
    # A day inside the services' limit: the seed's own run takes time.
    oldest = timezone.now() - COMPLETED_AT_MAX_AGE + ONE_DAY
    if oldest < done < now:
        return done
    return None


def _later_today(
    program: Program, now: datetime.datetime, n: int, *, shift: int = 0
) -> list[datetime.datetime]:
    """``n`` due times between ``now`` and the program's local midnight."""
    if n <= 0:
        return []
    tz = program.tz
    day = now.astimezone(tz).date()
    soon = now + datetime.timedelta(minutes=30)
    later = [
        t
        for t in (datetime.datetime.combine(day, at, tzinfo=tz) for at in TODAY_TIMES)
        if t >= soon
    ]
    if len(later) >= n:
        step = len(later) // n
        return [later[(i * step + shift) % len(later)] for i in range(n)]
    midnight = datetime.datetime.combine(day + ONE_DAY, datetime.time(), tzinfo=tz)
    span = midnight - now
    return [now + span * (i + 1) / (n + 1) for i in range(n)]
