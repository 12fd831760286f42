"""Writes of partner tokens and service accounts, audited in the same
transaction (never the key or its hash: only the prefix that names it)."""

from __future__ import annotations

import datetime
import secrets

from django.db import transaction
from django.utils import timezone

from navigator.audit import audit_record, diff, snapshot
from navigator.errors import Conflict, DomainError
from navigator.models import AuditAction, User
from navigator.services import validate_model
from referrals.models import Agency, AgencyMember, PartnerToken
from referrals.models.partner import KEY_PREFIX, MAX_ACTIVE_TOKENS
from referrals.partners.selectors import (
    active_partner_tokens,
    hash_key,
    partner_token_access,
)

# What a token's audit event keeps: its agency, name, prefix and expiry.
PARTNER_TOKEN_AUDITED = ("agency_id", "name", "key_prefix", "expires_at")
MAX_LIFETIME_DAYS = 3 * 365


def partner_service_account_for(agency: Agency) -> User:
    """The agency's own principal (created the first time): what its tokens
    authenticate as. No password (it never signs in to the web), no
    program membership (no staff page or endpoint answers it)."""
    member = (
        AgencyMember.objects.select_related("user")
        .filter(agency=agency, is_service_account=True)
        .first()
    )
    if member is not None:
        return member.user
    user = User(username=f"agency-{agency.slug}"[:150], is_active=True)
    user.set_unusable_password()
    user.save()
    AgencyMember.objects.create(user=user, agency=agency, is_service_account=True)
    return user


@transaction.atomic
def partner_token_create(
    *,
    agency: Agency,
    name: str = "",
    by: User | None = None,
    expires_in_days: int | None = None,
) -> tuple[PartnerToken, str]:
    """A new token for ``agency``; the key is returned once, never stored.

    ``by``: an administrator or one of the agency's partner users (None: a
    command run on the server). At most two active tokens per agency: a
    third is refused, so rotating means revoking the old one first."""
    if by is not None:
        partner_token_access(user=by, agency=agency)
    # Locked, so two creations at once cannot both find room for one more.
    agency = Agency.objects.select_for_update().get(pk=agency.pk)
    if not agency.is_active:
        raise Conflict("This agency is deactivated.", code="agency_inactive")
    if active_partner_tokens(agency=agency).count() >= MAX_ACTIVE_TOKENS:
        raise Conflict(
            f"{agency.name} already has {MAX_ACTIVE_TOKENS} active tokens, the "
            "most it may hold while rotating: revoke one first.",
            code="too_many_tokens",
        )
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_LIFETIME_DAYS:
        raise DomainError.for_field(
            "expires",
            f"A token lives between 1 and {MAX_LIFETIME_DAYS} days.",
        )
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = PartnerToken(
        agency=agency,
        name=(name or "").strip(),
        key_prefix=key[: len(KEY_PREFIX) + 8],
        key_hash=hash_key(key),
        created_by=by,
    )
    if expires_in_days is not None:
        token.expires_at = timezone.now() + datetime.timedelta(days=expires_in_days)
    validate_model(token, exclude=["key_hash"])
    token.save()
    partner_service_account_for(agency)
    audit_record(
        actor=by,
        action=AuditAction.CREATE,
        obj=token,
        person_id=None,
        program_id=None,
        changes=diff({}, snapshot(token, PARTNER_TOKEN_AUDITED)),
    )
    return token, key


@transaction.atomic
def partner_token_revoke(
    *, token: PartnerToken, by: User | None = None
) -> PartnerToken:
    """Revoke a token at once (its next request is a 401). Revoking a
    revoked token changes nothing and writes no second event."""
    if by is not None:
        partner_token_access(user=by, agency=token.agency)
    locked = PartnerToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked_at is not None:
        return locked
    locked.revoked_at = timezone.now()
    locked.revoked_by = by
    locked.save(update_fields=["revoked_at", "revoked_by"])
    audit_record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=locked,
        person_id=None,
        program_id=None,
        changes={"revoked_at": [None, locked.revoked_at.isoformat()]},
    )
    return locked
