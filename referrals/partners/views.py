"""A partner user's own pages: their agency (the landing page every other
page redirects to) and the agency's API tokens. Thin: the selectors decide
who sees what; the services write and audit."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from navigator.errors import DomainError
from navigator.http import AuthedRequest
from navigator.views import apply_domain_error
from referrals.partners.forms import PartnerTokenForm
from referrals.partners.selectors import (
    partner_agency_get_for,
    partner_services_for,
    partner_token_get_for,
    partner_tokens_for,
)
from referrals.partners.services import partner_token_create, partner_token_revoke


@login_required
def partner_home(request: AuthedRequest) -> HttpResponse:
    agency = partner_agency_get_for(user=request.user)
    services = partner_services_for(agency=agency)
    programs = agency.programs.order_by("name", "id")
    return render(
        request,
        "referrals/partners/home.html",
        {"agency": agency, "services": services, "programs": programs},
    )


@login_required
def partner_tokens(request: AuthedRequest) -> HttpResponse:
    agency = partner_agency_get_for(user=request.user)
    tokens = partner_tokens_for(user=request.user, agency=agency)
    key = None
    status = 200
    form = PartnerTokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            token, key = partner_token_create(
                agency=agency,
                name=form.cleaned_data["name"],
                by=request.user,
                expires_in_days=form.cleaned_data["expires"],
            )
        except DomainError as exc:
            apply_domain_error(request, exc, form)
            status = 409 if exc.status == 409 else 400
        else:
            form = PartnerTokenForm()
    return render(
        request,
        "referrals/partners/tokens.html",
        {"agency": agency, "tokens": tokens, "form": form, "new_key": key},
        status=status,
    )


@login_required
@require_POST
def partner_token_revoke_view(request: AuthedRequest, pk: int) -> HttpResponse:
    token = partner_token_get_for(user=request.user, pk=pk)
    partner_token_revoke(token=token, by=request.user)
    messages.success(request, f"Token {token.key_prefix}… revoked.")
    return redirect("partner-tokens")
