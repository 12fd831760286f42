"""Writes of the directory: agencies and their services, one at a time (the
pages, the API, the admin site) or many at once (``directory_import``, the
HSDS import). Nothing is deleted: agencies and services are deactivated.

Who keeps the directory is asked here, of ``referrals.selectors``
(``directory_manage_access`` / ``agency_access(action="manage")``): an
administrator, or a manager of a program the agency works with. A manager
attaches an agency only to programs they manage; an administrator to any.
"""

from __future__ import annotations

import decimal
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.text import slugify

from navigator.audit import AuditEntry, audit_record, audit_records_bulk, diff, snapshot
from navigator.errors import DomainError
from navigator.models import AuditAction, Program, User
from navigator.selectors import is_administrator, managed_program_ids_for
from navigator.services import clean_reason, validate_model
from referrals.models import Accepting, Agency, Service
from referrals.selectors import (
    agency_access,
    directory_manage_access,
    service_availability_access,
)

AGENCY_FIELDS = (
    "name",
    "slug",
    "kind",
    "description",
    "phone",
    "email",
    "website",
    "street_address",
    "city",
    "state",
    "postal_code",
    "is_part2_program",
    "is_active",
    "hsds_ids",
)
SERVICE_FIELDS = (
    "agency_id",
    "name",
    "description",
    "categories",
    "eligibility",
    "languages",
    "street_address",
    "city",
    "state",
    "postal_code",
    "latitude",
    "longitude",
    "phone",
    "hours",
    "accepting",
    "capacity_note",
    "is_active",
    "hsds_ids",
)
MAX_LANGUAGES = 20
LANGUAGE_MAX_LENGTH = 50
SLUG_MAX_LENGTH = Agency._meta.get_field("slug").max_length or 60


@dataclass(frozen=True)
class AgencyData:
    """An agency's details. ``slug`` empty: made from the name (new agencies)
    or kept (an update)."""

    name: str
    kind: str
    slug: str = ""
    description: str = ""
    phone: str = ""
    email: str = ""
    website: str = ""
    street_address: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    is_part2_program: bool = False


@dataclass(frozen=True)
class ServiceData:
    name: str
    description: str = ""
    categories: tuple[str, ...] = ()
    eligibility: str = ""
    languages: tuple[str, ...] = ()
    street_address: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    latitude: decimal.Decimal | None = None
    longitude: decimal.Decimal | None = None
    phone: str = ""
    hours: str = ""
    accepting: str = Accepting.YES
    capacity_note: str = ""


# What a partner may change of its own services (issue 10).
AVAILABILITY_FIELDS = ("hours", "accepting", "capacity_note")


@dataclass(frozen=True)
class ServiceAvailability:
    """Changes to a service's availability; None: unchanged."""

    hours: str | None = None
    accepting: str | None = None
    capacity_note: str | None = None


# --- helpers -------------------------------------------------------------------


def _audit_program_id(agency: Agency, by: User | None) -> int | None:
    """The program an agency's event is filed under: one of its programs
    (the actor's own first, so their audit view shows it), or None."""
    ids = sorted(agency.programs.values_list("id", flat=True))
    if not ids:
        return None
    mine = set(managed_program_ids_for(user=by)) if by is not None else set()
    return next((pk for pk in ids if pk in mine), ids[0])


def _unique_slug(name: str, *, taken: set[str] | None = None) -> str:
    base = slugify(name)[: SLUG_MAX_LENGTH - 4].strip("-") or "agency"
    taken = taken if taken is not None else set()
    candidate, n = base, 1
    while candidate in taken or Agency.objects.filter(slug=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _apply_agency(agency: Agency, data: AgencyData) -> None:
    for name in (
        "name",
        "kind",
        "description",
        "phone",
        "email",
        "website",
        "street_address",
        "city",
        "state",
        "postal_code",
    ):
        setattr(agency, name, (getattr(data, name) or "").strip())
    agency.is_part2_program = bool(data.is_part2_program)
    if data.slug.strip():
        agency.slug = data.slug.strip()


def _check_languages(languages: Iterable[str]) -> list[str]:
    cleaned: list[str] = []
    for language in languages:
        if not isinstance(language, str) or not language.strip():
            raise DomainError.for_field("languages", "Give each language by name.")
        if len(language.strip()) > LANGUAGE_MAX_LENGTH:
            raise DomainError.for_field(
                "languages",
                f"A language name has at most {LANGUAGE_MAX_LENGTH} characters.",
                code="max_length",
            )
        if language.strip() not in cleaned:
            cleaned.append(language.strip())
    if len(cleaned) > MAX_LANGUAGES:
        raise DomainError.for_field(
            "languages", f"At most {MAX_LANGUAGES} languages.", code="max_length"
        )
    return cleaned


def _apply_service(service: Service, data: ServiceData) -> None:
    for name in (
        "name",
        "description",
        "eligibility",
        "street_address",
        "city",
        "state",
        "postal_code",
        "phone",
        "hours",
        "accepting",
        "capacity_note",
    ):
        setattr(service, name, (getattr(data, name) or "").strip())
    # Sorted, once each: the order a form or a file gave them means nothing,
    # and an export must come out the same twice.
    service.categories = sorted(set(data.categories))
    service.languages = _check_languages(data.languages)
    service.latitude = data.latitude
    service.longitude = data.longitude


def _programs_change(
    *, by: User, agency: Agency | None, programs: Sequence[Program]
) -> list[Program]:
    """The agency's programs after the change: a manager adds or removes
    only programs they manage (the others stay as they were)."""
    wanted = {p.pk: p for p in programs}
    current = set(agency.programs.values_list("id", flat=True)) if agency else set()
    if is_administrator(user=by):
        return list(wanted.values())
    allowed = set(managed_program_ids_for(user=by))
    touched = (set(wanted) ^ current) - allowed
    if touched:
        raise DomainError.for_field(
            "programs",
            "Choose among the programs you manage.",
            code="not_allowed",
        )
    if not set(wanted) & allowed:
        raise DomainError.for_field(
            "programs",
            "Choose at least one program you manage.",
            code="required",
        )
    return list(wanted.values())


def _set_programs(
    agency: Agency, programs: Sequence[Program]
) -> list[list[int]] | None:
    before = sorted(agency.programs.values_list("id", flat=True))
    after = sorted(p.pk for p in programs)
    if before == after:
        return None
    agency.programs.set(programs)
    return [before, after]


# --- agencies --------------------------------------------------------------------


@transaction.atomic
def agency_create(*, by: User, data: AgencyData, programs: Sequence[Program]) -> Agency:
    directory_manage_access(user=by)
    programs = _programs_change(by=by, agency=None, programs=programs)
    agency = Agency()
    _apply_agency(agency, data)
    if not agency.slug:
        agency.slug = _unique_slug(agency.name)
    validate_model(agency)
    agency.save()
    agency.programs.set(programs)
    changes = snapshot(agency, AGENCY_FIELDS)
    changes["programs"] = sorted(p.pk for p in programs)
    audit_record(
        actor=by,
        action=AuditAction.CREATE,
        obj=agency,
        person_id=None,
        program_id=_audit_program_id(agency, by),
        changes=changes,
    )
    return agency


def _locked_agency(agency: Agency) -> Agency:
    return Agency.objects.select_for_update().get(pk=agency.pk)


@transaction.atomic
def agency_update(
    *,
    by: User,
    agency: Agency,
    data: AgencyData,
    programs: Sequence[Program] | None = None,
) -> Agency:
    """Change an agency's details (and, given ``programs``, the programs it
    works with)."""
    agency = _locked_agency(agency)
    agency_access(user=by, agency=agency, action="manage")
    before = snapshot(agency, AGENCY_FIELDS)
    _apply_agency(agency, data)
    validate_model(agency)
    new_programs = (
        None
        if programs is None
        else _programs_change(by=by, agency=agency, programs=programs)
    )
    changes = diff(before, snapshot(agency, AGENCY_FIELDS))
    if changes:
        agency.save()
    if new_programs is not None and (moved := _set_programs(agency, new_programs)):
        changes["programs"] = moved
    if changes:
        audit_record(
            actor=by,
            action=AuditAction.UPDATE,
            obj=agency,
            person_id=None,
            program_id=_audit_program_id(agency, by),
            changes=changes,
        )
    return agency


@transaction.atomic
def agency_set_active(
    *, by: User, agency: Agency, active: bool, reason: str = ""
) -> Agency:
    """Deactivate (out of the directory's search; its referrals stay) or
    reactivate an agency."""
    agency = _locked_agency(agency)
    agency_access(user=by, agency=agency, action="deactivate")
    reason = clean_reason(reason)
    if agency.is_active == active:
        return agency
    agency.is_active = active
    agency.save(update_fields=["is_active", "updated_at"])
    audit_record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=agency,
        person_id=None,
        program_id=_audit_program_id(agency, by),
        changes={"is_active": [not active, active]},
        reason=reason,
    )
    return agency


# --- services --------------------------------------------------------------------


@transaction.atomic
def service_create(*, by: User, agency: Agency, data: ServiceData) -> Service:
    agency = _locked_agency(agency)
    agency_access(user=by, agency=agency, action="manage")
    service = Service(agency=agency)
    _apply_service(service, data)
    validate_model(service)
    service.save()
    audit_record(
        actor=by,
        action=AuditAction.CREATE,
        obj=service,
        person_id=None,
        program_id=_audit_program_id(agency, by),
        changes=snapshot(service, SERVICE_FIELDS),
    )
    return service


def _locked_service(service: Service) -> Service:
    return (
        Service.objects.select_for_update(of=("self",))
        .select_related("agency")
        .get(pk=service.pk)
    )


@transaction.atomic
def service_update(*, by: User, service: Service, data: ServiceData) -> Service:
    service = _locked_service(service)
    agency_access(user=by, agency=service.agency, action="manage")
    before = snapshot(service, SERVICE_FIELDS)
    _apply_service(service, data)
    validate_model(service)
    changes = diff(before, snapshot(service, SERVICE_FIELDS))
    if changes:
        service.save()
        audit_record(
            actor=by,
            action=AuditAction.UPDATE,
            obj=service,
            person_id=None,
            program_id=_audit_program_id(service.agency, by),
            changes=changes,
        )
    return service


@transaction.atomic
def service_availability_update(
    *, by: User, service: Service, changes: ServiceAvailability
) -> Service:
    """Hours, accepting new clients, capacity note: what a partner keeps
    current about its own services (and the directory's keepers too)."""
    service = _locked_service(service)
    service_availability_access(user=by, service=service)
    before = snapshot(service, SERVICE_FIELDS)
    for name in AVAILABILITY_FIELDS:
        value = getattr(changes, name)
        if value is not None:
            setattr(service, name, value.strip())
    validate_model(service)
    diffs = diff(before, snapshot(service, SERVICE_FIELDS))
    if diffs:
        service.save()
        audit_record(
            actor=by,
            action=AuditAction.UPDATE,
            obj=service,
            person_id=None,
            program_id=_audit_program_id(service.agency, by),
            changes=diffs,
        )
    return service


@transaction.atomic
def service_set_active(
    *, by: User, service: Service, active: bool, reason: str = ""
) -> Service:
    service = _locked_service(service)
    agency_access(user=by, agency=service.agency, action="manage")
    reason = clean_reason(reason)
    if service.is_active == active:
        return service
    service.is_active = active
    service.save(update_fields=["is_active", "updated_at"])
    audit_record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=service,
        person_id=None,
        program_id=_audit_program_id(service.agency, by),
        changes={"is_active": [not active, active]},
        reason=reason,
    )
    return service


# --- many at once: the HSDS import -------------------------------------------------


@dataclass(frozen=True)
class ImportedAgency:
    """An agency as a file gives it, keyed by its HSDS organization id."""

    hsds_id: uuid.UUID
    data: AgencyData
    is_active: bool = True
    hsds_ids: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportedService:
    hsds_id: uuid.UUID
    agency_hsds_id: uuid.UUID
    data: ServiceData
    is_active: bool = True
    hsds_ids: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Problem:
    """One record that was not loaded: its HSDS type and id, and why."""

    record_type: str
    record_id: str
    message: str

    def __str__(self) -> str:
        return f"{self.record_type} {self.record_id}: {self.message}"


@dataclass
class ImportReport:
    created: dict[str, int] = field(default_factory=lambda: {"agency": 0, "service": 0})
    updated: dict[str, int] = field(default_factory=lambda: {"agency": 0, "service": 0})
    unchanged: dict[str, int] = field(
        default_factory=lambda: {"agency": 0, "service": 0}
    )
    problems: list[Problem] = field(default_factory=list)


def _problem(exc: DomainError) -> str:
    if exc.fields:
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.fields.items())
    return exc.detail


@transaction.atomic
def directory_import(
    *,
    by: User | None,
    program: Program,
    agencies: Sequence[ImportedAgency],
    services: Sequence[ImportedService],
    problems: Sequence[Problem] = (),
) -> ImportReport:
    """Create or update agencies and services by their HSDS ids (a second
    run of the same file changes nothing), attach the agencies to
    ``program``, and audit every change in one bulk write.

    A record that does not validate is reported (type, id, why) and skipped;
    the others load. ``problems``: what the caller already found (a record
    the schema refused), carried into the report, and a service of a skipped
    organization is skipped too. ``by=None``: an operator's command.
    """
    if by is not None:
        directory_manage_access(user=by, program=program)
    report = ImportReport(problems=list(problems))
    entries: list[AuditEntry] = []
    existing = {
        a.hsds_id: a
        for a in Agency.objects.select_for_update()
        .filter(hsds_id__in=[a.hsds_id for a in agencies])
        .prefetch_related("programs")
    }
    taken_slugs: set[str] = set()
    loaded: dict[uuid.UUID, Agency] = {}
    for item in agencies:
        agency = existing.get(item.hsds_id)
        is_new = agency is None
        if agency is None:
            agency = Agency(hsds_id=item.hsds_id)
        elif by is not None:
            try:
                agency_access(user=by, agency=agency, action="manage")
            except DomainError as exc:
                report.problems.append(
                    Problem("organization", str(item.hsds_id), exc.detail)
                )
                continue
        before = {} if is_new else snapshot(agency, AGENCY_FIELDS)
        _apply_agency(agency, item.data)
        if not agency.slug:
            agency.slug = _unique_slug(agency.name, taken=taken_slugs)
        agency.is_active = item.is_active
        agency.hsds_ids = dict(item.hsds_ids)
        try:
            validate_model(agency)
        except DomainError as exc:
            report.problems.append(
                Problem("organization", str(item.hsds_id), _problem(exc))
            )
            continue
        taken_slugs.add(agency.slug)
        after = snapshot(agency, AGENCY_FIELDS)
        changes = after if is_new else diff(before, after)
        if is_new or changes:
            agency.save()
        program_ids = set() if is_new else {p.pk for p in agency.programs.all()}
        if program.pk not in program_ids:
            agency.programs.add(program)
            changes["programs"] = (
                [program.pk]
                if is_new
                else [sorted(program_ids), sorted(program_ids | {program.pk})]
            )
        loaded[item.hsds_id] = agency
        outcome = "created" if is_new else ("updated" if changes else "unchanged")
        getattr(report, outcome)["agency"] += 1
        if changes:
            entries.append(
                AuditEntry(
                    action=AuditAction.CREATE if is_new else AuditAction.UPDATE,
                    obj=agency,
                    person_id=None,
                    program_id=program.pk,
                    changes=changes,
                )
            )

    skipped = {p.record_id for p in report.problems if p.record_type == "organization"}
    others = {
        a.hsds_id: a
        for a in Agency.objects.filter(
            hsds_id__in=[
                s.agency_hsds_id for s in services if s.agency_hsds_id not in loaded
            ]
        )
    }
    existing_services = {
        s.hsds_id: s
        for s in Service.objects.select_for_update().filter(
            hsds_id__in=[s.hsds_id for s in services]
        )
    }
    for svc in services:
        if str(svc.agency_hsds_id) in skipped:
            report.problems.append(
                Problem(
                    "service",
                    str(svc.hsds_id),
                    f"its organization {svc.agency_hsds_id} was not loaded",
                )
            )
            continue
        agency = loaded.get(svc.agency_hsds_id) or others.get(svc.agency_hsds_id)
        if agency is None or (
            svc.agency_hsds_id not in loaded
            and not agency.programs.filter(pk=program.pk).exists()
        ):
            # An organization neither in the file nor already this program's.
            report.problems.append(
                Problem(
                    "service",
                    str(svc.hsds_id),
                    f"organization_id: no organization {svc.agency_hsds_id} "
                    "in the file or in the program's directory",
                )
            )
            continue
        service = existing_services.get(svc.hsds_id)
        is_new = service is None
        if service is None:
            service = Service(hsds_id=svc.hsds_id)
        before = {} if is_new else snapshot(service, SERVICE_FIELDS)
        service.agency = agency
        try:
            _apply_service(service, svc.data)
            service.is_active = svc.is_active
            service.hsds_ids = dict(svc.hsds_ids)
            validate_model(service)
        except DomainError as exc:
            report.problems.append(Problem("service", str(svc.hsds_id), _problem(exc)))
            if not is_new:
                service.refresh_from_db()
            continue
        after = snapshot(service, SERVICE_FIELDS)
        changes = after if is_new else diff(before, after)
        if changes:
            service.save()
            entries.append(
                AuditEntry(
                    action=AuditAction.CREATE if is_new else AuditAction.UPDATE,
                    obj=service,
                    person_id=None,
                    program_id=program.pk,
                    changes=changes,
                )
            )
        outcome = "created" if is_new else ("updated" if changes else "unchanged")
        getattr(report, outcome)["service"] += 1
    if entries:
        audit_records_bulk(actor=by, entries=entries)
    return report
