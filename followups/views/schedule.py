"""Scheduling pages: a follow-up with a person, the plan after an encounter."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from cases import selectors as cases_selectors
from followups import selectors, services
from followups.forms import FollowupPlanForm, FollowupScheduleForm
from followups.views._common import _failed
from navigator import disclosure
from navigator.errors import DomainError
from navigator.http import AuthedRequest
from navigator.views import form_data


@login_required
def followup_schedule(request: AuthedRequest) -> HttpResponse:
    """Schedule a follow-up with a person (``?person=<id>``)."""
    person = cases_selectors.person_get_for(
        user=request.user, person_id=request.GET.get("person")
    )
    contacts = selectors.followup_contacts_for(person=person)
    form = FollowupScheduleForm(
        form_data(request),
        person=person,
        contacts=contacts,
        assignees=selectors.assignable_users_for(program=person.program),
        can_remind=selectors.person_reminder_possible(person=person),
        user=request.user,
    )
    status = 200
    if form.is_bound and form.is_valid():
        try:
            followup = services.followup_schedule(
                by=request.user,
                person=person,
                due_at=form.due_at_for(person.program),
                method=form.cleaned_data["method"],
                assigned_to=form.cleaned_data["assigned_to"],
                contact=form.cleaned_data["contact"],
                purpose=form.cleaned_data["purpose"],
                priority=form.cleaned_data["priority"],
                remind_person=form.cleaned_data["remind_person"],
            )
        except DomainError as exc:
            status = _failed(request, exc, form)
        else:
            due = timezone.localtime(followup.due_at, person.program.tz)
            messages.success(
                request,
                f"Follow-up scheduled for {due:%a %-d %b, %H:%M}.",
            )
            return redirect(reverse("person-detail", args=[person.pk]) + "#timeline")
    # The form names the person and offers their contacts (with phones).
    disclosure.people_shown(
        by=request.user, people=[person], kind=disclosure.PERSON_NAME, listed=False
    )
    disclosure.records_shown(
        by=request.user,
        records=list(contacts),
        kind=disclosure.FAMILY_CONTACT,
        listed=False,
        program_id=person.program_id,
    )
    return render(
        request,
        "followups/followup_schedule.html",
        {"form": form, "person": person},
        status=status,
    )


@login_required
def followup_plan(request: AuthedRequest, encounter_id: int) -> HttpResponse:
    """The program's default follow-ups for a just-logged encounter."""
    encounter = cases_selectors.encounter_get_for(
        user=request.user, encounter_id=encounter_id
    )
    steps = selectors.followup_plan_for(encounter=encounter)
    if not steps or encounter.person_id is None:
        return redirect("encounter-detail", encounter.pk)
    form = FollowupPlanForm(
        form_data(request), steps=steps, time_zone=encounter.program.time_zone
    )
    status = 200
    if form.is_bound and form.is_valid():
        try:
            scheduled = services.followups_schedule_plan(
                by=request.user,
                encounter=encounter,
                steps=form.chosen_steps(),
                at=form.cleaned_data["at"],
            )
        except DomainError as exc:
            status = _failed(request, exc, form)
        else:
            if scheduled:
                messages.success(
                    request,
                    f"{len(scheduled)} follow-up{'s' if len(scheduled) != 1 else ''} "
                    "scheduled.",
                )
            return redirect(
                reverse("person-detail", args=[encounter.person_id]) + "#timeline"
            )
    at = (form.cleaned_data.get("at") if form.is_bound else None) or form.fields[
        "at"
    ].initial
    already = list(
        selectors.followup_list_for_encounter(user=request.user, encounter=encounter)
    )
    disclosure.record_opened(
        by=request.user, record=encounter, kind=disclosure.ENCOUNTER_SUMMARY
    )
    disclosure.records_shown(
        by=request.user, records=already, kind=disclosure.FOLLOWUP, listed=False
    )
    proposals = [
        {
            "step": step,
            "due_at": services.due_in_days(
                program=encounter.program,
                days=step.days_after,
                at=at,
                now=encounter.started_at,
            ),
        }
        for step in steps
    ]
    return render(
        request,
        "followups/followup_plan.html",
        {
            "encounter": encounter,
            "form": form,
            "proposals": proposals,
            "already": already,
        },
        status=status,
    )
