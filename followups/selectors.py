"""Reads of follow-ups and reminders, scoped to the user's programs."""

from __future__ import annotations

import datetime
from typing import Literal, TypedDict

from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from cases.models import Encounter, FamilyContact, Person
from cases.selectors import deleted_people
from followups.models import (
    UNDO_WINDOW,
    CalendarFeed,
    Delivery,
    DeliveryStatus,
    Followup,
    FollowupAttempt,
    FollowupPlanStep,
    FollowupSettings,
    NotificationPreference,
    Reminder,
    Status,
)
from navigator.errors import NotFound, PermissionDenied
from navigator.models import Program, User
from navigator.selectors import (
    managed_program_ids_for,
    program_access,
    staff_program_ids_for,
    staff_users_of,
)

# --- access: decided once for every front door (see cases.selectors) -------

FollowupAction = Literal[
    "view",
    "edit",
    "complete",
    "missed",
    "cancel",
    "reschedule",
    "reassign",
    "attempt",
    "undo",
]


def followup_access(*, user: User, followup: Followup, action: FollowupAction) -> None:
    """May ``user`` do ``action`` to ``followup``? Any staff of its program
    may do any of them (the team covers for one another); another program's
    follow-up, or one of a deleted person, is out of scope (NotFound)."""
    # A deleted person's follow-ups go with them (their name would show).
    if (
        followup.program_id not in staff_program_ids_for(user=user)
        or followup.person.is_deleted
    ):
        raise NotFound("No such follow-up.")


def reminders_access(*, user: User) -> None:
    """May ``user`` set how they are reminded (preferences, calendar feed)?
    Only staff get reminders; admins and partners hold no follow-ups."""
    if not staff_program_ids_for(user=user):
        raise PermissionDenied(
            "Reminders and the calendar feed are for a program's staff.",
            code="staff_only",
        )


def followup_settings_for(*, program: Program) -> FollowupSettings:
    """The program's settings, or unsaved defaults if none were saved yet: a
    read does not write (the row is written when a manager saves the
    settings, or by the reminder engine when the first follow-up is
    scheduled)."""
    config = FollowupSettings.objects.filter(program=program).first()
    return config or FollowupSettings(program=program)


def followup_list_for(*, user: User) -> QuerySet[Followup]:
    return (
        Followup.objects.filter(program_id__in=staff_program_ids_for(user=user))
        .exclude(person__in=deleted_people())
        .select_related("person", "program", "assigned_to", "contact", "encounter")
    )


def followup_get_for(
    *, user: User, followup_id: int | str, action: FollowupAction = "view"
) -> Followup:
    return _followup_get(
        Followup.objects.select_related(
            "person", "program", "assigned_to", "contact", "encounter"
        ),
        user=user,
        followup_id=followup_id,
        action=action,
    )


def _followup_get(
    qs: QuerySet[Followup],
    *,
    user: User,
    followup_id: int | str,
    action: FollowupAction,
) -> Followup:
    try:
        followup = qs.get(pk=int(followup_id))
    except (Followup.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound("No such follow-up.") from None
    followup_access(user=user, followup=followup, action=action)
    return followup


def followup_list_for_person(*, person: Person) -> QuerySet[Followup]:
    """A person's follow-ups, each with ``attempt_count`` (unanswered tries)."""
    return person.followups.select_related(
        "assigned_to", "contact", "completed_by"
    ).annotate(attempt_count=Count("attempts"))


class TodayFollowups(TypedDict):
    overdue: list[Followup]
    today: list[Followup]
    upcoming: list[Followup]
    # Closed by the user within the undo window: Today offers "Undo".
    just_closed: list[Followup]


def followups_today_for(
    *, user: User, now: datetime.datetime | None = None
) -> TodayFollowups:
    """The navigator's follow-ups: overdue, due today, upcoming 7 days (each
    with ``attempt_count``, its unanswered tries so far), and the ones they
    closed so recently that they may still undo it."""
    now = now or timezone.now()
    today_end = timezone.localtime(now).replace(
        hour=0, minute=0, second=0, microsecond=0
    ) + datetime.timedelta(days=1)
    # One query for both: the open ones of the next 7 days, and what the
    # user closed within the undo window.
    rows = list(
        followup_list_for(user=user)
        .filter(
            Q(
                assigned_to=user,
                status=Status.SCHEDULED,
                due_at__lt=today_end + datetime.timedelta(days=7),
            )
            | Q(
                completed_by=user,
                status__in=(Status.COMPLETED, Status.MISSED),
                closed_at__gte=now - UNDO_WINDOW,
            )
        )
        .annotate(attempt_count=Count("attempts"))
    )
    just_closed: list[Followup] = sorted(
        (f for f in rows if f.status != Status.SCHEDULED),
        key=lambda f: f.closed_at or now,
        reverse=True,
    )
    rows = [f for f in rows if f.status == Status.SCHEDULED]
    return {
        "overdue": [f for f in rows if f.due_at < now],
        "today": [f for f in rows if now <= f.due_at < today_end],
        "upcoming": [f for f in rows if f.due_at >= today_end],
        "just_closed": just_closed,
    }


def followup_attempts_for(*, followup: Followup) -> QuerySet[FollowupAttempt]:
    """A follow-up's unsuccessful tries, oldest first, with who made them."""
    return followup.attempts.select_related("attempted_by").order_by(
        "attempted_at", "id"
    )


def overdue_by_navigator_for_manager(
    *, user: User, now: datetime.datetime | None = None
) -> list[dict]:
    """Per assigned navigator: how many open follow-ups are overdue, oldest due."""
    now = now or timezone.now()
    managed = managed_program_ids_for(user=user)
    rows = (
        Followup.objects.filter(
            program_id__in=managed, status=Status.SCHEDULED, due_at__lt=now
        )
        .exclude(person__in=deleted_people())
        .values(
            "assigned_to",
            "assigned_to__first_name",
            "assigned_to__last_name",
            "assigned_to__username",
        )
        .annotate(overdue=Count("id"), oldest_due=Min("due_at"))
        .order_by("-overdue", "oldest_due")
    )
    return list(rows)


def overdue_followups_for_manager(*, user: User) -> QuerySet[Followup]:
    """Open follow-ups of the managed programs that are overdue, or escalated
    after the program's limit of unanswered tries (even if not yet due)."""
    managed = managed_program_ids_for(user=user)
    return followup_list_for(user=user).filter(
        Q(due_at__lt=timezone.now()) | Q(escalated_at__isnull=False),
        program_id__in=managed,
        status=Status.SCHEDULED,
    )


def delivery_list_for_manager(*, user: User) -> QuerySet[Delivery]:
    """For program managers only (PermissionDenied for anyone who manages
    no program, on the page and from the API alike)."""
    program_access(user=user)
    managed = managed_program_ids_for(user=user)
    return Delivery.objects.filter(reminder__program_id__in=managed).select_related(
        "reminder", "reminder__followup"
    )


def followup_plan_for(*, encounter: Encounter) -> list[FollowupPlanStep]:
    """The program's default follow-ups for this encounter's disposition."""
    return list(
        FollowupPlanStep.objects.filter(
            program_id=encounter.program_id, disposition=encounter.disposition
        ).order_by("days_after", "id")
    )


def followups_for_calendar(*, user: User) -> QuerySet[Followup]:
    """Open follow-ups assigned to the user, from 30 days back on."""
    since = timezone.now() - datetime.timedelta(days=30)
    return Followup.objects.filter(
        assigned_to=user,
        status=Status.SCHEDULED,
        due_at__gte=since,
        program_id__in=staff_program_ids_for(user=user),
    ).order_by("due_at")


def assignable_users_for(*, program: Program) -> QuerySet[User]:
    return staff_users_of(program_ids=[program.pk])


def open_followups_q() -> Q:
    return Q(status=Status.SCHEDULED)


def followup_list_detailed_for(*, user: User) -> QuerySet[Followup]:
    """``followup_list_for`` plus who closed each one, for lists that show it."""
    return followup_list_for(user=user).select_related("completed_by")


def overdue_followups_q(*, now: datetime.datetime | None = None) -> Q:
    """Still scheduled and past due: the one meaning of "overdue"."""
    return Q(status=Status.SCHEDULED, due_at__lt=now or timezone.now())


def overdue_followups(*, now: datetime.datetime | None = None) -> QuerySet[Followup]:
    """Every overdue follow-up, unscoped: for features above follow-ups that
    count them per person of a list they have already scoped (familiar faces)."""
    return Followup.objects.filter(overdue_followups_q(now=now))


def followup_is_overdue(
    followup: Followup, *, now: datetime.datetime | None = None
) -> bool:
    return followup.status == Status.SCHEDULED and followup.due_at < (
        now or timezone.now()
    )


# --- for the pages -----------------------------------------------------------


def followup_get_detailed_for(
    *, user: User, followup_id: int | str, action: FollowupAction = "view"
) -> Followup:
    """One follow-up with who closed it (its page shows that)."""
    return _followup_get(
        Followup.objects.select_related(
            "person", "program", "assigned_to", "contact", "encounter", "completed_by"
        ),
        user=user,
        followup_id=followup_id,
        action=action,
    )


def followup_list_for_encounter(
    *, user: User, encounter: Encounter
) -> QuerySet[Followup]:
    return followup_list_for(user=user).filter(encounter=encounter)


def followup_contacts_for(*, person: Person) -> QuerySet[FamilyContact]:
    """Whom a new follow-up may be with besides the person: their current
    contacts who the person agreed we may contact."""
    return person.family_contacts.filter(deleted_at__isnull=True, may_contact=True)


def person_reminder_possible(*, person: Person) -> bool:
    """Whether reminders may go to the person served: they agreed to texts
    and have a number to text (the reminder engine and the forms ask this)."""
    return bool(person.sms_consent and person.phone and not person.is_deleted)


def followup_reminders_for_manager(
    *, user: User, followup: Followup
) -> QuerySet[Reminder]:
    """The reminders of one follow-up and their deliveries, for its managers."""
    managed = managed_program_ids_for(user=user)
    return (
        Reminder.objects.filter(followup=followup, program_id__in=managed)
        .select_related("recipient_user")
        .prefetch_related("deliveries")
        .order_by("send_after", "id")
    )


def followup_plan_steps_for(*, program: Program) -> QuerySet[FollowupPlanStep]:
    return FollowupPlanStep.objects.filter(program=program).order_by(
        "disposition", "days_after", "id"
    )


def followup_plan_step_get_for_manager(
    *, user: User, step_id: int | str
) -> FollowupPlanStep:
    try:
        step = FollowupPlanStep.objects.select_related("program").get(pk=int(step_id))
    except (FollowupPlanStep.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound("No such plan step.") from None
    program_access(user=user, program_id=step.program_id)
    return step


def notification_preference_for(*, user: User) -> NotificationPreference:
    """The user's preference, or the default (email) if never set."""
    reminders_access(user=user)
    pref = NotificationPreference.objects.filter(user=user).first()
    return pref or NotificationPreference(user=user)


def calendar_feed_active_for(*, user: User) -> CalendarFeed | None:
    return (
        CalendarFeed.objects.filter(user=user, revoked_at__isnull=True)
        .order_by("-created_at")
        .first()
    )


def delivery_failed_count_for_manager(*, user: User) -> int:
    return (
        delivery_list_for_manager(user=user)
        .filter(status=DeliveryStatus.FAILED)
        .count()
    )
