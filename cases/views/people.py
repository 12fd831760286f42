"""People pages: list, add, edit, delete, restore, audit.

The person page (its timeline composes encounters and follow-ups) is in
``cases.workspace.views.person``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from cases import selectors, services
from cases.filters import PersonFilter
from cases.forms import PersonForm, ReasonForm
from cases.views._common import (
    _deleted_for_manager,
    _managed_program_ids,
    _require_manager_of,
    _with_ages,
)
from navigator import disclosure
from navigator.errors import DomainError
from navigator.models import AuditAction
from navigator.selectors import (
    audit_trail_for_person,
    program_ids_for,
    program_list_for,
)
from navigator.views import apply_domain_error, form_data, or_404, paginate

AUDIT_PAGE_SIZE = 50


@login_required
def person_list(request: HttpRequest) -> HttpResponse:
    people = PersonFilter(
        request.GET or None,
        queryset=selectors.person_list_for(user=request.user),
        request=request,
    )
    page = paginate(request, people.qs)
    _with_ages(page.object_list)
    disclosure.people_shown(
        by=request.user, people=page.object_list, kind=disclosure.PERSON_SUMMARY
    )
    return render(
        request,
        "cases/person_list.html",
        {
            "filter": people,
            "page_obj": page,
            "show_program": len(program_ids_for(user=request.user)) > 1,
        },
    )


@login_required
def person_deleted_list(request: HttpRequest) -> HttpResponse:
    if not _managed_program_ids(request.user):
        raise Http404
    qs = _deleted_for_manager(
        selectors.person_list_for(user=request.user, include_deleted=True),
        request.user,
    ).select_related("deleted_by")
    page = paginate(request, qs.order_by("-deleted_at", "-id"))
    disclosure.people_shown(
        by=request.user, people=page.object_list, kind=disclosure.PERSON_NAME
    )
    return render(request, "cases/person_deleted_list.html", {"page_obj": page})


@login_required
def person_create(request: HttpRequest) -> HttpResponse:
    programs = program_list_for(user=request.user)
    form = PersonForm(form_data(request), programs=programs)
    if form.is_bound and form.is_valid():
        try:
            person = services.person_create(
                by=request.user,
                data=form.person_data(),
                program=form.program(),
                aliases=form.alias_list(),
            )
        except DomainError as exc:
            apply_domain_error(request, exc, form)
        else:
            messages.success(request, f"{person.display_name} was added.")
            return redirect("person-detail", person.pk)
    return render(request, "cases/person_form.html", {"form": form})


@login_required
def person_edit(request: HttpRequest, person_id: int) -> HttpResponse:
    person = or_404(selectors.person_get_for, user=request.user, person_id=person_id)
    form = PersonForm(form_data(request), person=person)
    if form.is_bound and form.is_valid():
        try:
            services.person_update(
                by=request.user,
                person=person,
                data=form.person_data(),
                aliases=form.alias_list(),
                expected_updated_at=form.edit_token(),
            )
        except DomainError as exc:
            apply_domain_error(request, exc, form)
        else:
            messages.success(request, "Changes saved.")
            return redirect("person-detail", person.pk)
    # The form shows the whole record.
    services.person_record_viewed(by=request.user, person=person)
    return render(request, "cases/person_form.html", {"form": form, "person": person})


@login_required
def person_delete(request: HttpRequest, person_id: int) -> HttpResponse:
    person = or_404(selectors.person_get_for, user=request.user, person_id=person_id)
    form = ReasonForm(form_data(request))
    if form.is_bound and form.is_valid():
        try:
            services.person_soft_delete(
                by=request.user, person=person, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            apply_domain_error(request, exc, form)
        else:
            messages.success(
                request,
                f"{person.display_name}'s record was deleted. "
                "A program manager can restore it.",
            )
            return redirect("person-list")
    services.person_record_viewed(
        by=request.user, person=person, kind=disclosure.PERSON_NAME
    )
    return render(
        request, "cases/person_confirm_delete.html", {"person": person, "form": form}
    )


@login_required
def person_restore(request: HttpRequest, person_id: int) -> HttpResponse:
    person = or_404(
        selectors.person_get_for,
        user=request.user,
        person_id=person_id,
        include_deleted=True,
    )
    _require_manager_of(request.user, person.program_id)
    if not person.is_deleted:
        return redirect("person-detail", person.pk)
    form = ReasonForm(form_data(request), required=False)
    if form.is_bound and form.is_valid():
        try:
            services.person_restore(
                by=request.user, person=person, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            apply_domain_error(request, exc, form)
        else:
            messages.success(request, f"{person.display_name}'s record was restored.")
            return redirect("person-detail", person.pk)
    services.person_record_viewed(
        by=request.user, person=person, kind=disclosure.PERSON_NAME
    )
    return render(
        request, "cases/person_confirm_restore.html", {"person": person, "form": form}
    )


@login_required
def person_audit(request: HttpRequest, person_id: int) -> HttpResponse:
    person = or_404(
        selectors.person_get_for,
        user=request.user,
        person_id=person_id,
        include_deleted=True,
    )
    _require_manager_of(request.user, person.program_id)
    # The trail shows the record's old and new values: reading it is a read.
    services.person_record_viewed(
        by=request.user, person=person, kind=disclosure.AUDIT_TRAIL
    )
    page = paginate(
        request,
        audit_trail_for_person(user=request.user, person_id=person.pk),
        AUDIT_PAGE_SIZE,
        # One person's trail: every event stays reachable (an accounting of
        # disclosures, HIPAA 164.528, must be complete).
        exact=True,
    )
    return render(
        request,
        "cases/person_audit.html",
        {"person": person, "page_obj": page, "entries": _trail_entries(page)},
    )


def _trail_entries(page) -> list[dict]:
    """The page's events, with each run of LIST events (the person shown in
    lists, searches, exports) folded into one entry, so the views and
    changes of the record stay readable."""
    entries: list[dict] = []
    for event in page.object_list:
        event.disclosed_labels = [
            disclosure.KINDS.get(kind, kind) for kind in event.disclosed
        ]
        if event.action == AuditAction.LIST:
            if entries and "listed" in entries[-1]:
                entries[-1]["listed"].append(event)
            else:
                entries.append({"listed": [event]})
        else:
            entries.append({"event": event})
    return entries
