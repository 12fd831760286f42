"""Creating, sending and editing referrals, and their notes."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from cases.models import Consent, Encounter, InfoClass, Person
from cases.services.people import lock_person
from navigator.audit import diff, snapshot
from navigator.errors import Conflict, DomainError
from navigator.models import AuditAction, User
from navigator.selectors import staff_users_of
from navigator.services import validate_model
from referrals.lifecycle import OPEN
from referrals.models import (
    Agency,
    Referral,
    ReferralGroup,
    ReferralNote,
    ReferralStatus,
    Service,
    Urgency,
)
from referrals.selectors import respond_by_defaults_for
from referrals.services._common import AUDITED_FIELDS, audit, lock
from referrals.services.lifecycle import request_checked
from referrals.webhooks import events as webhook_events

# One need sent to this many services at once, at most: the first to accept
# wins (a crisis bed, whichever opens first).
MAX_GROUP_SIZE = 3


@dataclass(frozen=True)
class ReferralData:
    """A new referral: the person, where to, and why."""

    person: Person
    reason: str
    agency: Agency | None = None
    service: Service | None = None
    encounter: Encounter | None = None
    info_classes: list[str] = field(default_factory=lambda: [InfoClass.GENERAL])
    urgency: str = Urgency.ROUTINE
    is_involuntary: bool = False
    assigned_to: User | None = None
    respond_by: datetime.date | None = None
    consent: Consent | None = None
    # Emergency only: send although no consent allows it (recorded, audited).
    consent_override_reason: str = ""


@dataclass(frozen=True)
class ReferralChanges:
    """Editable fields of an open referral; None leaves a field as it is."""

    reason: str | None = None
    urgency: str | None = None
    respond_by: datetime.date | None = None
    assigned_to: User | None = None
    is_involuntary: bool | None = None


def _respond_by_default(person: Person, urgency: str) -> datetime.date:
    defaults = respond_by_defaults_for(program=person.program)
    return defaults.get(urgency, defaults[Urgency.ROUTINE])


def _check_respond_by(person: Person, value: datetime.date) -> None:
    today = timezone.localtime(timezone.now(), person.program.tz).date()
    if value < today:
        raise DomainError.for_field(
            "respond_by", "The respond-by date is in the past.", code="past"
        )
    if value > today + datetime.timedelta(days=366):
        raise DomainError.for_field(
            "respond_by", "Give a respond-by date within a year.", code="out_of_range"
        )


def _check_assignee(person: Person, user: User) -> None:
    if not staff_users_of(program_ids=[person.program_id]).filter(pk=user.pk).exists():
        raise DomainError.for_field(
            "assigned_to", "Choose a caseworker of the person's program."
        )


def _resolve_target(
    person: Person, data: ReferralData
) -> tuple[Agency, Service | None]:
    service = data.service
    agency = data.agency or (service.agency if service is not None else None)
    if agency is None:
        raise DomainError.for_field("agency", "Choose the agency to refer to.")
    partner = agency.is_active and agency.programs.filter(pk=person.program_id).exists()
    if not partner:
        raise DomainError.for_field(
            "agency", "No such agency among the program's partners.", code="unknown"
        )
    if service is not None:
        if service.agency_id != agency.pk:
            raise DomainError.for_field(
                "service", "That service is not one of the agency's.", code="mismatch"
            )
        if not service.is_active:
            raise DomainError.for_field(
                "service", "That service is no longer offered.", code="inactive"
            )
    return agency, service


def _build(
    by: User, person: Person, data: ReferralData, *, agency, service
) -> Referral:
    if data.encounter is not None and (
        data.encounter.person_id != person.pk or data.encounter.is_deleted
    ):
        raise DomainError.for_field(
            "encounter", "That encounter is not this person's.", code="mismatch"
        )
    if data.consent is not None and (
        data.consent.person_id != person.pk or data.consent.is_deleted
    ):
        raise DomainError.for_field(
            "consent", "That consent is not this person's.", code="mismatch"
        )
    if not data.info_classes or not set(data.info_classes) <= set(InfoClass.values):
        raise DomainError.for_field(
            "info_classes", "Choose what information the referral carries."
        )
    if data.urgency not in Urgency.values:
        raise DomainError.for_field("urgency", "Choose how urgent it is.")
    assignee = data.assigned_to or by
    _check_assignee(person, assignee)
    if data.respond_by is not None:
        _check_respond_by(person, data.respond_by)
    now = timezone.now()
    referral = Referral(
        program_id=person.program_id,
        person=person,
        encounter=data.encounter,
        agency=agency,
        service=service,
        reason=data.reason.strip(),
        info_classes=[c for c in InfoClass.values if c in data.info_classes],
        urgency=data.urgency,
        is_involuntary=data.is_involuntary,
        created_by=by,
        assigned_to=assignee,
        consent=data.consent,
        respond_by=data.respond_by or _respond_by_default(person, data.urgency),
        status=ReferralStatus.DRAFT,
        status_changed_at=now,
    )
    referral.program = person.program
    if not referral.reason:
        raise DomainError.for_field("reason", "Say what the person needs.")
    validate_model(referral, exclude=["created_by", "person", "program", "agency"])
    return referral


@transaction.atomic
def referral_create(*, by: User, data: ReferralData, send: bool = False) -> Referral:
    """A draft referral, or (``send``) one requested at once: the consent
    gate decides (``referral_transition`` to requested)."""
    person = lock_person(data.person, by=by, action="edit")
    agency, service = _resolve_target(person, data)
    referral = _build(by, person, data, agency=agency, service=service)
    referral.save()
    audit(
        by,
        AuditAction.CREATE,
        referral,
        {k: [None, v] for k, v in snapshot(referral, AUDITED_FIELDS).items()},
    )
    if send:
        request_checked(referral, by=by, override_reason=data.consent_override_reason)
    return referral


@transaction.atomic
def referral_send_group(
    *, by: User, data: ReferralData, services: list[Service]
) -> list[Referral]:
    """Send one need to up to three services at once: each is its own
    referral, in one group; the first to accept wins and the others are
    cancelled as placed elsewhere (``referral_transition``). All or none:
    one that the consent gate refuses sends none."""
    if not services:
        raise DomainError.for_field("services", "Choose at least one service.")
    if len(services) > MAX_GROUP_SIZE:
        raise DomainError.for_field(
            "services", f"Send to at most {MAX_GROUP_SIZE} services at once."
        )
    if len({s.pk for s in services}) != len(services):
        raise DomainError.for_field("services", "A service is chosen twice.")
    person = lock_person(data.person, by=by, action="edit")
    group = (
        ReferralGroup.objects.create(
            program_id=person.program_id, person=person, created_by=by
        )
        if len(services) > 1
        else None
    )
    sent: list[Referral] = []
    for service in services:
        item = ReferralData(**{**data.__dict__, "service": service, "agency": None})
        agency, svc = _resolve_target(person, item)
        referral = _build(by, person, item, agency=agency, service=svc)
        referral.group = group
        referral.save()
        audit(
            by,
            AuditAction.CREATE,
            referral,
            {k: [None, v] for k, v in snapshot(referral, AUDITED_FIELDS).items()},
        )
        request_checked(referral, by=by, override_reason=data.consent_override_reason)
        sent.append(referral)
    return sent


@transaction.atomic
def referral_update(
    *, by: User, referral: Referral, changes: ReferralChanges
) -> Referral:
    """Edit an open referral's reason, urgency, respond-by date, assignee."""
    referral = lock(referral, by=by, action="edit")
    if referral.status not in OPEN:
        raise Conflict(
            f"A {referral.get_status_display().lower()} referral cannot be edited.",
            code="invalid_state",
        )
    before = snapshot(referral, AUDITED_FIELDS)
    if changes.reason is not None:
        if not changes.reason.strip():
            raise DomainError.for_field("reason", "Say what the person needs.")
        referral.reason = changes.reason.strip()
    if changes.urgency is not None:
        if changes.urgency not in Urgency.values:
            raise DomainError.for_field("urgency", "Choose how urgent it is.")
        if (
            referral.consent_override_reason
            and changes.urgency != Urgency.EMERGENCY
            and referral.urgency == Urgency.EMERGENCY
        ):
            # It went out without consent because it was an emergency; a
            # later "routine" would make it a routine referral sent without
            # consent.
            raise Conflict(
                "This referral was sent without consent as an emergency; "
                "its urgency stays emergency.",
                code="override_urgency",
                fields={"urgency": ["Sent without consent as an emergency."]},
            )
        referral.urgency = changes.urgency
    if changes.respond_by is not None and changes.respond_by != referral.respond_by:
        _check_respond_by(referral.person, changes.respond_by)
        referral.respond_by = changes.respond_by
    if changes.assigned_to is not None:
        _check_assignee(referral.person, changes.assigned_to)
        referral.assigned_to = changes.assigned_to
    if changes.is_involuntary is not None:
        referral.is_involuntary = changes.is_involuntary
    validate_model(referral, exclude=["created_by", "person", "program", "agency"])
    changed = diff(before, snapshot(referral, AUDITED_FIELDS))
    if changed:
        referral.save()
        audit(by, AuditAction.UPDATE, referral, changed)
        # No field names: "is_involuntary" changed would say too much.
        webhook_events.referral_changed(referral, event="edited")
    return referral


@transaction.atomic
def referral_note_add(
    *, by: User, referral: Referral, text: str, by_agency: bool = False
) -> ReferralNote:
    """A note on the referral's thread (staff, or the agency's user)."""
    referral = lock(referral, by=by, action="note")
    note = ReferralNote(
        referral=referral, author=by, text=text.strip(), by_agency=by_agency
    )
    if not note.text:
        raise DomainError.for_field("text", "Write the note.")
    validate_model(note, exclude=["referral", "author"])
    note.save()
    audit(by, AuditAction.UPDATE, referral, {"note": [None, note.pk]})
    webhook_events.referral_changed(
        referral, event="note_added", extra={"note_id": note.pk}
    )
    return note
