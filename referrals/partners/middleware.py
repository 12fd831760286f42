"""The partner boundary, decided once for every request (issue 10: "a
partner token or user reaches the partner endpoints and nothing else").

A request is a partner's when it carries an active partner token, or its
signed-in user is a partner (``partner_agency_for``). Such a request reaches
only the URL names in ``PARTNER_URL_NAMES`` (and the account pages: signing
in and out, password, two-factor): any other API endpoint answers the API's
404, any other page redirects to the partner's landing page. Staff requests
pass untouched; a revoked or expired partner key passes too, to be the
API's 401 (``PartnerTokenAuthentication``).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

from referrals.partners.authentication import bearer_key
from referrals.partners.selectors import (
    is_partner_key,
    partner_agency_for,
    partner_token_for_key,
)

# What a partner reaches. Append the partner endpoints of later pieces here.
PARTNER_URL_NAMES = frozenset(
    {
        # The directory (referrals.directory.api_urls): the programs' agencies
        # and services, and updating its own services' availability.
        "api-agency-list",
        "api-agency-detail",
        "api-service-list",
        "api-service-detail",
        # The partner's own pages (referrals.partners.urls).
        "partner-home",
        "partner-tokens",
        "partner-token-revoke",
    }
)
# Path prefixes a partner user reaches: their own account (sign-in, sign-out,
# password, two-factor, sessions).
PARTNER_PATH_PREFIXES = ("/accounts/",)
LANDING = "partner-home"


def is_partner_request(request: HttpRequest) -> bool:
    key = bearer_key(request)
    if key is not None and is_partner_key(key) and partner_token_for_key(key):
        return True
    return partner_agency_for(getattr(request, "user", None)) is not None


def partner_may_reach(request: HttpRequest) -> bool:
    match = request.resolver_match
    if match is not None and match.url_name in PARTNER_URL_NAMES:
        return True
    return request.path.startswith(PARTNER_PATH_PREFIXES)


class PartnerBoundaryMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func, view_args, view_kwargs
    ) -> HttpResponse | None:
        if partner_may_reach(request) or not is_partner_request(request):
            return None
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"detail": "No such endpoint.", "code": "not_found", "fields": {}},
                status=404,
            )
        return redirect(LANDING)
