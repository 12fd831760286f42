"""Reads of the directory and of referrals, scoped to the user; the access
functions of agencies, services and referrals (decided once, every door)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from django.db.models import Prefetch, Q, QuerySet
from django.db.models.query import BaseIterable
from django.utils import timezone

from cases.models import Person, person_display_name
from cases.selectors import deleted_people
from navigator.errors import NotFound, PermissionDenied
from navigator.models import Program, User
from navigator.selectors import (
    is_administrator,
    is_manager_of,
    managed_program_ids_for,
    staff_program_ids_for,
)
from referrals.lifecycle import AWAITING_RESPONSE
from referrals.models import (
    Agency,
    Referral,
    ReferralAttachment,
    ReferralNote,
    ReferralSettings,
    ReferralStatusChange,
    Service,
    Urgency,
)
from referrals.partners.selectors import partner_agency_for, partner_program_ids_for

# --- the directory ----------------------------------------------------------

DirectoryAction = Literal["search", "manage", "deactivate"]


def directory_program_ids_for(*, user: User) -> list[int]:
    """Programs whose directory the user searches: their staff programs; a
    partner's, those its agency works with (issue 10)."""
    staff = staff_program_ids_for(user=user)
    if staff:
        # (Staff first: their memberships are already read for the request,
        # so a staff request asks nothing more.)
        return staff
    return partner_program_ids_for(user=user)


def agency_access(*, user: User, agency: Agency, action: DirectoryAction) -> None:
    """Search: staff of a program the agency works with (admins see every
    agency: they keep the directory). Manage: an administrator, or a manager
    of a program the agency works with. Deactivate: an administrator, or a
    manager of every program it works with (deactivating one shared with
    another program would take it from that program's directory too)."""
    if is_administrator(user=user):
        return
    program_ids = set(agency.programs.values_list("id", flat=True))
    if not program_ids & set(directory_program_ids_for(user=user)):
        raise NotFound("No such agency.")
    managed = set(managed_program_ids_for(user=user))
    if action in ("manage", "deactivate") and not program_ids & managed:
        raise PermissionDenied(
            "Only an administrator or the program's managers keep the directory.",
            code="manager_only",
        )
    if action == "deactivate" and not program_ids <= managed:
        raise PermissionDenied(
            "This agency works with other programs too: take it off your "
            "programs' directory instead (edit the agency), or ask an "
            "administrator.",
            code="shared_agency",
        )


def directory_manage_access(*, user: User, program: Program | None = None) -> None:
    """May the user add agencies (to ``program``, or to any)?"""
    if is_administrator(user=user):
        return
    if program is None:
        if not managed_program_ids_for(user=user):
            raise PermissionDenied(
                "Only an administrator or a program manager keeps the directory.",
                code="manager_only",
            )
        return
    if not is_manager_of(user=user, program_id=program.pk):
        if program.pk not in staff_program_ids_for(user=user):
            raise NotFound("No such program.")
        raise PermissionDenied(
            "Only the program's managers keep its directory.", code="manager_only"
        )


def agency_services_for(*, user: User, agency: Agency) -> QuerySet[Service]:
    """An agency's services for its page: every one for those who keep it
    (to reactivate), the active ones for everyone else."""
    services = agency.services.order_by("name", "id")
    if not agency_manage_allowed(user=user, agency=agency):
        services = services.filter(is_active=True)
    return services


def agency_manage_allowed(*, user: User, agency: Agency | None = None) -> bool:
    """Whether to offer the directory's manage actions (the services ask the
    access functions again): for ``agency``, or to add one."""
    try:
        if agency is None:
            directory_manage_access(user=user)
        else:
            agency_access(user=user, agency=agency, action="manage")
    except (NotFound, PermissionDenied):
        return False
    return True


def directory_programs_for(*, user: User) -> QuerySet[Program]:
    """The programs the user may attach an agency to: any (administrators),
    or those they manage."""
    if is_administrator(user=user):
        return Program.objects.order_by("name", "id")
    return Program.objects.filter(id__in=managed_program_ids_for(user=user)).order_by(
        "name", "id"
    )


def agency_list_for(*, user: User, include_inactive: bool = False) -> QuerySet[Agency]:
    qs = Agency.objects.all()
    if not is_administrator(user=user):
        qs = qs.filter(programs__in=directory_program_ids_for(user=user)).distinct()
    if not include_inactive:
        qs = qs.filter(is_active=True)
    return qs.prefetch_related("programs").order_by("name", "id")


def agency_get_for(
    *, user: User, pk: int | str, action: DirectoryAction = "search"
) -> Agency:
    lookup = {"pk": pk} if str(pk).isascii() and str(pk).isdigit() else {"slug": pk}
    agency = Agency.objects.filter(**lookup).first()
    if agency is None:
        raise NotFound("No such agency.")
    agency_access(user=user, agency=agency, action=action)
    return agency


@dataclass(frozen=True)
class ServiceSearch:
    text: str = ""
    category: str = ""
    city: str = ""
    accepting: str = ""
    agency_id: int | None = None
    program_id: int | None = None


def service_search_for(
    *, user: User, search: ServiceSearch | None = None
) -> QuerySet[Service]:
    """Active services of active agencies the user may refer to, filtered."""
    search = search or ServiceSearch()
    qs = Service.objects.filter(is_active=True, agency__is_active=True)
    if not is_administrator(user=user):
        program_ids = directory_program_ids_for(user=user)
        if search.program_id is not None:
            program_ids = [p for p in program_ids if p == search.program_id]
        qs = qs.filter(agency__programs__in=program_ids).distinct()
    return (
        service_search_apply(qs, search)
        .select_related("agency")
        .order_by("agency__name", "name", "id")
    )


def service_search_apply(
    qs: QuerySet[Service], search: ServiceSearch
) -> QuerySet[Service]:
    """The search's filters (not its scope) on services already scoped: the
    directory page and the API's filters apply the same ones."""
    if search.text:
        qs = qs.filter(
            Q(name__icontains=search.text)
            | Q(agency__name__icontains=search.text)
            | Q(description__icontains=search.text)
        )
    if search.category:
        qs = qs.filter(categories__contains=[search.category])
    if search.city:
        qs = qs.filter(city__iexact=search.city.strip())
    if search.accepting:
        qs = qs.filter(accepting=search.accepting)
    if search.agency_id is not None:
        qs = qs.filter(agency_id=search.agency_id)
    return qs


def service_get_for(*, user: User, pk: int | str) -> Service:
    service = Service.objects.select_related("agency").filter(pk=pk).first()
    if service is None:
        raise NotFound("No such service.")
    try:
        agency_access(user=user, agency=service.agency, action="search")
    except NotFound:
        raise NotFound("No such service.") from None
    return service


def service_availability_access(*, user: User, service: Service) -> None:
    """Who updates a service's availability (hours, accepting, capacity
    note): its own agency's partners (issue 10), and those who keep the
    directory. Another agency's service is a partner's 404."""
    agency = partner_agency_for(user)
    if agency is not None:
        if agency.pk != service.agency_id:
            raise NotFound("No such service.")
        return
    agency_access(user=user, agency=service.agency, action="manage")


# --- referrals --------------------------------------------------------------

ReferralAction = Literal[
    "view",
    "create",
    "edit",
    "request",
    "cancel",
    "enter_in_error",
    "accept",
    "reject",
    "start",
    "hold",
    "resume",
    "complete",
    "note",
    "attach",
]


def referral_access(*, user: User, referral: Referral, action: ReferralAction) -> None:
    """Any staff of the sending program may do any of these (the agency's
    moves are then recorded as made on its behalf). Another program's
    referral, or one of a deleted person, is out of scope. Partner agencies'
    own access is decided in the partner selectors (next issue) and reaches
    nothing here."""
    if (
        referral.program_id not in staff_program_ids_for(user=user)
        or referral.person.is_deleted
    ):
        raise NotFound("No such referral.")


def referral_attachment_get_for(
    *, user: User, referral_pk: int, pk: int
) -> ReferralAttachment:
    """An attachment of a referral the user may see (NotFound otherwise, or
    when the attachment is another referral's)."""
    attachment = (
        ReferralAttachment.objects.select_related(
            "file", "referral", "referral__person", "referral__program"
        )
        .filter(pk=pk, referral_id=referral_pk)
        .first()
    )
    if attachment is None:
        raise NotFound("No such attachment.")
    referral_access(user=user, referral=attachment.referral, action="view")
    return attachment


def referral_settings_for(*, program: Program) -> ReferralSettings:
    """The program's settings, or unsaved defaults (a read never writes)."""
    return ReferralSettings.objects.filter(program=program).first() or ReferralSettings(
        program=program
    )


def referral_settings_by_program(
    *, programs: Iterable[Program]
) -> dict[int, ReferralSettings]:
    """``referral_settings_for`` of many programs in one query (the sweeps)."""
    programs = list(programs)
    saved = {
        s.program_id: s for s in ReferralSettings.objects.filter(program__in=programs)
    }
    return {p.pk: saved.get(p.pk) or ReferralSettings(program=p) for p in programs}


@dataclass(frozen=True)
class ReferralFilters:
    status: tuple[str, ...] = ()
    agency_id: int | None = None
    urgency: str = ""
    overdue: bool = False
    assigned_to_id: int | None = None
    person_id: int | None = None
    program_id: int | None = None


def referral_list_for(
    *, user: User, filters: ReferralFilters | None = None
) -> QuerySet[Referral]:
    """Referrals of the user's programs, newest first, with what a board row
    or an API item shows (person, agency, service, assignee)."""
    filters = filters or ReferralFilters()
    program_ids = staff_program_ids_for(user=user)
    if filters.program_id is not None:
        program_ids = [p for p in program_ids if p == filters.program_id]
    # A deleted person's referrals go with them; as "not one of the few
    # deleted people" (cases.selectors.deleted_people) the page's count reads
    # the referrals alone: 6 ms for 10,001 of them, against 25 ms joined to
    # each row's person (docs/performance.md, "Referrals").
    qs = Referral.objects.filter(program_id__in=program_ids).exclude(
        person__in=deleted_people()
    )
    if filters.status:
        qs = qs.filter(status__in=filters.status)
    if filters.agency_id is not None:
        qs = qs.filter(agency_id=filters.agency_id)
    if filters.urgency:
        qs = qs.filter(urgency=filters.urgency)
    if filters.overdue:
        qs = overdue_response(qs)
    if filters.assigned_to_id is not None:
        qs = qs.filter(assigned_to_id=filters.assigned_to_id)
    if filters.person_id is not None:
        qs = qs.filter(person_id=filters.person_id)
    return qs.select_related(
        "person", "agency", "service", "assigned_to", "program"
    ).order_by("-created_at", "-id")


@dataclass(frozen=True, slots=True)
class ReferralRow:
    """A referral as a list item shows it, read as plain values: no model
    instances of the referral, its person, agency, service and assignee (at
    a page of 100, building those five per row was most of the list's time:
    docs/performance.md, "Referrals"). ``pk``, ``person_id`` and
    ``program_id`` as a model's, for the disclosure audit; ``id`` and
    ``created_at`` for the list's cursor."""

    id: int
    program_id: int
    person_id: int
    person_display_name: str
    agency_id: int
    agency_slug: str
    agency_name: str
    service_id: int | None
    service_name: str | None
    group_id: int | None
    urgency: str
    is_involuntary: bool
    status: str
    outcome: str
    assigned_to_id: int | None
    assigned_to_name: str | None
    respond_by: datetime.date | None
    requested_at: datetime.datetime | None
    responded_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @property
    def pk(self) -> int:
        return self.id

    @property
    def is_overdue(self) -> bool:
        return referral_is_overdue(self)


# The columns of a ReferralRow, in its order; the person's and the
# assignee's names as their parts (combined as Person.display_name and
# User.get_full_name combine them).
_ROW_COLUMNS = (
    "id",
    "program_id",
    "person_id",
    "person__preferred_name",
    "person__first_name",
    "person__last_name",
    "agency_id",
    "agency__slug",
    "agency__name",
    "service_id",
    "service__name",
    "group_id",
    "urgency",
    "is_involuntary",
    "status",
    "outcome",
    "assigned_to_id",
    "assigned_to__first_name",
    "assigned_to__last_name",
    "assigned_to__username",
    "respond_by",
    "requested_at",
    "responded_at",
    "closed_at",
    "created_at",
    "updated_at",
)


class _ReferralRowIterable(BaseIterable):
    """A referral queryset's rows as ReferralRows. The columns (and their
    joins) are chosen only as it is read, so the paginator's count of the
    same queryset joins nothing."""

    def __iter__(self):
        for v in self.queryset.values_list(*_ROW_COLUMNS):
            assigned = v[16]
            yield ReferralRow(
                id=v[0],
                program_id=v[1],
                person_id=v[2],
                person_display_name=person_display_name(v[3], v[4], v[5]),
                agency_id=v[6],
                agency_slug=v[7],
                agency_name=v[8],
                service_id=v[9],
                service_name=v[10],
                group_id=v[11],
                urgency=v[12],
                is_involuntary=v[13],
                status=v[14],
                outcome=v[15],
                assigned_to_id=assigned,
                assigned_to_name=(
                    None if assigned is None else f"{v[17]} {v[18]}".strip() or v[19]
                ),
                respond_by=v[20],
                requested_at=v[21],
                responded_at=v[22],
                closed_at=v[23],
                created_at=v[24],
                updated_at=v[25],
            )


def referral_rows(qs: QuerySet[Referral]) -> QuerySet[Referral, ReferralRow]:
    """``qs`` (``referral_list_for``, filtered) as ReferralRows: one query
    of the columns a list item shows, still a queryset (the paginator counts,
    slices and follows it by cursor like any other)."""
    rows = qs.all()
    # Django's own values_list(named=True) swaps the iterable the same way.
    rows._iterable_class = _ReferralRowIterable
    return rows  # type: ignore[return-value]  # iterated as ReferralRows (above)


# What a board card reads (templates/referrals/_card.html, _moves.html,
# _status_badge.html; the moves, the proposed follow-up in the program's zone,
# the disclosure audit, the cursor): every other column, and the person's
# and agency's whole rows, stay in the database. Any other field read from a
# card would cost a query per card; the board's query count is pinned.
BOARD_CARD_FIELDS = (
    "program",
    "person",
    "agency",
    "service",
    "assigned_to",
    "status",
    "outcome",
    "urgency",
    "is_involuntary",
    "respond_by",
    "created_at",
    "person__preferred_name",
    "person__first_name",
    "person__last_name",
    "agency__name",
    "service__name",
    "assigned_to__first_name",
    "assigned_to__last_name",
    "assigned_to__username",
    "program__name",
    "program__time_zone",
)


def referral_cards(qs: QuerySet[Referral]) -> QuerySet[Referral]:
    """``qs`` (``referral_list_for``, filtered) reading only what a board
    card shows: at 45 cards, a third less time building their rows."""
    return qs.only(*BOARD_CARD_FIELDS)


def overdue_response(qs: QuerySet[Referral]) -> QuerySet[Referral]:
    """Requested, with no answer by the respond-by date (past the date in
    UTC terms; the sweeps use each program's own date)."""
    return qs.filter(status__in=AWAITING_RESPONSE, respond_by__lt=timezone.localdate())


def referral_is_overdue(referral: Referral | ReferralRow) -> bool:
    """One referral, by the rule of ``overdue_response``."""
    return (
        referral.status in AWAITING_RESPONSE
        and referral.respond_by is not None
        and referral.respond_by < timezone.localdate()
    )


def respond_by_defaults_for(*, program: Program) -> dict[str, datetime.date]:
    """The respond-by date a referral made today gets when the sender gives
    none, by urgency (the program's settings, in its time zone)."""
    settings = referral_settings_for(program=program)
    today = timezone.localtime(timezone.now(), program.tz).date()
    days = {
        Urgency.ROUTINE: settings.respond_days_routine,
        Urgency.URGENT: settings.respond_days_urgent,
        Urgency.EMERGENCY: settings.respond_days_emergency,
    }
    return {u: today + datetime.timedelta(days=n) for u, n in days.items()}


def referral_get_for(
    *, user: User, pk: int | str, action: ReferralAction = "view"
) -> Referral:
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise NotFound("No such referral.") from None
    referral = (
        Referral.objects.select_related(
            "person",
            "person__program",
            "program",
            "agency",
            "service",
            "assigned_to",
            "created_by",
            "consent",
            "consent__agency",
            "encounter",
            "consent_override_by",
        )
        .prefetch_related(
            Prefetch(
                "history",
                queryset=ReferralStatusChange.objects.select_related("by").order_by(
                    "at", "id"
                ),
            ),
            "notes__author",
            "attachments__file",
        )
        .filter(pk=key)
        .first()
    )
    if referral is None:
        raise NotFound("No such referral.")
    referral_access(user=user, referral=referral, action=action)
    return referral


def person_referrals(*, person: Person) -> QuerySet[Referral]:
    """A person's referrals for their page (the caller checked the person)."""
    return (
        Referral.objects.filter(person=person)
        .select_related("agency", "service", "assigned_to")
        .order_by("-created_at", "-id")
    )


def referral_notes_for(*, referral: Referral) -> QuerySet[ReferralNote]:
    """A referral's notes thread, oldest first (the caller checked the
    referral with ``referral_get_for``)."""
    return (
        ReferralNote.objects.filter(referral=referral)
        .select_related("author")
        .order_by("created_at", "id")
    )
