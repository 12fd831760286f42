"""Reads of follow-ups and reminders, scoped to the user's programs."""

from __future__ import annotations

import datetime

from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from cases.models import Encounter, FamilyContact, Person
from cases.selectors import deleted_people
from followups.models import (
    CalendarFeed,
    Delivery,
    DeliveryStatus,
    Followup,
    FollowupPlanStep,
    FollowupSettings,
    NotificationPreference,
    Reminder,
    Status,
)
from navigator.errors import NotFound
from navigator.models import Program, Role, User
from navigator.selectors import program_ids_for


def followup_settings_for(*, program: Program) -> FollowupSettings:
    config, _ = FollowupSettings.objects.get_or_create(program=program)
    return config


def followup_list_for(*, user: User) -> QuerySet[Followup]:
    return (
        Followup.objects.filter(program_id__in=program_ids_for(user=user))
        .exclude(person__in=deleted_people())
        .select_related("person", "program", "assigned_to", "contact", "encounter")
    )


def followup_get_for(*, user: User, followup_id: int | str) -> Followup:
    try:
        return followup_list_for(user=user).get(pk=int(followup_id))
    except (Followup.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such follow-up.") from None


def followup_list_for_person(*, person: Person) -> QuerySet[Followup]:
    return person.followups.select_related("assigned_to", "contact", "completed_by")


def followups_today_for(*, user: User, now: datetime.datetime | None = None) -> dict:
    """The navigator's follow-ups: overdue, due today, upcoming 7 days."""
    now = now or timezone.now()
    today_end = timezone.localtime(now).replace(
        hour=0, minute=0, second=0, microsecond=0
    ) + datetime.timedelta(days=1)
    open_ = followup_list_for(user=user).filter(
        assigned_to=user, status=Status.SCHEDULED
    )
    rows = list(open_.filter(due_at__lt=today_end + datetime.timedelta(days=7)))
    return {
        "overdue": [f for f in rows if f.due_at < now],
        "today": [f for f in rows if now <= f.due_at < today_end],
        "upcoming": [f for f in rows if f.due_at >= today_end],
    }


def overdue_by_navigator_for_manager(
    *, user: User, now: datetime.datetime | None = None
) -> list[dict]:
    """Per assigned navigator: how many open follow-ups are overdue, oldest due."""
    now = now or timezone.now()
    managed = program_ids_for(user=user, roles=(Role.PROGRAM_MANAGER,))
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
    managed = program_ids_for(user=user, roles=(Role.PROGRAM_MANAGER,))
    return followup_list_for(user=user).filter(
        program_id__in=managed, status=Status.SCHEDULED, due_at__lt=timezone.now()
    )


def delivery_list_for_manager(*, user: User) -> QuerySet[Delivery]:
    managed = program_ids_for(user=user, roles=(Role.PROGRAM_MANAGER,))
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
        program_id__in=program_ids_for(user=user),
    ).order_by("due_at")


def staff_can_see_followup(*, user: User, followup: Followup) -> bool:
    return followup.program_id in program_ids_for(user=user)


def assignable_users_for(*, program: Program) -> QuerySet[User]:
    return User.objects.filter(
        is_active=True,
        memberships__program=program,
        memberships__is_active=True,
        memberships__role__in=(Role.NAVIGATOR, Role.CASEWORKER, Role.PROGRAM_MANAGER),
    ).distinct()


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


def followup_get_detailed_for(*, user: User, followup_id: int | str) -> Followup:
    """One follow-up with who closed it (its page shows that)."""
    try:
        return followup_list_detailed_for(user=user).get(pk=int(followup_id))
    except (Followup.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound("No such follow-up.") from None


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
    managed = program_ids_for(user=user, roles=(Role.PROGRAM_MANAGER,))
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
    managed = program_ids_for(user=user, roles=(Role.PROGRAM_MANAGER,))
    try:
        return FollowupPlanStep.objects.select_related("program").get(
            pk=int(step_id), program_id__in=managed
        )
    except (FollowupPlanStep.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound("No such plan step.") from None


def notification_preference_for(*, user: User) -> NotificationPreference:
    """The user's preference, or the default (email) if never set."""
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
