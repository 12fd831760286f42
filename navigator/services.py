"""Writes of the platform: resolving where a write goes, API tokens."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from navigator.errors import DomainError
from navigator.models import STAFF_ROLES, ApiToken, Program, User
from navigator.selectors import program_ids_for


def program_for_write(*, user: User, program: Program | int | None) -> Program:
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


def validate_model(instance: models.Model, *, exclude: list[str] | None = None) -> None:
    """``full_clean()`` with Django's errors turned into the domain's error."""
    try:
        instance.full_clean(exclude=exclude, validate_unique=True)
    except ValidationError as exc:
        fields = {
            ("non_field_errors" if k == "__all__" else k): v
            for k, v in exc.message_dict.items()
        }
        summary = "; ".join(f"{k}: {v[0]}" for k, v in fields.items())
        raise DomainError(f"Invalid input. {summary}", fields=fields) from exc


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token; the plain key is returned once and never stored."""
    from navigator.api.authentication import hash_token

    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, key_prefix=key[:8], key_hash=hash_token(key)
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token
