"""The directory's pages (namespace ``directory``): search for every staff
member and administrator; adding, editing, deactivating agencies and
services for administrators and program managers. No page here shows a
person's record. Who may do what is the selectors' and services' answer."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from navigator.errors import DomainError
from navigator.http import AuthedRequest
from navigator.views import apply_domain_error, form_data, paginate
from referrals import selectors
from referrals.directory import services
from referrals.directory.filters import AgencyFilter, ServiceFilter
from referrals.directory.forms import ActiveForm, AgencyForm, ServiceForm
from referrals.models import Agency, Service


@login_required
@require_GET
def directory_search(request: AuthedRequest) -> HttpResponse:
    user = request.user
    found = ServiceFilter(
        request.GET, queryset=selectors.service_search_for(user=user), request=request
    )
    page = paginate(request, found.qs)
    return render(
        request,
        "referrals/directory/search.html",
        {
            "filter": found,
            "page_obj": page,
            "can_add": selectors.agency_manage_allowed(user=user),
        },
    )


@login_required
@require_GET
def agency_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    data = request.GET.copy()
    data.setdefault("active", "true")
    found = AgencyFilter(
        data,
        queryset=selectors.agency_list_for(user=user, include_inactive=True),
        request=request,
    )
    page = paginate(request, found.qs)
    return render(
        request,
        "referrals/directory/agency_list.html",
        {
            "filter": found,
            "page_obj": page,
            "can_add": selectors.agency_manage_allowed(user=user),
        },
    )


@login_required
@require_GET
def agency_detail(request: AuthedRequest, agency_id: int) -> HttpResponse:
    user = request.user
    agency = selectors.agency_get_for(user=user, pk=agency_id)
    can_manage = selectors.agency_manage_allowed(user=user, agency=agency)
    agency_services = selectors.agency_services_for(user=user, agency=agency)
    return render(
        request,
        "referrals/directory/agency_detail.html",
        {
            "agency": agency,
            "services": list(agency_services),
            "programs": list(agency.programs.all()) if can_manage else [],
            "can_manage": can_manage,
        },
    )


@login_required
def agency_create(request: AuthedRequest) -> HttpResponse:
    user = request.user
    selectors.directory_manage_access(user=user)
    form = AgencyForm(
        form_data(request), programs=selectors.directory_programs_for(user=user)
    )
    if form.is_bound and form.is_valid():
        try:
            agency = services.agency_create(
                by=user, data=form.agency_data(), programs=form.chosen_programs()
            )
        except DomainError as exc:
            apply_domain_error(request, exc, form)
        else:
            messages.success(request, f"{agency.name} added to the directory.")
            return redirect("directory:agency-detail", agency.pk)
    return render(request, "referrals/directory/agency_form.html", {"form": form})


def _managed_agency(request: AuthedRequest, agency_id: int) -> Agency:
    return selectors.agency_get_for(user=request.user, pk=agency_id, action="manage")


@login_required
def agency_edit(request: AuthedRequest, agency_id: int) -> HttpResponse:
    user = request.user
    agency = _managed_agency(request, agency_id)
    form = AgencyForm(
        form_data(request),
        programs=selectors.directory_programs_for(user=user),
        agency=agency,
    )
    if form.is_bound and form.is_valid():
        try:
            services.agency_update(
                by=user,
                agency=agency,
                data=form.agency_data(),
                programs=_kept_programs(user, agency, form.chosen_programs()),
            )
        except DomainError as exc:
            apply_domain_error(request, exc, form)
        else:
            messages.success(request, "Agency saved.")
            return redirect("directory:agency-detail", agency.pk)
    return render(
        request,
        "referrals/directory/agency_form.html",
        {"form": form, "agency": agency},
    )


def _kept_programs(user, agency: Agency, chosen: list) -> list:
    # The form offers only the programs the user may choose; the agency's
    # other programs are not theirs to take away, so they stay.
    offered = set(
        selectors.directory_programs_for(user=user).values_list("id", flat=True)
    )
    return chosen + [p for p in agency.programs.all() if p.pk not in offered]


@login_required
def agency_active(request: AuthedRequest, agency_id: int) -> HttpResponse:
    """GET: confirm; POST: deactivate (or reactivate) the agency."""
    agency = _managed_agency(request, agency_id)
    form = ActiveForm(form_data(request))
    if form.is_bound and form.is_valid():
        try:
            services.agency_set_active(
                by=request.user,
                agency=agency,
                active=not agency.is_active,
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            apply_domain_error(request, exc, form)
        else:
            messages.success(
                request,
                f"{agency.name} "
                + ("deactivated." if agency.is_active else "reactivated."),
            )
            return redirect("directory:agency-detail", agency.pk)
    return render(
        request,
        "referrals/directory/confirm_active.html",
        {
            "form": form,
            "agency": agency,
            "thing": agency,
            "is_active": agency.is_active,
        },
    )


@login_required
def service_create(request: AuthedRequest, agency_id: int) -> HttpResponse:
    agency = _managed_agency(request, agency_id)
    form = ServiceForm(form_data(request))
    if form.is_bound and form.is_valid():
        try:
            services.service_create(
                by=request.user, agency=agency, data=form.service_data()
            )
        except DomainError as exc:
            apply_domain_error(request, exc, form)
        else:
            messages.success(request, "Service added.")
            return redirect("directory:agency-detail", agency.pk)
    return render(
        request,
        "referrals/directory/service_form.html",
        {"form": form, "agency": agency},
    )


def _managed_service(request: AuthedRequest, service_id: int) -> Service:
    service = selectors.service_get_for(user=request.user, pk=service_id)
    # Asked of the service's agency (403 for staff who only search it).
    selectors.agency_access(user=request.user, agency=service.agency, action="manage")
    return service


@login_required
def service_edit(request: AuthedRequest, service_id: int) -> HttpResponse:
    service = _managed_service(request, service_id)
    form = ServiceForm(form_data(request), service=service)
    if form.is_bound and form.is_valid():
        try:
            services.service_update(
                by=request.user, service=service, data=form.service_data()
            )
        except DomainError as exc:
            apply_domain_error(request, exc, form)
        else:
            messages.success(request, "Service saved.")
            return redirect("directory:agency-detail", service.agency_id)
    return render(
        request,
        "referrals/directory/service_form.html",
        {"form": form, "agency": service.agency, "service": service},
    )


@login_required
def service_active(request: AuthedRequest, service_id: int) -> HttpResponse:
    service = _managed_service(request, service_id)
    form = ActiveForm(form_data(request))
    if form.is_bound and form.is_valid():
        try:
            services.service_set_active(
                by=request.user,
                service=service,
                active=not service.is_active,
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            apply_domain_error(request, exc, form)
        else:
            messages.success(
                request,
                f"{service.name} "
                + ("deactivated." if service.is_active else "reactivated."),
            )
            return redirect("directory:agency-detail", service.agency_id)
    return render(
        request,
        "referrals/directory/confirm_active.html",
        {
            "form": form,
            "agency": service.agency,
            "service": service,
            "thing": service,
            "is_active": service.is_active,
        },
    )
