"""Writes of the platform: resolving where a write goes, API tokens."""

from __future__ import annotations

import secrets

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction
from django.utils import timezone

from navigator.errors import DomainError
from navigator.fields import REASON_MAX_LENGTH
from navigator.models import STAFF_ROLES, ApiToken, Program, User
from navigator.selectors import program_ids_for

# The key the API and the forms use for errors that belong to no one field.
NON_FIELD_ERRORS_KEY = "non_field_errors"


def program_for_write(*, user: User, program: Program | int | str | None) -> Program:
    """The program a new record goes into, which must be one of the user's.

    With no program given, a user of exactly one program writes there.
    """
    allowed = program_ids_for(user=user, roles=STAFF_ROLES)
    if program is None:
        if len(allowed) == 1:
            return Program.objects.get(pk=allowed[0])
        raise DomainError.for_field(
            "program", "Choose the program this record belongs to.", code="required"
        )
    program_id = program.pk if isinstance(program, Program) else program
    if isinstance(program_id, str) and program_id.strip().isdigit():
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


def clean_reason(reason: str | None, *, required: str = "") -> str:
    """A reason for the audit log: stripped, bounded, without NUL characters.

    ``required``: the message when it may not be empty. Every service that
    takes a reason calls this, whether the reason is also kept on the record
    (``deleted_reason``) or only in the audit log (a restore).
    """
    reason = (reason or "").strip()
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


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token; the plain key is returned once and never stored."""
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
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke a token; revoking a revoked token changes nothing."""
    # Locked, so two revokes at once agree on one revocation time.
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
    # Callers keep using the object they passed in.
    token.revoked_at = locked.revoked_at
    return token
