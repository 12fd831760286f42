"""Logging an encounter, with the follow-up its form proposes.

The form schedules a follow-up in the encounter's own transaction
(``followups.services.encounter_log_with_followup``) and, after saving, offers the program's
default follow-ups (``followup-plan``): the page composes encounters and
follow-ups, so it lives in the workspace (docs/decisions/0010-layers.md). The
person picker it shares with the other encounter pages is in
``cases.views.encounters``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from cases import selectors
from cases.forms import EncounterForm
from cases.models import Encounter
from cases.views.encounters import (
    _after_encounter_saved,
    _picker_context,
    _responders_for,
)
from followups import selectors as followup_selectors
from followups import services as followup_services
from followups.forms import EncounterFollowupForm
from navigator.errors import DomainError
from navigator.forms import local_now_or
from navigator.http import AuthedRequest
from navigator.selectors import program_list_for
from navigator.views import apply_domain_error, form_data, or_404


def _after_encounter_logged(encounter: Encounter):
    # The program's default follow-ups for this disposition are proposed
    # (pre-ticked) before going on to the person.
    if encounter.person_id and followup_selectors.followup_plan_for(
        encounter=encounter
    ):
        return redirect("followup-plan", encounter.pk)
    return _after_encounter_saved(encounter)


@login_required
def encounter_create(request: AuthedRequest) -> HttpResponse:
    user = request.user
    programs = program_list_for(user=user)
    preset = None
    if request.GET.get("person"):
        preset = or_404(
            selectors.person_get_for, user=user, person_id=request.GET["person"]
        )
    # "Now" on the clock of the program the encounter most likely belongs to.
    zone = preset.program.time_zone if preset else timezone.get_current_timezone_name()
    initial: dict[str, Any] = {
        "started_at": local_now_or(None, zone),
        "navigators": [user.pk],
        "person": preset.pk if preset else None,
        "program": preset.program_id if preset else None,
    }
    if len(programs) == 1:
        initial["response_model"] = programs[0].response_model
    form = EncounterForm(
        form_data(request),
        programs=programs,
        responders=_responders_for(user),
        initial=initial,
        time_zone=zone,
    )
    followup_form = EncounterFollowupForm(form_data(request))
    # Both forms checked (no short circuit), so every mistake shows at once.
    if form.is_bound and all([form.is_valid(), followup_form.is_valid()]):
        try:
            # One transaction: a follow-up that cannot be scheduled keeps the
            # encounter unsaved too, and the form says why.
            encounter, followup = followup_services.encounter_log_with_followup(
                by=user,
                data=form.encounter_data(),
                program=form.program(),
                person=form.cleaned_data["person"],
                navigators=form.navigator_list(),
                followup=followup_form.wanted(),
            )
        except DomainError as exc:
            # On the follow-up part when it names one of its fields.
            on_followup = set(exc.fields) & set(followup_form.fields)
            apply_domain_error(request, exc, followup_form if on_followup else form)
        else:
            messages.success(request, "Encounter logged.")
            if followup is not None:
                due = timezone.localtime(followup.due_at, encounter.program.tz)
                messages.success(
                    request, f"Follow-up scheduled for {due:%a %-d %b, %H:%M}."
                )
            return _after_encounter_logged(encounter)
    if form.is_bound:
        picker = _picker_context(
            request, request.POST.get("person"), request.POST.get("person_q", "")
        )
    else:
        picker = _picker_context(request, initial["person"])
    return render(
        request,
        "cases/encounter_form.html",
        {"form": form, "picker": picker, "followup_form": followup_form},
    )
