"""What the familiar-faces pages share: the "back to the list" link."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def list_url() -> str:
    return reverse("familiar:list")


def back(request: HttpRequest, default: str) -> str:
    # Back to the list with its filters and page, but only to this site.
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
