"""Signals from Django, allauth and axes, each handed to one service.

Signals are how these libraries report what they did; the rules stay in
navigator.accounts.services and navigator.sessions.
"""

from __future__ import annotations

from allauth.mfa import signals as mfa_signals
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from navigator.accounts.services import mfa_change_record
from navigator.sessions import session_signed_in


@receiver(user_logged_in, dispatch_uid="navigator-session-signed-in")
def _signed_in(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        session_signed_in(session=request.session, user=user)


@receiver(mfa_signals.authentication_failed, dispatch_uid="navigator-mfa-failed")
def _mfa_code_failed(sender, request, user, **kwargs) -> None:
    # A wrong MFA code is a failed sign-in like a wrong password: axes counts
    # it against the account and the address (django.contrib.auth's signal is
    # what axes listens to).
    user_login_failed.send(
        sender=__name__,
        credentials={"username": user.get_username()},
        request=request,
    )


@receiver(mfa_signals.authenticator_added, dispatch_uid="navigator-mfa-added")
def _mfa_added(sender, request, user, authenticator, **kwargs) -> None:
    mfa_change_record(user=user, change="added", kind=authenticator.type)


@receiver(mfa_signals.authenticator_removed, dispatch_uid="navigator-mfa-removed")
def _mfa_removed(sender, request, user, authenticator, **kwargs) -> None:
    mfa_change_record(user=user, change="removed", kind=authenticator.type)


@receiver(mfa_signals.authenticator_reset, dispatch_uid="navigator-mfa-reset")
def _mfa_reset(sender, request, user, authenticator, **kwargs) -> None:
    mfa_change_record(user=user, change="reset", kind=authenticator.type)
