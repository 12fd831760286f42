"""Failed sign-ins: how axes counts them and what a locked-out client sees.

The policy (settings.py, "Sign-in"): failures of the password and of the MFA
code are counted per account, i.e. per name typed, whether or not such an
account exists, and per client address. OWASP ASVS 4.0 V2.2.1 asks for at most
100 failed attempts per account per hour; an account here locks after
AXES_FAILURE_LIMIT (10) for AXES_COOLOFF_TIME (15 minutes): at most 40 an hour.
The answer while locked is the same page, status and wording for every name,
so it tells nothing about which accounts exist.
"""

from __future__ import annotations

import ipaddress
import math

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

# Longer than any username; the attempt table's column is 255.
_MAX_USERNAME = 150


def attempted_username(request: HttpRequest | None, credentials: dict | None):
    """The account a sign-in attempt is for, as axes counts it.

    allauth matches usernames case-insensitively, so "Navigator" and
    "NAVIGATOR" are the same account and must share one counter. The name may
    come from authenticate()'s credentials (``username``), from the login form
    (``login``) or, in the MFA step, from the pending login.
    """
    value = None
    if credentials:
        value = credentials.get("username") or credentials.get("login")
    if value is None and request is not None:
        data = getattr(request, "data", None) or getattr(request, "POST", {})
        value = data.get("login") or data.get("username")
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().lower()[:_MAX_USERNAME]


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or the one our own proxies saw.

    Behind NAVIGATOR_TRUSTED_PROXY_COUNT proxies that each append to
    X-Forwarded-For, the client is that many entries from the right; anything
    further left was written by the client and is not trusted.
    """
    count = settings.NAVIGATOR_TRUSTED_PROXY_COUNT
    if count > 0:
        hops = [
            hop.strip()
            for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if hop.strip()
        ]
        if len(hops) >= count and _is_ip(hops[-count]):
            return hops[-count]
    remote = request.META.get("REMOTE_ADDR")
    return remote if remote and _is_ip(remote) else None


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


class LoginThrottleHandler(AxesDatabaseHandler):
    """axes' database handler with one limit per account and one per address.

    axes compares a single failure count with a single limit for every
    lockout parameter; the address count is scaled into the account's units,
    so an address locks at NAVIGATOR_LOGIN_ADDRESS_FAILURE_LIMIT failures.
    """

    def get_failures(self, request, credentials: dict | None = None) -> int:
        # One queryset per AXES_LOCKOUT_PARAMETERS entry: username, address.
        account, address = (
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        account_limit = settings.AXES_FAILURE_LIMIT
        address_limit = settings.NAVIGATOR_LOGIN_ADDRESS_FAILURE_LIMIT
        return max(account, address * account_limit // address_limit)

    def reset_user_attempts(self, request, credentials: dict | None = None) -> int:
        # After a successful sign-in, forget only that account's failures.
        # axes' default also forgets every failure from the address, so an
        # attacker could wipe the count of the account they are guessing by
        # signing in to their own account from the same address.
        username = get_client_username(request, credentials)
        count, _ = AccessAttempt.objects.filter(username=username).delete()
        return count


def lockout_message(minutes: int) -> str:
    unit = "minute" if minutes == 1 else "minutes"
    return (
        f"Too many failed sign-ins; try again in {minutes} {unit} "
        "or ask an administrator."
    )


def lockout_minutes(request: HttpRequest, credentials: dict | None = None) -> int:
    """Whole minutes until the newest failure counted against this client
    ages out: when the lock ends at the latest."""
    handler = AxesProxyHandler.get_implementation()
    AxesProxyHandler.update_request(request)
    cool_off = get_cool_off(request)
    newest = [
        attempts.aggregate(at=Max("attempt_time"))["at"]
        for attempts in handler.get_user_attempts(request, credentials)
    ]
    newest = [at for at in newest if at is not None]
    full = math.ceil(cool_off.total_seconds() / 60)
    if not newest:
        return full
    left = (max(newest) + cool_off - timezone.now()).total_seconds()
    return min(full, max(1, math.ceil(left / 60)))


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """The sign-in page saying the client is locked out (429).

    Nothing in it depends on the name typed beyond the lock itself, so a
    locked name that exists and one that does not get the same page.
    """
    from allauth.account.internal.stagekit import clear_login

    from navigator.accounts.forms import LoginForm

    # A lock in the MFA step abandons the half-finished sign-in.
    clear_login(request)
    context = {
        "form": LoginForm(request=request),
        "lockout_message": lockout_message(lockout_minutes(request, credentials)),
        # Kept so that signing in later still lands where the user was going
        # (allauth checks it is a safe, local address before using it).
        "redirect_field_name": "next",
        "redirect_field_value": request.POST.get("next") or request.GET.get("next", ""),
    }
    return render(
        request,
        "account/login.html",
        context,
        # django-axes sets its defaults on settings when it loads (axes.conf),
        # so the settings type does not list this one.
        status=settings.AXES_HTTP_RESPONSE_CODE,  # type: ignore[misc]
    )
