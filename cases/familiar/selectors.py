"""Reads for the familiar-faces list, the person chart and the outcome view.

All scoped to the user's programs. Who may see and do what is decided here,
once (``_decide``), through one access function per entity: every page, the
API and the services ask it (DESIGN.md, "Who may see and do what"). Staff of
a program read its list; only its program managers act on it.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from typing import Literal, NotRequired, TypedDict

from django.db.models import (
    Case,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
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
from cases.selectors import deleted_people
from followups.selectors import overdue_followups
from navigator.errors import NotFound, PermissionDenied
from navigator.models import STAFF_ROLES, Membership, Program, User
from navigator.selectors import (
    is_manager_of,
    is_staff_of,
    managed_program_ids_for,
    staff_program_ids_for,
    staff_users_of,
)

# --- who may see and do what -------------------------------------------------

FlagAction = Literal["view", "dismiss", "enroll"]
RuleAction = Literal["view", "edit"]
EnrollmentAction = Literal["view", "end"]
PanelAction = Literal["view", "enroll"]
FeatureAction = Literal["list", "history", "rules", "export", "outcomes", "rule_create"]
Action = FlagAction | RuleAction | EnrollmentAction | PanelAction | FeatureAction

# What only a program's managers may do (issue 4: managers act on the list,
# navigators and caseworkers of the program read it), with what the refusal
# says on the page and in the API.
MANAGER_ONLY: dict[str, str] = {
    "dismiss": "Only the program's managers can take a person off the list.",
    "enroll": "Only the program's managers can enroll a person in intensive follow-up.",
    "end": "Only the program's managers can end an enrollment.",
    "edit": "Only the program's managers can change its familiar-faces rules.",
    "rule_create": "Only program managers can add familiar-faces rules.",
    "export": "Only program managers can export the familiar-faces list.",
    "outcomes": "Only program managers see the outcomes of enrollments.",
}


def _decide(*, user: User, program_id: int, action: Action, missing: str) -> None:
    """The one rule: out of the user's programs → NotFound (404 everywhere,
    the same as absent); in them, a manager's action by anyone else →
    PermissionDenied (403)."""
    if not is_staff_of(user=user, program_id=program_id):
        raise NotFound(missing)
    if action in MANAGER_ONLY and not is_manager_of(user=user, program_id=program_id):
        raise PermissionDenied(MANAGER_ONLY[action])


def familiar_face_access(
    *, user: User, flag: FamiliarFaceFlag, action: FlagAction
) -> None:
    _decide(
        user=user, program_id=flag.program_id, action=action, missing="No such flag."
    )


def familiar_rule_access(
    *, user: User, rule: FamiliarFacesRule, action: RuleAction
) -> None:
    _decide(
        user=user, program_id=rule.program_id, action=action, missing="No such rule."
    )


def enrollment_access(
    *, user: User, enrollment: FamiliarFaceEnrollment, action: EnrollmentAction
) -> None:
    _decide(
        user=user,
        program_id=enrollment.program_id,
        action=action,
        missing="No such enrollment.",
    )


def familiar_person_access(*, user: User, person: Person, action: PanelAction) -> None:
    """The person's panel (``view``), or enrolling them (``enroll``)."""
    _decide(
        user=user,
        program_id=person.program_id,
        action=action,
        missing="No such person.",
    )


def familiar_faces_access(
    *, user: User, action: FeatureAction, program_id: int | None = None
) -> None:
    """The feature's pages (the list, history, rules, export, outcomes, a new
    rule): for staff of some program; the managers' ones for managers of some
    program, or of ``program_id`` when one is chosen."""
    if program_id is not None:
        _decide(
            user=user, program_id=program_id, action=action, missing="No such program."
        )
        return
    if not staff_program_ids_for(user=user):
        raise NotFound("No such page.")
    if action in MANAGER_ONLY and not managed_program_ids_for(user=user):
        raise PermissionDenied(MANAGER_ONLY[action])


def familiar_faces_managed_ids(*, user: User) -> list[int]:
    """Programs whose list the user acts on (what they export, add rules to,
    see the outcomes of)."""
    return managed_program_ids_for(user=user)


# Whether to offer an action (a button, a link): the same answer as the
# access function, as a bool, for templates.


def familiar_face_allowed(
    *, user: User, flag: FamiliarFaceFlag, action: FlagAction
) -> bool:
    try:
        familiar_face_access(user=user, flag=flag, action=action)
    except (NotFound, PermissionDenied):
        return False
    return True


def familiar_rule_allowed(
    *, user: User, rule: FamiliarFacesRule, action: RuleAction
) -> bool:
    try:
        familiar_rule_access(user=user, rule=rule, action=action)
    except (NotFound, PermissionDenied):
        return False
    return True


def familiar_person_allowed(*, user: User, person: Person, action: PanelAction) -> bool:
    try:
        familiar_person_access(user=user, person=person, action=action)
    except (NotFound, PermissionDenied):
        return False
    return True


def familiar_faces_allowed(*, user: User, action: FeatureAction) -> bool:
    try:
        familiar_faces_access(user=user, action=action)
    except (NotFound, PermissionDenied):
        return False
    return True


def familiar_rule_programs_for(*, user: User) -> QuerySet[Program]:
    """The programs a user may add a rule to (``rule_create``)."""
    return Program.objects.filter(pk__in=familiar_faces_managed_ids(user=user))


def familiar_programs_without_rules_for(*, user: User) -> QuerySet[Program]:
    """The user's programs that have no rule yet: the evaluation gives them
    the default one (``services.rules_ensure_default``)."""
    return Program.objects.filter(
        pk__in=staff_program_ids_for(user=user),
        familiar_faces_rules__isnull=True,
    ).order_by("name")


def _count_subquery(qs: QuerySet) -> Subquery:
    return Subquery(
        qs.order_by().values("person_id").annotate(n=Count("id")).values("n")[:1],
        output_field=IntegerField(),
    )


def familiar_faces_for(
    *, user: User, now: datetime.datetime | None = None
) -> QuerySet[FamiliarFaceFlag]:
    """People on the list (active flags) in the user's programs."""
    return _with_row_annotations(
        FamiliarFaceFlag.objects.filter(
            program_id__in=staff_program_ids_for(user=user), status=FlagStatus.ACTIVE
        ).exclude(person__in=deleted_people()),
        now or timezone.now(),
    ).order_by("-encounter_count", "person__last_name", "person__first_name", "id")


def _with_row_annotations(
    flags: QuerySet[FamiliarFaceFlag], now: datetime.datetime
) -> QuerySet[FamiliarFaceFlag]:
    """What ``familiar_faces_rows`` reads from each flag: last contact, overdue."""
    encounters = Encounter.objects.filter(
        person_id=OuterRef("person_id"), deleted_at__isnull=True
    )
    overdue = overdue_followups(now=now).filter(person_id=OuterRef("person_id"))
    return flags.select_related("person", "rule", "rule__program", "program").annotate(
        last_contact=Subquery(
            encounters.order_by()
            .values("person_id")
            .annotate(m=Max("started_at"))
            .values("m")[:1],
            output_field=DateTimeField(),
        ),
        overdue_followups=Coalesce(_count_subquery(overdue), Value(0)),
    )


def familiar_face_get_for(
    *, user: User, flag_id: int | str, action: FlagAction = "view"
) -> FamiliarFaceFlag:
    """A flag of the user's programs, for ``action`` (``familiar_face_access``).
    A soft-deleted person's flags are gone, as from the list."""
    try:
        flag = FamiliarFaceFlag.objects.select_related("person", "rule").get(
            pk=int(flag_id), person__deleted_at__isnull=True
        )
    except (FamiliarFaceFlag.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such flag.") from None
    familiar_face_access(user=user, flag=flag, action=action)
    return flag


class CodeLabel(TypedDict):
    code: str
    label: str


class FamiliarFaceRow(TypedDict):
    """One row of the list, as the page, the CSV and the API show it."""

    flag: FamiliarFaceFlag
    person: Person
    rule: FamiliarFacesRule
    reason: str
    contacts: int
    previous_contacts: int
    trend: Literal["up", "down", "same"]
    last_contact: datetime.datetime | None
    top_concern_items: list[CodeLabel]
    disposition_items: list[CodeLabel]
    top_concerns: list[str]
    dispositions: list[str]
    overdue_followups: int
    enrollment: FamiliarFaceEnrollment | None
    navigator: User | None
    enrollment_status: Literal["enrolled", "not enrolled"]
    # Set by the list page for the rows the user may act on.
    can_act: NotRequired[bool]
    navigator_choices: NotRequired[list[User]]


def familiar_faces_rows(
    flags: list[FamiliarFaceFlag], now: datetime.datetime | None = None
) -> list[FamiliarFaceRow]:
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
    rows: list[FamiliarFaceRow] = []
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
        top_concerns: list[CodeLabel] = [
            {"code": c, "label": concern_label.get(c, c)}
            for c, _ in concerns.most_common(3)
        ]
        top_dispositions: list[CodeLabel] = [
            {"code": d, "label": disposition_label.get(d, d)}
            for d, _ in dispositions.most_common(3)
        ]
        count = flag.encounter_count
        row: FamiliarFaceRow = {
            "flag": flag,
            "person": flag.person,
            "rule": flag.rule,
            "reason": f"{count} encounters in {flag.rule.window_days}"
            f" days (rule: {flag.rule.describe()})",
            "contacts": count,
            "previous_contacts": prev,
            "trend": "up" if count > prev else "down" if count < prev else "same",
            "last_contact": getattr(flag, "last_contact", None),
            # Codes and labels: the API gives both, pages show labels.
            "top_concern_items": top_concerns,
            "disposition_items": top_dispositions,
            "top_concerns": [i["label"] for i in top_concerns],
            "dispositions": [i["label"] for i in top_dispositions],
            "overdue_followups": getattr(flag, "overdue_followups", 0),
            "enrollment": enrollment,
            "navigator": enrollment.navigator if enrollment else None,
            "enrollment_status": "enrolled" if enrollment else "not enrolled",
        }
        rows.append(row)
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
        program_id__in=staff_program_ids_for(user=user)
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
    managed = familiar_faces_managed_ids(user=user)
    span = datetime.timedelta(days=days)
    live = Q(person__encounters__deleted_at__isnull=True)
    return (
        FamiliarFaceEnrollment.objects.filter(program_id__in=managed)
        .select_related("person", "navigator", "program")
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
            program_id__in=staff_program_ids_for(user=user), month=month.replace(day=1)
        )
        .select_related("person", "rule")
        .order_by("-max_count", "person__last_name")
    )


# --- Reads added for the pages and the API -------------------------------------


def familiar_face_detail_for(
    *,
    user: User,
    flag_id: int | str,
    action: FlagAction = "view",
    now: datetime.datetime | None = None,
) -> FamiliarFaceFlag:
    """One flag of the user's programs, in any status, with what a list row
    shows, for ``action``. A soft-deleted person's flags are gone, as from
    the list."""
    try:
        flag = _with_row_annotations(
            FamiliarFaceFlag.objects.filter(person__deleted_at__isnull=True),
            now or timezone.now(),
        ).get(pk=int(flag_id))
    except (FamiliarFaceFlag.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such flag.") from None
    familiar_face_access(user=user, flag=flag, action=action)
    return flag


def familiar_faces_with_previous(
    flags: QuerySet[FamiliarFaceFlag], now: datetime.datetime | None = None
) -> QuerySet[FamiliarFaceFlag]:
    """Annotate ``previous_contacts``: matching encounters in the window of the
    same length just before the rule's current one (what the row's trend
    compares with, see ``_previous_window_counts``), so a list can be
    filtered by trend in the database.

    One correlated count per rule (a CASE over the rules of the flags), since
    each rule has its own window and encounter filters; one query to find
    the rules.
    """
    now = now or timezone.now()
    rules = FamiliarFacesRule.objects.filter(
        pk__in=flags.order_by().values("rule_id")
    ).select_related("program")
    whens = []
    for rule in rules:
        window = window_for(rule, now)
        start = window.start - (window.end - window.start)
        count = _count_subquery(
            Encounter.objects.filter(
                rule_encounters_q(rule),
                person_id=OuterRef("person_id"),
                started_at__gte=start,
                started_at__lt=window.start,
            )
        )
        whens.append(When(rule_id=rule.pk, then=Coalesce(count, Value(0))))
    previous = Case(*whens, default=Value(0), output_field=IntegerField())
    return flags.annotate(previous_contacts=previous if whens else Value(0))


TREND_LOOKUPS = {
    "up": "encounter_count__gt",
    "down": "encounter_count__lt",
    "same": "encounter_count",
}


def familiar_faces_by_trend(
    flags: QuerySet[FamiliarFaceFlag], trend: str, now: datetime.datetime | None = None
) -> QuerySet[FamiliarFaceFlag]:
    """Flags whose contacts went ``up``, ``down`` or stayed the ``same``
    against the previous window (the row's trend arrow)."""
    return familiar_faces_with_previous(flags, now).filter(
        **{TREND_LOOKUPS[trend]: F("previous_contacts")}
    )


def familiar_faces_enrolled(
    flags: QuerySet[FamiliarFaceFlag], enrolled: bool
) -> QuerySet[FamiliarFaceFlag]:
    active = FamiliarFaceEnrollment.objects.filter(
        person_id=OuterRef("person_id"), status=EnrollmentStatus.ACTIVE
    )
    return flags.filter(Exists(active) if enrolled else ~Exists(active))


def enrollment_active_for(*, person: Person) -> FamiliarFaceEnrollment | None:
    """The person's current intensive follow-up, if any (at most one)."""
    return (
        FamiliarFaceEnrollment.objects.filter(
            person=person, status=EnrollmentStatus.ACTIVE
        )
        .select_related("navigator", "enrolled_by")
        .first()
    )


def enrollment_get_for(
    *, user: User, enrollment_id: int | str, action: EnrollmentAction = "view"
) -> FamiliarFaceEnrollment:
    try:
        enrollment = FamiliarFaceEnrollment.objects.select_related("person").get(
            pk=int(enrollment_id), person__deleted_at__isnull=True
        )
    except (FamiliarFaceEnrollment.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such enrollment.") from None
    enrollment_access(user=user, enrollment=enrollment, action=action)
    return enrollment


def familiar_rule_get_for(
    *, user: User, rule_id: int | str, action: RuleAction = "view"
) -> FamiliarFacesRule:
    try:
        rule = FamiliarFacesRule.objects.select_related("program").get(pk=int(rule_id))
    except (FamiliarFacesRule.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such rule.") from None
    familiar_rule_access(user=user, rule=rule, action=action)
    return rule


def enrollment_navigators_for(*, program_id: int) -> QuerySet[User]:
    """Who can be assigned to an enrollment in a program: its active staff."""
    return staff_users_of(program_ids=[program_id]).order_by(
        "first_name", "last_name", "username"
    )


def enrollment_navigator_choices(*, program_ids: list[int]) -> dict[int, list[User]]:
    """``enrollment_navigators_for`` for several programs in one query (the
    enroll forms of a list page)."""
    memberships = (
        Membership.objects.filter(
            program_id__in=program_ids,
            is_active=True,
            role__in=STAFF_ROLES,
            user__is_active=True,
        )
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user__username", "id")
    )
    choices: dict[int, list[User]] = defaultdict(list)
    for membership in memberships:
        users = choices[membership.program_id]
        # A manager who is also a navigator there is offered once.
        if all(u.pk != membership.user_id for u in users):
            users.append(membership.user)
    return dict(choices)


def enrollment_outcome_totals(
    outcomes: QuerySet[FamiliarFaceEnrollment],
    days: int,
    now: datetime.datetime | None = None,
) -> dict[str, dict[str, int]]:
    """Sums of ``enrollment_outcomes_for``: over every enrollment, and over
    those whose after-period has fully passed (the fair comparison: a recent
    enrollment has had less time to gather contacts)."""
    now = now or timezone.now()
    complete = Q(enrolled_at__lte=now - datetime.timedelta(days=days))
    totals = outcomes.order_by().aggregate(
        enrollments=Count("id", distinct=True),
        before=Coalesce(Sum("contacts_before"), 0),
        after=Coalesce(Sum("contacts_after"), 0),
    )
    observed = (
        outcomes.filter(complete)
        .order_by()
        .aggregate(
            enrollments=Count("id", distinct=True),
            before=Coalesce(Sum("contacts_before"), 0),
            after=Coalesce(Sum("contacts_after"), 0),
        )
    )
    return {"all": totals, "observed": observed}


def familiar_history_for(
    *, user: User, month: datetime.date
) -> QuerySet[FamiliarFacesMonthEntry]:
    """``month_list_for`` without soft-deleted people (gone from every list)."""
    return (
        month_list_for(user=user, month=month)
        .filter(person__deleted_at__isnull=True)
        .select_related("program")
    )


def familiar_faces_for_manager(
    *, user: User, now: datetime.datetime | None = None
) -> QuerySet[FamiliarFaceFlag]:
    """The list, only in the programs the user manages (what they may export)."""
    managed = familiar_faces_managed_ids(user=user)
    return familiar_faces_for(user=user, now=now).filter(program_id__in=managed)


def familiar_rules_overview_for(*, user: User) -> QuerySet[FamiliarFacesRule]:
    """The user's programs' rules, each with how many people it has on the list."""
    return (
        familiar_faces_rules_for(user=user)
        .annotate(
            on_list=Count(
                "flags",
                filter=Q(
                    flags__status=FlagStatus.ACTIVE,
                    flags__person__deleted_at__isnull=True,
                ),
            )
        )
        .order_by("program__name", "-is_active", "name", "id")
    )


def familiar_person_summary(
    *, person: Person, now: datetime.datetime | None = None
) -> dict:
    """The person page's familiar-faces panel: contacts per month (12 months),
    every flag (the history) and the current enrollment. The caller has
    resolved the person through a scoped selector."""
    return {
        "months": encounters_per_month(person=person, months=12, now=now),
        "flags": list(person_flags(person=person)),
        "enrollment": enrollment_active_for(person=person),
    }
