"""Reads about signing in: lockouts, who must use MFA, session limits."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.utils import timezone

from navigator.accounts.throttling import attempted_username
from navigator.models import STAFF_ROLES, User
from navigator.selectors import memberships_for


@dataclass(frozen=True)
class LoginLockout:
    failures: int
    locked: bool
    last_failure_at: datetime.datetime | None


def login_lockout_for(*, user: User) -> LoginLockout:
    """The account's recent failed sign-ins (within the cool-off), as axes
    counts them for the account itself (address locks are not the user's)."""
    recent = AccessAttempt.objects.filter(
        username=attempted_username(None, {"username": user.get_username()}),
        attempt_time__gte=timezone.now() - get_cool_off(),
    ).aggregate(n=Sum("failures_since_start"), last=Max("attempt_time"))
    failures = recent["n"] or 0
    return LoginLockout(
        failures=failures,
        locked=failures >= settings.AXES_FAILURE_LIMIT,
        last_failure_at=recent["last"],
    )


def mfa_types_for(*, user: User) -> list[str]:
    """The kinds of second factor the user has set up, e.g. ["totp", ...]."""
    return sorted(
        set(Authenticator.objects.filter(user=user).values_list("type", flat=True))
    )


def mfa_required_for(*, user: User) -> bool:
    """Must this user sign in with a second factor?

    Everyone when the deployment says so (NAVIGATOR_REQUIRE_MFA); otherwise
    whoever holds a staff role in a program that requires it.
    """
    if not user.is_authenticated:
        return False
    if settings.NAVIGATOR_REQUIRE_MFA:
        return True
    return any(
        m.program.require_mfa and m.role in STAFF_ROLES
        for m in memberships_for(user=user)
    )


def has_mfa(*, user: User) -> bool:
    """Has the user a factor that allauth asks for at sign-in?"""
    return Authenticator.objects.filter(
        user=user,
        type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN],
    ).exists()


def session_idle_seconds_for(*, user: User) -> int:
    """Inactivity after which the user's session ends: the deployment's
    SESSION_COOKIE_AGE, or less when one of the user's programs asks for it
    (the strictest applies)."""
    limits = [settings.SESSION_COOKIE_AGE]
    limits += [m.program.session_idle_minutes * 60 for m in memberships_for(user=user)]
    return min(limits)


def sessions_for(*, user: User) -> list[UserSession]:
    """The user's live sessions, oldest first (ended ones are purged)."""
    return sorted(UserSession.objects.purge_and_list(user), key=lambda s: s.created_at)
