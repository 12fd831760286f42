"""Session limits beyond Django's idle expiry (OWASP ASVS 4.0 V3.3, V3.2.1).

- Idle: SESSION_COOKIE_AGE (30 minutes) with SESSION_SAVE_EVERY_REQUEST is
  the outer bound; a program may ask for less (Program.session_idle_minutes,
  15 to 30), and the strictest of the user's programs applies (V3.3.2).
- Absolute: a session ends NAVIGATOR_SESSION_ABSOLUTE_SECONDS (12 hours) after
  sign-in, however active it is (V3.3.2, L2: 12 hours).
- Rotation: Django gives a new session key at sign-in (V3.2.1); this module
  gives another whenever the user's privileges change (memberships, roles,
  staff or superuser flags), so a key seen before the change is worthless.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout

from navigator.models import User
from navigator.selectors import memberships_for

SIGNED_IN_AT = "navigator_signed_in_at"
LAST_SEEN_AT = "navigator_last_seen_at"
PRIVILEGES = "navigator_privileges"


def privileges_fingerprint(user: User) -> str:
    """A digest of everything that decides what the user may do."""
    grants = sorted((m.program_id, m.role) for m in memberships_for(user=user))
    text = repr((user.pk, user.is_active, user.is_staff, user.is_superuser, grants))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def session_signed_in(*, session, user: User) -> None:
    """Start the clocks and remember the privileges; called at every sign-in."""
    now = time.time()
    session[SIGNED_IN_AT] = now
    session[LAST_SEEN_AT] = now
    session[PRIVILEGES] = privileges_fingerprint(user)


def _ended_because(session, user: User, now: float) -> str | None:
    from navigator.accounts.selectors import session_idle_seconds_for

    signed_in_at = session.get(SIGNED_IN_AT)
    if signed_in_at is not None:
        hours = settings.NAVIGATOR_SESSION_ABSOLUTE_SECONDS / 3600
        if now - signed_in_at > settings.NAVIGATOR_SESSION_ABSOLUTE_SECONDS:
            return (
                f"You were signed out: a session lasts at most {hours:g} hours. "
                "Please sign in again."
            )
    last_seen_at = session.get(LAST_SEEN_AT)
    if last_seen_at is not None:
        idle = session_idle_seconds_for(user=user)
        if now - last_seen_at > idle:
            return (
                f"You were signed out after {idle // 60} minutes without "
                "activity. Please sign in again."
            )
    return None


def _rotate_key(request) -> None:
    from allauth.usersessions.models import UserSession

    old_key = request.session.session_key
    request.session.cycle_key()
    # The sessions list (and "sign out everywhere else") follows the new key.
    if old_key:
        UserSession.objects.filter(session_key=old_key).update(
            session_key=request.session.session_key
        )


class SessionPolicyMiddleware:
    """Ends sessions past their idle or absolute limit, rotates the key when
    the user's privileges change. Needs the session, the user and messages."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            self._apply(request, user)
        return self.get_response(request)

    def _apply(self, request, user: User) -> None:
        session = request.session
        now = time.time()
        reason = _ended_because(session, user, now)
        if reason is not None:
            logout(request)
            # The page the user asked for now sends them to sign in, and the
            # sign-in page says why.
            messages.info(request, reason)
            return
        # A session from before these limits existed starts its clocks now.
        session.setdefault(SIGNED_IN_AT, now)
        session[LAST_SEEN_AT] = now
        fingerprint = privileges_fingerprint(user)
        if session.get(PRIVILEGES) != fingerprint:
            if PRIVILEGES in session:
                _rotate_key(request)
            session[PRIVILEGES] = fingerprint
