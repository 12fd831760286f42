"""Encounter pages: person picker, detail, edit, link, delete, restore, list.

Logging an encounter (its form proposes a follow-up) is in
``cases.workspace.views.encounter_log``, which uses the picker from here.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from cases import selectors, services
from cases.filters import EncounterFilter
from cases.forms import EncounterForm, PersonPickForm, ReasonForm
from cases.models import Encounter
from cases.views._common import (
    _deleted_for_manager,
    _managed_program_ids,
    _require_manager_of,
    _with_ages,
    _with_concern_labels,
)
from navigator import disclosure
from navigator.errors import DomainError, NotFound
from navigator.models import Role, User
from navigator.selectors import is_manager_of, program_ids_for
from navigator.views import apply_domain_error, form_data, or_404, paginate

PERSON_OPTIONS_LIMIT = 10


def _responders_for(user: User) -> QuerySet[User]:
    """Navigators of the user's programs, and the user (who may not be one).

    Private until a selector for a program's navigators exists; the service
    still checks each responder against the encounter's program.
    """
    return (
        User.objects.filter(
            Q(pk=user.pk)
            | Q(
                memberships__program_id__in=program_ids_for(user=user),
                memberships__role=Role.NAVIGATOR,
                memberships__is_active=True,
            )
        )
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def _person_options(user: User, query: str, exclude: int | None = None) -> list:
    if not query.strip():
        return []
    people = list(
        selectors.person_search(selectors.person_list_for(user=user), query).exclude(
            pk=exclude
        )[:PERSON_OPTIONS_LIMIT]
    )
    _with_ages(people)
    disclosure.people_shown(by=user, people=people, kind=disclosure.PERSON_SUMMARY)
    return people


def _picker_context(
    request: HttpRequest, chosen_id: Any, query: str = ""
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
    return {
        "chosen": chosen,
        "person_q": query,
        "candidates": _person_options(
            request.user, query, chosen.pk if chosen else None
        ),
        "show_program": len(program_ids_for(user=request.user)) > 1,
    }


def _encounter_shown(
    request: HttpRequest, encounter: Encounter, kind: str = disclosure.ENCOUNTER
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
def encounter_person_options(request: HttpRequest) -> HttpResponse:
    """Search results for the person picker (htmx swaps them in)."""
    return render(
        request,
        "cases/encounters/_person_options.html",
        {
            "candidates": _person_options(
                request.user, request.GET.get("person_q", "")
            ),
            "person_q": request.GET.get("person_q", ""),
            "show_program": len(program_ids_for(user=request.user)) > 1,
        },
    )


@login_required
def encounter_detail(request: HttpRequest, encounter_id: int) -> HttpResponse:
    encounter = or_404(
        selectors.encounter_get_for, user=request.user, encounter_id=encounter_id
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
def encounter_edit(request: HttpRequest, encounter_id: int) -> HttpResponse:
    user = request.user
    encounter = or_404(
        selectors.encounter_get_for, user=user, encounter_id=encounter_id
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
def encounter_link(request: HttpRequest, encounter_id: int) -> HttpResponse:
    encounter = or_404(
        selectors.encounter_get_for, user=request.user, encounter_id=encounter_id
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
def encounter_delete(request: HttpRequest, encounter_id: int) -> HttpResponse:
    encounter = or_404(
        selectors.encounter_get_for, user=request.user, encounter_id=encounter_id
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
def encounter_restore(request: HttpRequest, encounter_id: int) -> HttpResponse:
    encounter = or_404(
        selectors.encounter_get_for,
        user=request.user,
        encounter_id=encounter_id,
        include_deleted=True,
    )
    _require_manager_of(request.user, encounter.program_id)
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
def encounter_list(request: HttpRequest) -> HttpResponse:
    """The program's encounters, for its program managers only."""
    if not _managed_program_ids(request.user):
        raise Http404
    show_deleted = request.GET.get("deleted") == "1"
    qs = (
        _deleted_for_manager(
            selectors.encounter_list_for(user=request.user, include_deleted=True),
            request.user,
        )
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
            "show_program": len(_managed_program_ids(request.user)) > 1,
        },
    )
