"""Pages: sign in (allauth's view, throttled), the admin site's sign-in
(the same page), and the user's own account page."""

from __future__ import annotations

from allauth.account.views import LoginView as AllauthLoginView
from axes.decorators import axes_dispatch
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme

from navigator.accounts.selectors import (
    mfa_required_for,
    mfa_types_for,
    sessions_for,
)
from navigator.http import AuthedRequest
from navigator.selectors import is_administrator


@method_decorator(axes_dispatch, name="dispatch")
class LoginView(AllauthLoginView):
    """allauth's sign-in; a locked-out account or address gets the lockout
    page before any password is checked (axes_dispatch)."""


def admin_login(
    request: HttpRequest, extra_context: dict[str, object] | None = None
) -> HttpResponse:
    """The admin site's sign-in is Navigator's: one form, one throttle, MFA.

    Django's admin sends everyone who may not see it here (with ``?next=``).
    """
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("admin:index")
    if request.user.is_authenticated:
        if is_administrator(user=request.user):
            return redirect(next_url)
        # Signed in, but not an administrator: sending them to sign in again
        # would loop back here.
        raise PermissionDenied
    return redirect_to_login(next_url, settings.LOGIN_URL)


@login_required
def account(request: AuthedRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "account/account.html",
        {
            "mfa_types": mfa_types_for(user=user),
            "mfa_required": mfa_required_for(user=user),
            "sessions": sessions_for(user=user),
        },
    )
