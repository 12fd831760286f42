"""The sign-in forms: allauth's, with the login field as Navigator had it and
the MFA code step refused while the account is locked out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.core import context
from allauth.mfa.base.forms import AuthenticateForm, ReauthenticateForm
from allauth.mfa.models import Authenticator
from axes.handlers.proxy import AxesProxyHandler
from django import forms

from navigator.accounts.throttling import lockout_message, lockout_minutes

if TYPE_CHECKING:
    from navigator.models import User


class LoginForm(AllauthLoginForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        login = self.fields["login"]
        login.label = "Username"
        # Phones: no capital first letter, the password manager's username.
        login.widget.attrs = {
            "autofocus": True,
            "autocomplete": "username",
            "autocapitalize": "none",
            "spellcheck": "false",
        }
        self.fields["password"].help_text = ""


class _LockedOutCheck:
    """A wrong code counts as a failed sign-in (navigator.accounts.receivers);
    while the account is locked, no code is even checked."""

    # Given by the allauth form this is mixed into (untyped, so named here).
    fields: dict[str, forms.Field]
    user: User

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The code step is the whole page: the cursor starts there. Digits
        # only, so phones show the number pad (recovery codes are digits too).
        self.fields["code"].widget.attrs.update(
            {"autofocus": True, "inputmode": "numeric"}
        )

    def clean_code(self) -> str:
        request = context.request
        credentials = {"username": self.user.get_username()}
        if not AxesProxyHandler.is_allowed(request, credentials):
            # AxesMiddleware answers with the lockout page, as for a password.
            request.axes_locked_out = True
            request.axes_credentials = credentials
            raise forms.ValidationError(
                lockout_message(lockout_minutes(request, credentials)),
                code="locked_out",
            )
        # The allauth form next in the MRO defines clean_code; mypy sees only
        # this mixin's base, object.
        return super().clean_code()  # type: ignore[misc]


class MFAAuthenticateForm(_LockedOutCheck, AuthenticateForm):
    @property
    def has_security_key(self) -> bool:
        """Offer "Use a security key" only to someone who has added one."""
        return Authenticator.objects.filter(
            user=self.user, type=Authenticator.Type.WEBAUTHN
        ).exists()


class MFAReauthenticateForm(_LockedOutCheck, ReauthenticateForm):
    pass
