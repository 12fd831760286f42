"""Writes of the platform: resolving where a write goes, API tokens, and the
administration of programs and memberships (the admin site calls these)."""

from __future__ import annotations

import secrets
import unicodedata

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction
from django.utils import timezone

from navigator.audit import audit_record, diff, snapshot
from navigator.errors import DomainError
from navigator.fields import REASON_MAX_LENGTH
from navigator.models import (
    ApiToken,
    AuditAction,
    Membership,
    Program,
    User,
)
from navigator.selectors import (
    administration_access,
    staff_program_ids_for,
)

# The key the API and the forms use for errors that belong to no one field.
NON_FIELD_ERRORS_KEY = "non_field_errors"


def program_for_write(*, user: User, program: Program | int | str | None) -> Program:
    """The program a new record goes into, which must be one of the user's.

    With no program given, a user of exactly one program writes there.
    """
    allowed = staff_program_ids_for(user=user)
    if program is None:
        if len(allowed) == 1:
            return Program.objects.get(pk=allowed[0])
        raise DomainError.for_field(
            "program", "Choose the program this record belongs to.", code="required"
        )
    program_id = program.pk if isinstance(program, Program) else program
    if (
        isinstance(program_id, str)
        and program_id.strip().isascii()
        and program_id.strip().isdigit()
    ):
        # Forms and query strings carry ids as text.
        program_id = int(program_id)
    if program_id not in allowed:
        raise DomainError.for_field("program", "Unknown program.", code="not_found")
    return (
        program if isinstance(program, Program) else Program.objects.get(pk=program_id)
    )


def _error_text(instance: models.Model, field: str | None, error) -> str:
    # Django replaces a validator's message by the field's own message for the
    # same code (e.g. "invalid_choice": "Value %(value)r is not a valid
    # choice."), keeping the validator's params; formatting that the way
    # ``message_dict`` does raises KeyError, i.e. a 500 for bad input. Give
    # the message the value it may refer to, and never fail on formatting.
    message = error.message
    if not error.params:
        return str(message)
    params = dict(error.params)
    if field is not None:
        params.setdefault("value", getattr(instance, field, None))
    try:
        return str(message % params)
    except (KeyError, TypeError, ValueError):
        return str(message)


def _error_fields(instance: models.Model, exc: ValidationError) -> dict:
    if not hasattr(exc, "error_dict"):
        return {
            NON_FIELD_ERRORS_KEY: [
                _error_text(instance, None, e) for e in exc.error_list
            ]
        }
    return {
        (NON_FIELD_ERRORS_KEY if name == NON_FIELD_ERRORS else name): [
            _error_text(instance, None if name == NON_FIELD_ERRORS else name, error)
            for error in errors
        ]
        for name, errors in exc.error_dict.items()
    }


def validate_model(instance: models.Model, *, exclude: list[str] | None = None) -> None:
    """``full_clean()`` with Django's errors turned into the domain's error."""
    try:
        instance.full_clean(exclude=exclude, validate_unique=True)
    except ValidationError as exc:
        fields = _error_fields(instance, exc)
        summary = "; ".join(f"{k}: {v[0]}" for k, v in fields.items())
        raise DomainError(f"Invalid input. {summary}", fields=fields) from exc


def _visible(ch: str) -> bool:
    # Unicode categories: Cc control, Cf format (zero-width space, joiners,
    # direction marks), Z* separators.
    return not ch.isspace() and unicodedata.category(ch)[0] not in ("C", "Z")


def clean_reason(reason: str | None, *, required: str = "") -> str:
    """A reason for the audit log: stripped, bounded, without NUL characters.

    ``required``: the message when it may not be empty. Every service that
    takes a reason calls this, whether the reason is also kept on the record
    (``deleted_reason``) or only in the audit log (a restore).
    """
    reason = (reason or "").strip()
    if not any(_visible(ch) for ch in reason):
        # Only zero-width or control characters: no reason a reader can see.
        reason = ""
    if required and not reason:
        raise DomainError.for_field("reason", required, code="required")
    if len(reason) > REASON_MAX_LENGTH:
        raise DomainError.for_field(
            "reason",
            f"Ensure this value has at most {REASON_MAX_LENGTH} characters "
            f"(it has {len(reason)}).",
            code="max_length",
        )
    if "\x00" in reason:
        raise DomainError.for_field(
            "reason", "Null characters are not allowed.", code="null_characters"
        )
    return reason


# What a token's audit event keeps: whose, its name and the prefix that
# identifies it in lists, never the key or its hash.
TOKEN_AUDITED_FIELDS = ("user_id", "name", "key_prefix")


@transaction.atomic
def api_token_create(
    *, user: User, name: str, by: User | None = None
) -> tuple[ApiToken, str]:
    """Create a token; the plain key is returned once and never stored.

    Audited (issue 8): a token acts as its user. ``by`` is who created it
    (None: a management command run by an operator)."""
    from navigator.api.authentication import hash_token

    if not user.is_active:
        raise DomainError.for_field("user", "This user is deactivated.")
    key = secrets.token_urlsafe(32)
    token = ApiToken(
        user=user, name=(name or "").strip(), key_prefix=key[:8], key_hash=""
    )
    validate_model(token, exclude=["key_hash"])
    token.key_hash = hash_token(key)
    token.save()
    audit_record(
        actor=by,
        action=AuditAction.CREATE,
        obj=token,
        person_id=None,
        program_id=None,
        changes=diff({}, snapshot(token, TOKEN_AUDITED_FIELDS)),
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken, by: User | None = None) -> ApiToken:
    """Revoke a token; revoking a revoked token changes nothing (and writes
    no second audit event). The revocation is the token's soft delete.

    ``by``: who revoked it (None: a command run on the server); an
    administrator may revoke anyone's token, anyone else only their own.
    """
    if by is not None and by.pk != token.user_id:
        administration_access(user=by)
    # Locked, so two revokes at once agree on one revocation time.
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        audit_record(
            actor=by,
            action=AuditAction.DELETE,
            obj=locked,
            person_id=None,
            program_id=None,
            changes={"revoked_at": [None, locked.revoked_at.isoformat()]},
        )
    # Callers keep using the object they passed in.
    token.revoked_at = locked.revoked_at
    return token


# --- Administration (the admin site, navigator/admin.py) ---------------------


def save_audited(
    *,
    by: User | None,
    instance: models.Model,
    fields: list[str],
    program_id: int | None,
    reason: str = "",
) -> models.Model:
    """Validate and save a row a form has filled in, auditing what changed.

    ``fields``: the ones the audit log shows (never a secret such as the
    password hash). A new row is a CREATE with every field; a saved row an
    UPDATE with only the fields that changed (none changed: no event, as
    nothing happened). The caller holds the transaction and checked access.
    """
    before: dict = {}
    creating = instance.pk is None
    if not creating:
        # Locked, so the diff is against what this save replaces.
        stored = type(instance)._default_manager.select_for_update().get(pk=instance.pk)
        before = snapshot(stored, fields)
    validate_model(instance)
    instance.save()
    changes = diff(before, snapshot(instance, fields))
    if creating or changes:
        audit_record(
            actor=by,
            action=AuditAction.CREATE if creating else AuditAction.UPDATE,
            obj=instance,
            person_id=None,
            program_id=program_id,
            changes=changes,
            reason=reason,
        )
    return instance


# What the audit log shows of a program: all of it (no secrets, no health data).
PROGRAM_AUDITED_FIELDS = [
    "name",
    "slug",
    "jurisdictions",
    "response_model",
    "time_zone",
    "require_mfa",
    "session_idle_minutes",
]
MEMBERSHIP_AUDITED_FIELDS = ["user_id", "program_id", "role", "is_active"]


@transaction.atomic
def program_save(*, by: User, program: Program) -> Program:
    """Create a program, or save the settings an administrator changed."""
    administration_access(user=by)
    save_audited(
        by=by,
        instance=program,
        fields=PROGRAM_AUDITED_FIELDS,
        # A new program's pk is known only after the save; its event is about
        # the program either way (object_id), so no program scope is needed.
        program_id=program.pk,
    )
    return program


@transaction.atomic
def membership_save(*, by: User, membership: Membership) -> Membership:
    """Give a user a role in a program, or change / deactivate that role.

    Memberships are never deleted (the audit log names them): a role is
    taken away with ``is_active=False``.
    """
    administration_access(user=by)
    save_audited(
        by=by,
        instance=membership,
        fields=MEMBERSHIP_AUDITED_FIELDS,
        program_id=membership.program_id,
    )
    return membership
