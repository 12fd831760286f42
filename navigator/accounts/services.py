"""Writes about accounts and signing in, each audited: creating and changing
accounts (the admin site), clearing a lockout, resetting a lost second
factor, and the user's own MFA changes."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from axes.models import AccessAttempt
from django.db import transaction

from navigator.accounts.selectors import login_lockout_for, mfa_types_for
from navigator.accounts.throttling import attempted_username
from navigator.audit import audit_record
from navigator.errors import DomainError, PermissionDenied
from navigator.models import AuditAction, User
from navigator.selectors import account_administration_allowed, is_administrator
from navigator.services import save_audited


def _audit(*, by: User, user: User, action: str, changes: dict, reason: str) -> None:
    # Sign-in events belong to the user's account, not to a person or program.
    audit_record(
        actor=by,
        action=action,
        obj=user,
        person_id=None,
        program_id=None,
        changes=changes,
        reason=reason,
    )


def _require_user_admin(by: User, user: User | None = None) -> None:
    # The admin site asks the same selector; the rule lives here so that any
    # other door (a command, an API) must meet it too.
    if not account_administration_allowed(user=by, account=user):
        raise PermissionDenied(
            "Only a superuser may change a superuser's account."
            if user is not None and user.is_superuser and is_administrator(user=by)
            else "Only an administrator of users may do this."
        )


# What the audit log shows of an account. Never the password hash: a change
# of password is recorded as a change, without either value.
USER_AUDITED_FIELDS = [
    "username",
    "first_name",
    "last_name",
    "email",
    "is_active",
    "is_staff",
    "is_superuser",
]
# Placeholders the audit log shows instead of a password (not secrets).
PASSWORD_SET = "(set)"  # noqa: S105
PASSWORD_CHANGED = "(changed)"  # noqa: S105


@transaction.atomic
def user_create(*, by: User, user: User) -> User:
    """Save a new account an administrator filled in (the form has already
    hashed its password, or made it unusable)."""
    _require_user_admin(by)
    if user.pk is not None:
        raise DomainError("This account already exists.")
    save_audited(by=by, instance=user, fields=USER_AUDITED_FIELDS, program_id=None)
    if user.has_usable_password():
        _audit(
            by=by,
            user=user,
            action=AuditAction.UPDATE,
            changes={"password": [None, PASSWORD_SET]},
            reason="Password set by an administrator",
        )
    return user


@transaction.atomic
def user_update(*, by: User, user: User, reason: str = "") -> User:
    """Save the changes an administrator made to an account (names, e-mail,
    active or not). A deactivated account can no longer sign in or use its
    API tokens; nothing of it is deleted."""
    _require_user_admin(by, user)
    if user.pk == by.pk and not user.is_active:
        raise DomainError.for_field(
            "is_active", "You cannot deactivate your own account."
        )
    save_audited(
        by=by, instance=user, fields=USER_AUDITED_FIELDS, program_id=None, reason=reason
    )
    return user


@transaction.atomic
def user_deactivate(*, by: User, user: User) -> bool:
    """Deactivate an account (it keeps its records). Returns False when it
    was already inactive (nothing written)."""
    if not user.is_active:
        _require_user_admin(by, user)
        return False
    user.is_active = False
    user_update(by=by, user=user, reason="Account deactivated by an administrator")
    return True


@transaction.atomic
def user_password_changed(*, by: User, user: User) -> None:
    """Audit a password an administrator set for an account (Django's admin
    form has saved it, inside the caller's transaction)."""
    _require_user_admin(by, user)
    _audit(
        by=by,
        user=user,
        action=AuditAction.UPDATE,
        changes={"password": [PASSWORD_SET, PASSWORD_CHANGED]},
        reason="Password set by an administrator",
    )


@transaction.atomic
def login_lockout_clear(*, by: User, user: User) -> int:
    """Forget the account's failed sign-ins, so it may sign in at once.

    Returns how many recent failures were cleared (0: it was not locked; the
    event is still recorded, as the administrator did act). Failures counted
    against an address are left alone: they are not this user's.
    """
    _require_user_admin(by, user)
    before = login_lockout_for(user=user)
    username = attempted_username(None, {"username": user.get_username()})
    AccessAttempt.objects.filter(username=username).delete()
    _audit(
        by=by,
        user=user,
        action=AuditAction.UPDATE,
        changes={
            "login_failures": [before.failures, 0],
            "login_locked": [before.locked, False],
        },
        reason="Sign-in lockout cleared by an administrator",
    )
    return before.failures


@transaction.atomic
def mfa_reset(*, by: User, user: User, reason: str) -> list[str]:
    """Remove every second factor of a user who lost theirs, and end their
    sessions; they set up a new one at their next sign-in if they must.

    Returns the kinds of factor removed.
    """
    _require_user_admin(by, user)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError.for_field(
            "reason", "Say why the second factor is reset (e.g. the ticket)."
        )
    removed = mfa_types_for(user=user)
    Authenticator.objects.filter(user=user).delete()
    # Whoever holds the lost phone or key may also hold a signed-in browser.
    for session in UserSession.objects.filter(user=user):
        session.end()
    _audit(
        by=by,
        user=user,
        action=AuditAction.UPDATE,
        changes={"mfa": [removed, []]},
        reason=reason,
    )
    return removed


# What allauth's signals mean, in the audit log's words.
MFA_CHANGES = {
    "added": (AuditAction.CREATE, "Second factor added"),
    "removed": (AuditAction.DELETE, "Second factor removed"),
    "reset": (AuditAction.UPDATE, "Recovery codes regenerated"),
}


@transaction.atomic
def mfa_change_record(*, user: User, change: str, kind: str) -> None:
    """Audit a change the user made to their own second factors (allauth made
    it; its signals call this). ``change`` is a key of MFA_CHANGES, ``kind``
    the authenticator type (totp, recovery_codes, webauthn)."""
    action, reason = MFA_CHANGES[change]
    after = mfa_types_for(user=user)
    if change == "added":
        before = [t for t in after if t != kind]
    elif change == "removed":
        before = sorted({*after, kind})
    else:
        before = after
    _audit(
        by=user,
        user=user,
        action=action,
        changes={"mfa": [before, after]} if before != after else {"mfa": kind},
        reason=f"{reason} ({kind})",
    )
