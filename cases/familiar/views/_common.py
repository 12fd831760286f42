"""What the familiar-faces pages share: the access answer as a status, the
"back to the list" link."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from navigator.errors import DomainError, NotFound, PermissionDenied
from navigator.views import access_error_response, apply_domain_error

P = ParamSpec("P")
# The request type the view takes (``AuthedRequest`` behind login_required),
# kept by the decorator so the view's own annotation still holds.
R = TypeVar("R", bound=HttpRequest)
View = Callable[Concatenate[R, P], HttpResponse]


def denied_page(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    """In scope, not for the role: the one page mapping's 403 with the reason
    (navigator.views.access_error_response)."""
    return access_error_response(request, exc)


def access_answered(view: View[R, P]) -> View[R, P]:
    """The access functions' answer as the page's status: NotFound → 404
    (out of scope reads as missing), PermissionDenied → 403 with the reason."""

    @functools.wraps(view)
    def wrapper(request: R, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404 from None
        except PermissionDenied as exc:
            return denied_page(request, exc)

    return wrapper


def show_domain_error(
    request: HttpRequest, exc: DomainError, form: forms.Form | None = None
) -> None:
    """A service's refusal on the form; an access answer (the scope or the
    role changed since the page was opened) goes to ``access_answered``."""
    if isinstance(exc, NotFound | PermissionDenied):
        raise exc
    apply_domain_error(request, exc, form)


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
