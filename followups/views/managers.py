"""Managers' pages: overdue follow-ups, deliveries, reminder settings, plan steps."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from followups import selectors, services
from followups.filters import DeliveryFilter, FollowupFilter
from followups.forms import FollowupSettingsForm, PlanStepForm
from followups.views._common import _failed, _mask, _with_overdue
from navigator import disclosure
from navigator.errors import DomainError, NotFound
from navigator.http import AuthedRequest
from navigator.models import Program
from navigator.selectors import (
    managed_program_ids_for,
    managed_program_list_for,
    program_access,
)
from navigator.views import apply_domain_error, paginate


@login_required
def overdue(request: AuthedRequest) -> HttpResponse:
    """The team's overdue follow-ups: per navigator, then the list."""
    program_access(user=request.user)
    managed = managed_program_ids_for(user=request.user)
    followups = FollowupFilter(
        request.GET or None,
        queryset=selectors.overdue_followups_for_manager(user=request.user),
        request=request,
    )
    page = paginate(request, followups.qs)
    _with_overdue(page.object_list)
    disclosure.records_shown(
        by=request.user,
        records=page.object_list,
        kind=disclosure.FOLLOWUP,
        named=True,
    )
    return render(
        request,
        "followups/overdue.html",
        {
            "by_navigator": selectors.overdue_by_navigator_for_manager(
                user=request.user
            ),
            "filter": followups,
            "page_obj": page,
            "assigned_to": request.GET.get("assigned_to", ""),
            "show_program": len(managed) > 1,
        },
    )


@login_required
def deliveries(request: AuthedRequest) -> HttpResponse:
    found = DeliveryFilter(
        request.GET or None,
        queryset=selectors.delivery_list_for_manager(user=request.user),
        request=request,
    )
    managed = managed_program_ids_for(user=request.user)
    page = paginate(request, found.qs)
    _mask(page.object_list)
    services.deliveries_shown(by=request.user, deliveries=page.object_list)
    return render(
        request,
        "followups/deliveries.html",
        {
            "filter": found,
            "page_obj": page,
            "failed_count": selectors.delivery_failed_count_for_manager(
                user=request.user
            ),
            "show_program": len(managed) > 1,
        },
    )


def _settings_program(request: AuthedRequest) -> tuple[Program, list[Program]]:
    program_access(user=request.user)
    programs = list(managed_program_list_for(user=request.user))
    wanted = request.GET.get("program")
    for program in programs:
        if str(program.pk) == wanted:
            return program, programs
    if wanted:
        # Not one this user manages: another's (404) or one they only
        # work in (403), as program_access decides.
        if not (wanted.isascii() and wanted.isdigit()):
            raise NotFound("No such program.")
        program_access(user=request.user, program_id=int(wanted))
    return programs[0], programs


def _settings_page(
    request: HttpRequest,
    program: Program,
    programs: list[Program],
    *,
    settings_form: FollowupSettingsForm | None = None,
    step_form: PlanStepForm | None = None,
    status: int = 200,
) -> HttpResponse:
    config = selectors.followup_settings_for(program=program)
    return render(
        request,
        "followups/settings.html",
        {
            "program": program,
            "programs": programs,
            "settings_form": settings_form or FollowupSettingsForm(config=config),
            "step_form": step_form or PlanStepForm(),
            "steps": list(selectors.followup_plan_steps_for(program=program)),
        },
        status=status,
    )


def _settings_url(program: Program, anchor: str = "") -> str:
    return f"{reverse('followup-settings')}?program={program.pk}{anchor}"


@login_required
def followup_settings(request: AuthedRequest) -> HttpResponse:
    program, programs = _settings_program(request)
    if request.method != "POST":
        return _settings_page(request, program, programs)
    form = FollowupSettingsForm(
        request.POST, config=selectors.followup_settings_for(program=program)
    )
    status = 200
    if form.is_valid():
        try:
            services.followup_settings_update(
                by=request.user, program=program, data=form.cleaned_data
            )
        except DomainError as exc:
            status = _failed(request, exc, form)
        else:
            messages.success(request, "Reminder settings saved.")
            return redirect(_settings_url(program))
    return _settings_page(request, program, programs, settings_form=form, status=status)


@login_required
@require_POST
def plan_step_add(request: AuthedRequest) -> HttpResponse:
    program, programs = _settings_program(request)
    form = PlanStepForm(request.POST)
    status = 200
    if form.is_valid():
        try:
            services.followup_plan_step_add(
                by=request.user, program=program, **form.cleaned_data
            )
        except DomainError as exc:
            status = _failed(request, exc, form)
        else:
            messages.success(request, "Plan step added.")
            return redirect(_settings_url(program, "#plan"))
    return _settings_page(request, program, programs, step_form=form, status=status)


@login_required
@require_POST
def plan_step_remove(request: AuthedRequest, step_id: int) -> HttpResponse:
    step = selectors.followup_plan_step_get_for_manager(
        user=request.user, step_id=step_id
    )
    try:
        services.followup_plan_step_remove(by=request.user, step=step)
    except DomainError as exc:
        apply_domain_error(request, exc)
    else:
        messages.success(request, f"Plan step “{step}” removed.")
    return redirect(_settings_url(step.program, "#plan"))
