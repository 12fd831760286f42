"""Encounter pages: person picker, detail, edit, link, delete, restore, list.

Logging an encounter (its form proposes a follow-up) is in
``cases.workspace.views.encounter_log``, which uses the picker from here.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from cases import selectors, services
from cases.filters import EncounterFilter
from cases.forms import EncounterForm, PersonPickForm, ReasonForm
from cases.models import Encounter, Person
from cases.views._common import _with_ages, _with_concern_labels
from navigator import disclosure
from navigator.errors import DomainError, NotFound
from navigator.http import AuthedRequest
from navigator.models import User
from navigator.selectors import (
    is_manager_of,
    managed_program_ids_for,
    program_access,
    staff_program_ids_for,
)
from navigator.views import apply_domain_error, form_data, paginate

PERSON_OPTIONS_LIMIT = 10


def _responders_for(user: User) -> QuerySet[User]:
    return selectors.encounter_responders_for(user=user)


def _person_options(user: User, query: str, exclude: int | None = None) -> list[Person]:
    if not query.strip():
        return []
    found = selectors.person_search(selectors.person_list_for(user=user), query)
    if exclude is not None:
        found = found.exclude(pk=exclude)
    people = list(found[:PERSON_OPTIONS_LIMIT])
    _with_ages(people)
    disclosure.people_shown(by=user, people=people, kind=disclosure.PERSON_SUMMARY)
    return people


def _picker_context(
    request: AuthedRequest, chosen_id: Any, query: str = ""
) -> dict[str, Any]:
    """The person picker: the chosen person (if any) and search results."""
    chosen = None
    if chosen_id not in (None, ""):
        try:
            chosen = selectors.person_get_for(user=request.user, person_id=chosen_id)
        except NotFound:
            chosen = None  # the service names the field when the form is saved
        else:
            _with_ages([chosen])
            disclosure.people_shown(
                by=request.user,
                people=[chosen],
                kind=disclosure.PERSON_SUMMARY,
                listed=False,
            )
            disclosure.safety_plan_shown(by=request.user, person=chosen)
    return {
        "chosen": chosen,
        "person_q": query,
        "candidates": _person_options(
            request.user, query, chosen.pk if chosen else None
        ),
        "show_program": len(staff_program_ids_for(user=request.user)) > 1,
    }


def _encounter_shown(
    request: AuthedRequest, encounter: Encounter, kind: str = disclosure.ENCOUNTER
) -> None:
    # An encounter is part of its person's record; an unidentified one is
    # nobody's.
    disclosure.record_opened(by=request.user, record=encounter, kind=kind)


def _after_encounter_saved(encounter: Encounter):
    if encounter.person_id:
        return redirect("person-detail", encounter.person_id)
    return redirect("encounter-detail", encounter.pk)


@login_required
@require_GET
def encounter_person_options(request: AuthedRequest) -> HttpResponse:
    """Search results for the person picker (htmx swaps them in)."""
    return render(
        request,
        "cases/encounters/_person_options.html",
        {
            "candidates": _person_options(
                request.user, request.GET.get("person_q", "")
            ),
            "person_q": request.GET.get("person_q", ""),
            "show_program": len(staff_program_ids_for(user=request.user)) > 1,
        },
    )


@login_required
@require_GET
def encounter_person_plan(request: AuthedRequest) -> HttpResponse:
    """The safety / response plan of the person just chosen in the picker
    (htmx swaps it in beside the form); nothing for "not identified yet"."""
    person = None
    if request.GET.get("person"):
        person = selectors.person_get_for(
            user=request.user, person_id=request.GET["person"]
        )
        disclosure.safety_plan_shown(by=request.user, person=person)
    return render(
        request, "cases/people/_safety_plan.html", {"person": person, "named": True}
    )


@login_required
def encounter_detail(request: AuthedRequest, encounter_id: int) -> HttpResponse:
    encounter = selectors.encounter_get_for(
        user=request.user, encounter_id=encounter_id
    )
    _encounter_shown(request, encounter)
    _with_concern_labels([encounter])
    return render(
        request,
        "cases/encounter_detail.html",
        {
            "encounter": encounter,
            "is_manager": is_manager_of(
                user=request.user, program_id=encounter.program_id
            ),
        },
    )


@login_required
def encounter_edit(request: AuthedRequest, encounter_id: int) -> HttpResponse:
    user = request.user
    encounter = selectors.encounter_get_for(
        user=user, encounter_id=encounter_id, action="edit"
    )
    form = EncounterForm(
        form_data(request), responders=_responders_for(user), encounter=encounter
    )
    if form.is_bound and form.is_valid():
        chosen = form.cleaned_data["person"]
        try:
            encounter = services.encounter_update(
                by=user,
                encounter=encounter,
                data=form.encounter_data(),
                # An unchanged link is left alone (``...``), not re-checked.
                person=... if chosen == encounter.person_id else chosen,
                navigators=form.navigator_list(),
                expected_updated_at=form.edit_token(),
            )
        except DomainError as exc:
            apply_domain_error(request, exc, form)
        else:
            messages.success(request, "Encounter saved.")
            return _after_encounter_saved(encounter)
    _encounter_shown(request, encounter)
    if form.is_bound:
        picker = _picker_context(
            request, request.POST.get("person"), request.POST.get("person_q", "")
        )
    else:
        picker = _picker_context(request, encounter.person_id)
    return render(
        request,
        "cases/encounter_form.html",
        {"form": form, "picker": picker, "encounter": encounter},
    )


@login_required
def encounter_link(request: AuthedRequest, encounter_id: int) -> HttpResponse:
    encounter = selectors.encounter_get_for(
        user=request.user, encounter_id=encounter_id, action="link"
    )
    form = PersonPickForm(form_data(request))
    if form.is_bound and form.is_valid():
        try:
            encounter = services.encounter_link_person(
                by=request.user, encounter=encounter, person=form.cleaned_data["person"]
            )
        except DomainError as exc:
            apply_domain_error(request, exc, form)
        else:
            messages.success(request, "Encounter linked to the person.")
            return redirect("person-detail", encounter.person_id)
    _encounter_shown(request, encounter, disclosure.ENCOUNTER_SUMMARY)
    source = request.POST if form.is_bound else request.GET
    picker = _picker_context(
        request,
        source.get("person", encounter.person_id),
        source.get("person_q", ""),
    )
    return render(
        request,
        "cases/encounter_link.html",
        {"encounter": encounter, "form": form, "picker": picker},
    )


@login_required
def encounter_delete(request: AuthedRequest, encounter_id: int) -> HttpResponse:
    encounter = selectors.encounter_get_for(
        user=request.user, encounter_id=encounter_id, action="delete"
    )
    form = ReasonForm(form_data(request))
    if form.is_bound and form.is_valid():
        try:
            services.encounter_soft_delete(
                by=request.user, encounter=encounter, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            apply_domain_error(request, exc, form)
        else:
            messages.success(
                request, "Encounter deleted. A program manager can restore it."
            )
            if encounter.person_id:
                return redirect("person-detail", encounter.person_id)
            return redirect("today")
    _encounter_shown(request, encounter, disclosure.ENCOUNTER_SUMMARY)
    return render(
        request,
        "cases/encounter_confirm_delete.html",
        {"encounter": encounter, "form": form},
    )


@login_required
def encounter_restore(request: AuthedRequest, encounter_id: int) -> HttpResponse:
    encounter = selectors.encounter_get_for(
        user=request.user, encounter_id=encounter_id, action="restore"
    )
    if not encounter.is_deleted:
        return redirect("encounter-detail", encounter.pk)
    form = ReasonForm(form_data(request), required=False)
    if form.is_bound and form.is_valid():
        try:
            services.encounter_restore(
                by=request.user, encounter=encounter, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            apply_domain_error(request, exc, form)
        else:
            messages.success(request, "Encounter restored.")
            return redirect("encounter-detail", encounter.pk)
    _encounter_shown(request, encounter, disclosure.ENCOUNTER_SUMMARY)
    return render(
        request,
        "cases/encounter_confirm_restore.html",
        {"encounter": encounter, "form": form},
    )


@login_required
def encounter_unidentified_list(request: AuthedRequest) -> HttpResponse:
    """Unidentified encounters waiting to be linked, for anyone who logs them
    (Today shows only the user's own of the last 14 days)."""
    encounters = EncounterFilter(
        request.GET or None,
        queryset=selectors.encounter_list_unidentified_for(user=request.user),
        request=request,
    )
    page = paginate(request, encounters.qs)
    _with_concern_labels(page.object_list)
    # Nobody's record: an unidentified encounter names no one
    # (navigator.disclosure.records_shown skips them), noted all the same.
    disclosure.records_shown(
        by=request.user, records=page.object_list, kind=disclosure.ENCOUNTER_SUMMARY
    )
    return render(
        request,
        "cases/encounter_unidentified.html",
        {
            "filter": encounters,
            "page_obj": page,
            "show_program": len(staff_program_ids_for(user=request.user)) > 1,
        },
    )


@login_required
def encounter_list(request: AuthedRequest) -> HttpResponse:
    """The program's encounters, for its program managers only."""
    program_access(user=request.user)
    show_deleted = request.GET.get("deleted") == "1"
    qs = (
        selectors.encounter_list_deleted_for_manager(user=request.user)
        if show_deleted
        else selectors.encounter_list_for_manager(user=request.user)
    )
    encounters = EncounterFilter(request.GET or None, queryset=qs, request=request)
    page = paginate(request, encounters.qs)
    _with_concern_labels(page.object_list)
    disclosure.records_shown(
        by=request.user,
        records=page.object_list,
        kind=disclosure.ENCOUNTER_SUMMARY,
        named=True,
    )
    return render(
        request,
        "cases/encounter_list.html",
        {
            "filter": encounters,
            "page_obj": page,
            "show_deleted": show_deleted,
            "show_program": len(managed_program_ids_for(user=request.user)) > 1,
        },
    )
