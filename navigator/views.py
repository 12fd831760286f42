"""Platform pages (error pages) and the bridge from DomainError to pages.

Access is answered here once for every page: a NotFound raised by a scoped
selector or a service (out of the user's scope) is the 404 page; a
PermissionDenied (in scope, not for the user's role) is the 403 page saying
why (``AccessErrorsMiddleware``). The API answers the same errors with the
same statuses (navigator/api/errors.py). Views never re-check.

Signing in lives in navigator/accounts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django import forms
from django.contrib import messages
from django.core.paginator import InvalidPage, Page
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseServerError,
    JsonResponse,
)
from django.shortcuts import render
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme

from navigator.api.views import api_not_found
from navigator.errors import DomainError, NotFound, PermissionDenied
from navigator.pagination import BoundedPaginator, ExactPaginator

PAGE_SIZE = 25
T = TypeVar("T")


def or_404(getter: Callable[..., T], **kwargs: Any) -> T:
    """Call a scoped selector; its NotFound (out of scope or absent) is a 404.

    The same as calling it directly (``AccessErrorsMiddleware`` answers a
    NotFound with the 404 page); kept for the views that still use it."""
    try:
        return getter(**kwargs)
    except NotFound:
        raise Http404 from None


def is_access_error(exc: DomainError) -> bool:
    """An answer about the object or the role, not about the input: it names
    no field (a record named in a form field that is not the user's is a
    form error on that field)."""
    return isinstance(exc, NotFound | PermissionDenied) and not exc.fields


def access_error_response(
    request: HttpRequest, exc: NotFound | PermissionDenied
) -> HttpResponse:
    """The one mapping of an access decision to a page's answer."""
    if _is_api(request):
        return JsonResponse(
            {"detail": exc.detail, "code": exc.code, "fields": {}}, status=exc.status
        )
    if isinstance(exc, PermissionDenied):
        return render(request, "errors/403.html", {"detail": exc.detail}, status=403)
    return render(request, "errors/404.html", status=404)


class AccessErrorsMiddleware:
    """Pages: a NotFound / PermissionDenied a view let through (from a scoped
    selector or a service) becomes the 404 / 403 page. DRF views answer
    inside the view (navigator.api.errors), so this only sees pages."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponse | None:
        if isinstance(exception, DomainError) and is_access_error(exception):
            return access_error_response(request, exception)  # type: ignore[arg-type]
        return None


def form_data(request: HttpRequest):
    """The posted data to bind a form to, or None on a GET."""
    return request.POST if request.method == "POST" else None


def paginate(
    request: HttpRequest, items, per_page: int = PAGE_SIZE, *, exact: bool = False
) -> Page:
    """The ``?page=`` page of ``items`` (out-of-range numbers give the last),
    or the ``?cursor=`` one past the counted rows (an invalid one gives the
    first page).

    Counted as the API counts (``navigator.pagination``): exact up to
    ``COUNT_LIMIT`` rows, which are all that page numbers reach. ``exact``
    for a list bounded by its nature (one person's), to reach every page.
    """
    paginator = (ExactPaginator if exact else BoundedPaginator)(items, per_page)
    try:
        cursor = request.GET.get("cursor")
        after: Page | None = paginator.page_after(cursor) if cursor else None
    except InvalidPage:
        after = None
    page = after if after is not None else paginator.get_page(request.GET.get("page"))
    # Evaluated once here, so helpers and the template share the rows.
    page.object_list = list(page.object_list)
    return page


def safe_next(request: HttpRequest) -> str:
    """The ``next`` a page was given (POST, else GET), if it is a path on
    this site; "" otherwise, so a crafted link cannot send the user to
    another site (an open redirect: OWASP ASVS 5.1.5)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def with_query(url: str, **params: str | int) -> str:
    """``url`` with ``params`` set in its query string (others kept)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update({name: str(value) for name, value in params.items()})
    return urlunsplit(parts._replace(query=urlencode(query)))


def apply_domain_error(
    request, exc: DomainError, form: forms.Form | None = None
) -> None:
    """Show a domain error on the form field it names, or as a page message.

    An access error (NotFound / PermissionDenied naming no field) is not a
    form error: it is raised on, so the page answers 404 / 403 as the API
    does."""
    if is_access_error(exc):
        raise exc
    placed = False
    if form is not None:
        for field, msgs in exc.fields.items():
            target = field if field in form.fields else None
            for msg in msgs:
                form.add_error(target, msg)
            placed = True
    if not placed:
        messages.error(request, exc.detail)


def _is_api(request) -> bool:
    # API clients read JSON errors (DESIGN.md), also for URLs outside /api/v1/
    # (the schema, a mistyped version) and for errors no view answered.
    return request.path.startswith("/api/")


def not_found(request, exception=None):
    if _is_api(request):
        return api_not_found(request)
    return render(request, "errors/404.html", status=404)


def server_error(request):
    if _is_api(request):
        return JsonResponse(
            {
                "detail": "Server error; the request id is "
                f"{getattr(request, 'request_id', '') or 'unknown'}.",
                "code": "server_error",
                "fields": {},
            },
            status=500,
        )
    # No RequestContext: context processors query the database, which may be
    # the very thing that failed.
    template = loader.get_template("errors/500.html")
    body = template.render({"request_id": getattr(request, "request_id", "")})
    return HttpResponseServerError(body)
