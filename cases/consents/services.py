"""Writes of consents: record, revoke, mark as recorded in error.

A consent is never edited after it is recorded: what the person signed is
what it says. A mistake is marked "recorded in error" (soft delete, with a
reason) and a new one recorded; a withdrawal is a revocation.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from cases.consents import hooks
from cases.consents.rules import part2_missing_elements
from cases.consents.selectors import consent_access
from cases.models import (
    Consent,
    ConsentMethod,
    Person,
    RecipientKind,
    RevokeMethod,
)
from cases.services.people import lock_person
from navigator import softdelete
from navigator.audit import audit_record, snapshot
from navigator.errors import Conflict, DomainError, NotFound
from navigator.models import AuditAction, Program, StoredFile, User
from navigator.services import clean_reason, validate_model
from navigator.uploads import store_upload

# Where a consent's scanned form is kept, under the private root.
FORM_PURPOSE = "consent_form"

AUDITED_FIELDS = (
    "recipient_kind",
    "agency_id",
    "purpose",
    "purpose_detail",
    "info_classes",
    "information_description",
    "discloser",
    "signed_on",
    "expires_on",
    "expiry_event",
    "method",
    "witness_name",
    "signature_obtained",
    "right_to_revoke_stated",
    "redisclosure_statement",
    "part2_missing",
    "form_id",
    "notes",
    "revoked_at",
    "revoked_by_id",
    "revoked_method",
    "revoked_reason",
)


@dataclass(frozen=True)
class ConsentData:
    """What a consent says, as the person gave it."""

    purpose: str
    info_classes: list[str]
    signed_on: datetime.date
    method: str
    recipient_kind: str = RecipientKind.AGENCY
    agency_id: int | None = None
    purpose_detail: str = ""
    information_description: str = ""
    discloser: str = ""
    expires_on: datetime.date | None = None
    expiry_event: str = ""
    witness_name: str = ""
    signature_obtained: bool = False
    right_to_revoke_stated: bool = False
    redisclosure_statement: bool = False
    notes: str = ""
    form: StoredFile | None = field(default=None, compare=False)


def _partner_agency_ids(program: Program) -> set[int]:
    return set(program.agencies.filter(is_active=True).values_list("id", flat=True))


def _check(data: ConsentData, person: Person, today: datetime.date) -> None:
    errors: dict[str, list[str]] = {}
    if data.recipient_kind == RecipientKind.AGENCY:
        if data.agency_id is None:
            errors["agency"] = ["Choose the agency the person agreed to share with."]
        elif data.agency_id not in _partner_agency_ids(person.program):
            errors["agency"] = ["No such agency among the program's partners."]
    elif data.recipient_kind == RecipientKind.PROGRAM_PARTNERS:
        if data.agency_id is not None:
            errors["agency"] = [
                "A consent to any partner of the program names no one agency."
            ]
    else:
        errors["recipient_kind"] = ["Choose who may receive the information."]
    if not data.info_classes:
        errors["info_classes"] = ["Choose what information may be shared."]
    if data.signed_on > today:
        errors["signed_on"] = ["The date signed is in the future."]
    if data.expires_on is not None and data.expires_on < data.signed_on:
        errors["expires_on"] = ["The consent would expire before it was signed."]
    # HIPAA §164.508(c)(1)(v) and 42 CFR §2.31(a)(7): every authorization
    # ends on a date or an event.
    if data.expires_on is None and not data.expiry_event.strip():
        errors["expires_on"] = ["Give an expiry date or the event that ends it."]
    if data.method == ConsentMethod.VERBAL_WITNESSED and not data.witness_name.strip():
        errors["witness_name"] = ["A verbal consent needs the witness's name."]
    if data.form is not None and data.form.uploaded_at is None:
        errors["form"] = ["The scanned form was not stored."]
    if errors:
        first = next(iter(errors.values()))[0]
        raise DomainError(first, fields=errors)


def consent_draft(*, by: User, person: Person, data: ConsentData) -> Consent:
    """The consent ``data`` would record, unsaved and unchecked: what the
    form shows while it is filled in (which §2.31 elements are missing)."""
    consent = Consent(
        person=person,
        program_id=person.program_id,
        recipient_kind=data.recipient_kind,
        agency_id=data.agency_id,
        purpose=data.purpose,
        purpose_detail=data.purpose_detail.strip(),
        info_classes=list(data.info_classes),
        information_description=data.information_description.strip(),
        discloser=data.discloser.strip(),
        signed_on=data.signed_on,
        expires_on=data.expires_on,
        expiry_event=data.expiry_event.strip(),
        method=data.method,
        witness_name=data.witness_name.strip(),
        signature_obtained=data.signature_obtained
        and data.method != ConsentMethod.VERBAL_WITNESSED,
        right_to_revoke_stated=data.right_to_revoke_stated,
        redisclosure_statement=data.redisclosure_statement,
        notes=data.notes,
        form=data.form,
        recorded_by=by,
    )
    consent.part2_missing = part2_missing_elements(consent)
    return consent


@transaction.atomic
def consent_record(
    *,
    by: User,
    person: Person,
    data: ConsentData,
    form_upload: UploadedFile | None = None,
) -> Consent:
    """Record a consent the person gave, with its scanned form if uploaded
    (checked as every upload is: ``navigator.uploads``; errors name the
    field ``form``). Substance-use information is kept as asked but does not
    count until every §2.31 element is there (``part2_missing`` says which
    are not; the selector decides)."""
    person = lock_person(person, by=by, action="edit")
    today = timezone.localtime(timezone.now(), person.program.tz).date()
    _check(data, person, today)
    consent = consent_draft(by=by, person=person, data=data)
    if form_upload is not None:
        consent.form = store_upload(
            by=by, upload=form_upload, purpose=FORM_PURPOSE, field="form"
        )
    validate_model(consent, exclude=["recorded_by", "person", "program"])
    consent.save()
    audit_record(
        actor=by,
        action=AuditAction.CREATE,
        obj=consent,
        person_id=person.pk,
        program_id=person.program_id,
        changes={k: [None, v] for k, v in snapshot(consent, AUDITED_FIELDS).items()},
    )
    return consent


def _lock(consent: Consent, *, by: User, action: str) -> Consent:
    locked = (
        Consent.objects.select_for_update(of=("self",))
        .select_related("person", "person__program")
        .filter(pk=consent.pk)
        .first()
    )
    if locked is None:
        raise NotFound("No such consent.")
    consent_access(user=by, consent=locked, action=action)  # type: ignore[arg-type]
    return locked


@transaction.atomic
def consent_attach_form(
    *, by: User, consent: Consent, form_upload: UploadedFile
) -> Consent:
    """Attach the scanned form to a consent recorded without it. What the
    person signed never changes: a consent that has a form keeps it (409)."""
    consent = _lock(consent, by=by, action="attach_form")
    if consent.is_deleted:
        raise Conflict("This consent was recorded in error.", code="invalid_state")
    if consent.form_id is not None:
        raise Conflict(
            "This consent already has its scanned form.",
            code="form_exists",
            fields={"form": ["This consent already has its scanned form."]},
        )
    consent.form = store_upload(
        by=by, upload=form_upload, purpose=FORM_PURPOSE, field="form"
    )
    consent.save(update_fields=["form", "updated_at"])
    audit_record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=consent,
        person_id=consent.person_id,
        program_id=consent.program_id,
        changes={"form_id": [None, str(consent.form_id)]},
    )
    return consent


@transaction.atomic
def consent_revoke(
    *, by: User, consent: Consent, method: str, reason: str = ""
) -> Consent:
    """The person withdraws the consent: from now on it allows nothing
    (42 CFR §2.31(a)(6); HIPAA §164.508(b)(5)). What was already disclosed
    under it stays disclosed; nothing sent later relies on it."""
    consent = _lock(consent, by=by, action="revoke")
    if consent.is_deleted:
        raise Conflict("This consent was recorded in error.", code="invalid_state")
    if consent.revoked_at is not None:
        raise Conflict("This consent is already revoked.", code="already_revoked")
    if method not in RevokeMethod.values:
        raise DomainError.for_field("method", "Say how the person revoked it.")
    reason = clean_reason(reason)
    before = snapshot(consent, AUDITED_FIELDS)
    consent.revoked_at = timezone.now()
    consent.revoked_by = by
    consent.revoked_method = method
    consent.revoked_reason = reason
    consent.save(
        update_fields=[
            "revoked_at",
            "revoked_by",
            "revoked_method",
            "revoked_reason",
            "updated_at",
        ]
    )
    after = snapshot(consent, AUDITED_FIELDS)
    audit_record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=consent,
        person_id=consent.person_id,
        program_id=consent.program_id,
        changes={k: [before[k], after[k]] for k in after if before[k] != after[k]},
        reason=reason,
    )
    # In this transaction: the partners relying on it are told (webhooks).
    hooks.consent_revoked(consent)
    return consent


@transaction.atomic
def consent_mark_in_error(*, by: User, consent: Consent, reason: str) -> Consent:
    """A consent typed for the wrong person or with wrong terms: hidden from
    every decision (soft delete with the reason); the history keeps it."""
    consent = _lock(consent, by=by, action="delete")
    return softdelete.soft_delete(
        obj=consent,
        by=by,
        reason=reason,
        program_id=consent.program_id,
        person_id=consent.person_id,
        what="consent",
    )
