"""Users who must sign in with a second factor, and have none yet, can do
nothing but set one up (or sign out) until they have."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve

from navigator.accounts.selectors import has_mfa, mfa_required_for

# Pages an unenrolled user may still open: setting up a factor (allauth asks
# for the password again first), its recovery codes, the account page,
# signing out, and the health check.
ENROLLMENT_URL_NAMES = frozenset(
    {
        "account",
        "mfa_index",
        "mfa_activate_totp",
        "mfa_add_webauthn",
        "mfa_list_webauthn",
        "mfa_view_recovery_codes",
        "mfa_generate_recovery_codes",
        "mfa_download_recovery_codes",
        "mfa_reauthenticate",
        "account_reauthenticate",
        "logout",
        "account_logout",
        "healthz",
    }
)
ENROLL_MESSAGE = (
    "Two-factor authentication is required for your account: set up an "
    "authenticator app to continue."
)


class MFAEnrollmentMiddleware:
    """Pages redirect to the authenticator app set-up; the API, signed in by
    session, answers 403 ``mfa_enrollment_required``. Bearer tokens are
    separate credentials, issued by an administrator, and not affected."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.headers.get("Authorization")
            and not self._allowed(request)
            and mfa_required_for(user=user)
            and not has_mfa(user=user)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "detail": ENROLL_MESSAGE,
                        "code": "mfa_enrollment_required",
                        "fields": {},
                    },
                    status=403,
                )
            messages.warning(request, ENROLL_MESSAGE)
            return redirect("mfa_activate_totp")
        return self.get_response(request)

    @staticmethod
    def _allowed(request) -> bool:
        if request.path.startswith(settings.STATIC_URL):
            return True
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
        return match.url_name in ENROLLMENT_URL_NAMES
