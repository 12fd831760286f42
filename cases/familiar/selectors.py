"""Reads for the familiar-faces list, the person chart and the outcome view.

All scoped to the user's programs; the list is read-only for navigators and
actionable for managers (the services check that).
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict

from django.db.models import (
    Count,
    DateTimeField,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from cases.familiar.evaluation import rule_encounters_q, window_for
from cases.models import (
    Concern,
    Disposition,
    Encounter,
    EnrollmentStatus,
    FamiliarFaceEnrollment,
    FamiliarFaceFlag,
    FamiliarFacesMonthEntry,
    FamiliarFacesRule,
    FlagStatus,
    Person,
)
from navigator.errors import NotFound
from navigator.models import Role, User
from navigator.selectors import program_ids_for


def _count_subquery(qs: QuerySet) -> Subquery:
    return Subquery(
        qs.order_by().values("person_id").annotate(n=Count("id")).values("n")[:1],
        output_field=IntegerField(),
    )


def familiar_faces_for(
    *, user: User, now: datetime.datetime | None = None
) -> QuerySet[FamiliarFaceFlag]:
    """People on the list (active flags) in the user's programs."""
    from followups.models import Followup, Status

    now = now or timezone.now()
    encounters = Encounter.objects.filter(
        person_id=OuterRef("person_id"), deleted_at__isnull=True
    )
    overdue = Followup.objects.filter(
        person_id=OuterRef("person_id"), status=Status.SCHEDULED, due_at__lt=now
    )
    return (
        FamiliarFaceFlag.objects.filter(
            program_id__in=program_ids_for(user=user),
            status=FlagStatus.ACTIVE,
            person__deleted_at__isnull=True,
        )
        .select_related("person", "rule", "rule__program", "program")
        .annotate(
            last_contact=Subquery(
                encounters.order_by()
                .values("person_id")
                .annotate(m=Max("started_at"))
                .values("m")[:1],
                output_field=DateTimeField(),
            ),
            overdue_followups=Coalesce(_count_subquery(overdue), Value(0)),
        )
        .order_by("-encounter_count", "person__last_name", "person__first_name", "id")
    )


def familiar_face_get_for(*, user: User, flag_id: int | str) -> FamiliarFaceFlag:
    try:
        return FamiliarFaceFlag.objects.select_related("person", "rule").get(
            pk=int(flag_id), program_id__in=program_ids_for(user=user)
        )
    except (FamiliarFaceFlag.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such flag.") from None


def familiar_faces_rows(
    flags: list[FamiliarFaceFlag], now: datetime.datetime | None = None
) -> list[dict]:
    """Everything a row of the list shows, for one page of flags.

    A fixed number of queries for the page (plus one per distinct rule on
    it, for the previous window), whatever its size.
    """
    now = now or timezone.now()
    if not flags:
        return []
    person_ids = {f.person_id for f in flags}
    enrollments = {
        e.person_id: e
        for e in FamiliarFaceEnrollment.objects.filter(
            person_id__in=person_ids, status=EnrollmentStatus.ACTIVE
        ).select_related("navigator")
    }
    encounter_ids = {pk for f in flags for pk in f.encounter_ids}
    details = {
        row["id"]: row
        for row in Encounter.objects.filter(pk__in=encounter_ids).values(
            "id", "concerns", "disposition"
        )
    }
    previous = _previous_window_counts(flags, now)
    concern_label = dict(Concern.choices)
    disposition_label = dict(Disposition.choices)
    rows = []
    for flag in flags:
        concerns: Counter[str] = Counter()
        dispositions: Counter[str] = Counter()
        for pk in flag.encounter_ids:
            detail = details.get(pk)
            if detail:
                concerns.update(detail["concerns"] or [])
                dispositions[detail["disposition"]] += 1
        prev = previous.get((flag.rule_id, flag.person_id), 0)
        enrollment = enrollments.get(flag.person_id)
        rows.append(
            {
                "flag": flag,
                "person": flag.person,
                "rule": flag.rule,
                "reason": f"{flag.encounter_count} encounters in {flag.rule.window_days}"
                f" days (rule: {flag.rule.describe()})",
                "contacts": flag.encounter_count,
                "previous_contacts": prev,
                "trend": "up"
                if flag.encounter_count > prev
                else "down"
                if flag.encounter_count < prev
                else "same",
                "last_contact": getattr(flag, "last_contact", None),
                "top_concerns": [
                    concern_label.get(c, c) for c, _ in concerns.most_common(3)
                ],
                "dispositions": [
                    disposition_label.get(d, d) for d, _ in dispositions.most_common(3)
                ],
                "overdue_followups": getattr(flag, "overdue_followups", 0),
                "enrollment": enrollment,
                "navigator": enrollment.navigator if enrollment else None,
                "enrollment_status": "enrolled" if enrollment else "not enrolled",
            }
        )
    return rows


def _previous_window_counts(
    flags: list[FamiliarFaceFlag], now: datetime.datetime
) -> dict[tuple[int, int], int]:
    by_rule: dict[int, list[FamiliarFaceFlag]] = defaultdict(list)
    for flag in flags:
        by_rule[flag.rule_id].append(flag)
    counts: dict[tuple[int, int], int] = {}
    for rule_flags in by_rule.values():
        rule = rule_flags[0].rule
        window = window_for(rule, now)
        start = window.start - (window.end - window.start)
        rows = (
            Encounter.objects.filter(
                rule_encounters_q(rule),
                person_id__in=[f.person_id for f in rule_flags],
                started_at__gte=start,
                started_at__lt=window.start,
            )
            .order_by()
            .values("person_id")
            .annotate(n=Count("id"))
        )
        for row in rows:
            counts[(rule.pk, row["person_id"])] = row["n"]
    return counts


def familiar_faces_rules_for(*, user: User) -> QuerySet[FamiliarFacesRule]:
    return FamiliarFacesRule.objects.filter(
        program_id__in=program_ids_for(user=user)
    ).select_related("program")


def person_flags(*, person: Person) -> QuerySet[FamiliarFaceFlag]:
    """A person's flags, open and past (the history), newest first."""
    return person.familiar_face_flags.select_related("rule", "dismissed_by").order_by(
        "-raised_at", "-id"
    )


def encounters_per_month(
    *, person: Person, months: int = 12, now: datetime.datetime | None = None
) -> list[tuple[datetime.date, int]]:
    """Encounters per calendar month (program time) for the last ``months``."""
    now = now or timezone.now()
    tz = person.program.tz
    local = timezone.localtime(now, tz).date().replace(day=1)
    firsts = []
    year, month = local.year, local.month
    for _ in range(months):
        firsts.append(datetime.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    firsts.reverse()
    since = datetime.datetime.combine(firsts[0], datetime.time(), tzinfo=tz)
    counted = {
        row["month"].date()
        if isinstance(row["month"], datetime.datetime)
        else row["month"]: row["n"]
        for row in person.encounters.filter(
            deleted_at__isnull=True, started_at__gte=since
        )
        .annotate(month=TruncMonth("started_at", tzinfo=tz))
        .values("month")
        .annotate(n=Count("id"))
    }
    return [(first, counted.get(first, 0)) for first in firsts]


def enrollment_outcomes_for(
    *, user: User, days: int = 90
) -> QuerySet[FamiliarFaceEnrollment]:
    """Contacts in the ``days`` before enrollment vs the ``days`` after.

    ``days_observed`` says how much of the after-period has passed yet, so a
    recent enrollment is not read as a success too early.
    """
    managed = program_ids_for(user=user, roles=(Role.PROGRAM_MANAGER,))
    span = datetime.timedelta(days=days)
    live = Q(person__encounters__deleted_at__isnull=True)
    return (
        FamiliarFaceEnrollment.objects.filter(program_id__in=managed)
        .select_related("person", "navigator")
        .annotate(
            window_start=ExpressionWrapper(
                F("enrolled_at") - span, output_field=DateTimeField()
            ),
            window_end=ExpressionWrapper(
                F("enrolled_at") + span, output_field=DateTimeField()
            ),
        )
        .annotate(
            contacts_before=Count(
                "person__encounters",
                filter=live
                & Q(
                    person__encounters__started_at__gte=F("window_start"),
                    person__encounters__started_at__lt=F("enrolled_at"),
                ),
            ),
            contacts_after=Count(
                "person__encounters",
                filter=live
                & Q(
                    person__encounters__started_at__gte=F("enrolled_at"),
                    person__encounters__started_at__lt=F("window_end"),
                ),
            ),
        )
        .order_by("-enrolled_at")
    )


def days_observed(enrollment: FamiliarFaceEnrollment, days: int) -> int:
    """How much of the after-period has passed (0..days)."""
    return max(0, min(days, (timezone.now() - enrollment.enrolled_at).days))


def month_list_for(
    *, user: User, month: datetime.date
) -> QuerySet[FamiliarFacesMonthEntry]:
    """Who was on the list in a month (first day of the month)."""
    return (
        FamiliarFacesMonthEntry.objects.filter(
            program_id__in=program_ids_for(user=user), month=month.replace(day=1)
        )
        .select_related("person", "rule")
        .order_by("-max_count", "person__last_name")
    )
