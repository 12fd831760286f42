"""Who is a partner (decided once, here), and reads of partner tokens."""

from __future__ import annotations

import hashlib

from django.db.models import QuerySet
from django.utils import timezone

from navigator.errors import NotFound
from navigator.models import STAFF_ROLES, Role, User
from navigator.selectors import is_administrator, program_ids_for
from referrals.models import Agency, AgencyMember, PartnerToken, Service
from referrals.models.partner import KEY_PREFIX

_CACHE = "_partner_agency_cache"


def partner_agency_for(user: object) -> Agency | None:
    """The agency a user acts for: an active member of an active agency
    (a partner user, or an agency's service account) who holds no program
    role (staff or administrator: their memberships decide, and are read
    for every request anyway). None: not a partner.

    Remembered on the user object, so one request asks the database once."""
    pk = getattr(user, "pk", None)
    if not getattr(user, "is_authenticated", False) or not pk:
        return None
    if hasattr(user, _CACHE):
        return getattr(user, _CACHE)
    if program_ids_for(user=user, roles=(*STAFF_ROLES, Role.ADMIN)):  # type: ignore[arg-type]
        setattr(user, _CACHE, None)
        return None
    member = (
        AgencyMember.objects.select_related("agency")
        .filter(user_id=pk, is_active=True, agency__is_active=True)
        .first()
    )
    agency = member.agency if member else None
    setattr(user, _CACHE, agency)
    return agency


def partner_program_ids_for(*, user: User) -> list[int]:
    """The programs a partner works with: those its agency is in."""
    agency = partner_agency_for(user)
    if agency is None:
        return []
    return list(agency.programs.values_list("id", flat=True))


def is_partner_key(key: str) -> bool:
    return key.startswith(KEY_PREFIX)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def partner_token_for_key(key: str) -> PartnerToken | None:
    """The active token with this key (unrevoked, unexpired, of an active
    agency), or None."""
    if not is_partner_key(key):
        return None
    return (
        PartnerToken.objects.select_related("agency")
        .filter(
            key_hash=hash_key(key),
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
            agency__is_active=True,
        )
        .first()
    )


def active_partner_tokens(*, agency: Agency) -> QuerySet[PartnerToken]:
    return PartnerToken.objects.filter(
        agency=agency, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )


def partner_token_access(*, user: User, agency: Agency) -> None:
    """Who keeps an agency's tokens: administrators, and the agency's own
    partner users (not its service account: a token cannot mint tokens)."""
    if is_administrator(user=user):
        return
    member = AgencyMember.objects.filter(
        user_id=user.pk,
        agency_id=agency.pk,
        is_active=True,
        is_service_account=False,
        agency__is_active=True,
    )
    if not member.exists():
        raise NotFound("No such agency.")


def partner_tokens_for(*, user: User, agency: Agency) -> QuerySet[PartnerToken]:
    """An agency's tokens, newest first (revoked and expired ones too)."""
    partner_token_access(user=user, agency=agency)
    return PartnerToken.objects.filter(agency=agency).order_by("-created_at", "-id")


def partner_token_get_for(*, user: User, pk: int | str) -> PartnerToken:
    if not (str(pk).isascii() and str(pk).isdigit()):
        raise NotFound("No such token.")
    token = PartnerToken.objects.select_related("agency").filter(pk=pk).first()
    if token is None:
        raise NotFound("No such token.")
    try:
        partner_token_access(user=user, agency=token.agency)
    except NotFound:
        raise NotFound("No such token.") from None
    return token


def partner_agency_get_for(*, user: User) -> Agency:
    """The agency of a partner user's own pages (a staff user: 404)."""
    agency = partner_agency_for(user)
    if agency is None:
        raise NotFound("No such page.")
    return agency


def partner_services_for(*, agency: Agency) -> QuerySet[Service]:
    """The agency's own active services (its landing page)."""
    return Service.objects.filter(agency=agency, is_active=True).order_by("name", "id")
