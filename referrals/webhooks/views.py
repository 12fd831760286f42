"""The managers' webhook pages: the agencies they keep with failed and
waiting deliveries; one agency's endpoint, secret and undelivered events
with "retry now". Thin: the selectors and services decide (access too)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from navigator.errors import Conflict, DomainError
from navigator.http import AuthedRequest
from navigator.views import apply_domain_error
from referrals.models import Agency, WebhookEndpoint
from referrals.selectors import directory_manage_access
from referrals.webhooks import selectors, services
from referrals.webhooks.forms import WebhookEndpointForm


@login_required
def webhook_list(request: AuthedRequest) -> HttpResponse:
    directory_manage_access(user=request.user)
    agencies = selectors.webhook_agencies_for(user=request.user)
    return render(request, "referrals/webhooks/list.html", {"agencies": agencies})


def _endpoint_of(agency: Agency) -> WebhookEndpoint | None:
    try:
        return agency.webhook_endpoint
    except WebhookEndpoint.DoesNotExist:
        return None


def _page(
    request: AuthedRequest,
    agency: Agency,
    form: WebhookEndpointForm,
    *,
    secret: str | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "referrals/webhooks/agency.html",
        {
            "agency": agency,
            "endpoint": _endpoint_of(agency),
            "form": form,
            "secret": secret,  # shown once, on the answer that made it
            "events": selectors.webhook_undelivered_for(agency=agency),
        },
        status=status,
    )


@login_required
def webhook_agency(request: AuthedRequest, agency_id: int) -> HttpResponse:
    agency = selectors.webhook_agency_get_for(user=request.user, agency_id=agency_id)
    endpoint = _endpoint_of(agency)
    if request.method != "POST":
        initial = (
            {"url": endpoint.url, "is_active": endpoint.is_active} if endpoint else {}
        )
        return _page(request, agency, WebhookEndpointForm(initial=initial))
    form = WebhookEndpointForm(request.POST)
    if not form.is_valid():
        return _page(request, agency, form, status=400)
    try:
        _, secret = services.webhook_endpoint_save(
            by=request.user,
            agency=agency,
            url=form.cleaned_data["url"],
            is_active=form.cleaned_data["is_active"],
        )
    except DomainError as exc:
        apply_domain_error(request, exc, form)
        return _page(request, agency, form, status=400)
    if secret:
        agency = selectors.webhook_agency_get_for(
            user=request.user, agency_id=agency_id
        )
        return _page(
            request,
            agency,
            WebhookEndpointForm(initial=form.cleaned_data),
            secret=secret,
        )
    messages.success(request, "Webhook endpoint saved.")
    return redirect("webhook-agency", agency_id=agency.pk)


@login_required
@require_POST
def webhook_rotate(request: AuthedRequest, agency_id: int) -> HttpResponse:
    agency = selectors.webhook_agency_get_for(user=request.user, agency_id=agency_id)
    try:
        secret = services.webhook_secret_rotate(by=request.user, agency=agency)
    except Conflict as exc:  # no endpoint yet
        messages.warning(request, exc.detail)
        return _page(request, agency, WebhookEndpointForm(), status=409)
    agency = selectors.webhook_agency_get_for(user=request.user, agency_id=agency_id)
    endpoint = _endpoint_of(agency)
    assert endpoint is not None
    form = WebhookEndpointForm(
        initial={"url": endpoint.url, "is_active": endpoint.is_active}
    )
    return _page(request, agency, form, secret=secret)


@login_required
@require_POST
def webhook_retry(request: AuthedRequest, event_id: str) -> HttpResponse:
    event = selectors.webhook_event_get_for(user=request.user, event_id=event_id)
    try:
        services.webhook_event_retry(by=request.user, event=event)
    except Conflict as exc:  # delivered meanwhile
        messages.warning(request, exc.detail)
        return _page(request, event.agency, WebhookEndpointForm(), status=409)
    messages.success(request, "The event will be sent again now.")
    return redirect("webhook-agency", agency_id=event.agency_id)
