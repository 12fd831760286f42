"""The program's referral settings page (program managers)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from navigator.errors import Conflict, DomainError, NotFound
from navigator.http import AuthedRequest
from navigator.models import Program
from navigator.selectors import managed_program_list_for, program_access
from navigator.views import apply_domain_error
from referrals.selectors import referral_settings_for
from referrals.services import referral_settings_save
from referrals.settings_forms import ReferralSettingsForm


def _program(request: AuthedRequest) -> tuple[Program, list[Program]]:
    """The managed program asked for (``?program=``), else the first one.
    One the user does not manage: another's (404) or one they only work in
    (403), as ``program_access`` decides."""
    program_access(user=request.user)
    programs = list(managed_program_list_for(user=request.user))
    wanted = request.GET.get("program", "")
    for program in programs:
        if str(program.pk) == wanted:
            return program, programs
    if wanted:
        if not (wanted.isascii() and wanted.isdigit()):
            raise NotFound("No such program.")
        program_access(user=request.user, program_id=int(wanted))
    return programs[0], programs


@login_required
def referral_settings(request: AuthedRequest) -> HttpResponse:
    program, programs = _program(request)
    # A read never writes: unsaved defaults until a manager saves.
    config = referral_settings_for(program=program)
    status = 200
    if request.method == "POST":
        form = ReferralSettingsForm(request.POST, config=config)
        if form.is_valid():
            try:
                referral_settings_save(
                    by=request.user, program=program, data=form.data_for_service()
                )
            except DomainError as exc:
                apply_domain_error(request, exc, form)
                # As the other settings pages: the form again, with the error
                # on its field (409 for a state, none here so far).
                status = 409 if isinstance(exc, Conflict) else 200
            else:
                messages.success(request, "Referral settings saved.")
                return redirect(f"{reverse('referral-settings')}?program={program.pk}")
    else:
        form = ReferralSettingsForm(config=config)
    return render(
        request,
        "referrals/settings.html",
        {
            "program": program,
            "programs": programs,
            "form": form,
            "saved": config.pk is not None,
        },
        status=status,
    )
