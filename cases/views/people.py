"""People pages: list, add, edit, delete, restore, audit.

The person page (its timeline composes encounters and follow-ups) is in
``cases.workspace.views.person``.
"""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render

from cases import selectors, services
from cases.filters import PersonFilter
from cases.forms import PersonForm, ReasonForm
from cases.models import Person
from cases.views._common import (
    _with_ages,
)
from navigator import disclosure
from navigator.audit_display import (
    CSV_HEADER,
    AuditTrailFilterForm,
    audit_rows,
    csv_values,
    trail_entries,
)
from navigator.csvsafe import csv_cell
from navigator.errors import DomainError
from navigator.http import AuthedRequest
from navigator.models import AuditEvent
from navigator.selectors import (
    audit_trail_actors_for_person,
    audit_trail_for_person,
    program_list_for,
    staff_program_ids_for,
)
from navigator.views import (
    apply_domain_error,
    form_data,
    paginate,
    safe_next,
    with_query,
)

AUDIT_PAGE_SIZE = 50


@login_required
def person_list(request: AuthedRequest) -> HttpResponse:
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
            "show_program": len(staff_program_ids_for(user=request.user)) > 1,
        },
    )


@login_required
def person_deleted_list(request: AuthedRequest) -> HttpResponse:
    qs = selectors.person_list_deleted_for_manager(user=request.user).select_related(
        "deleted_by"
    )
    page = paginate(request, qs.order_by("-deleted_at", "-id"))
    disclosure.people_shown(
        by=request.user, people=page.object_list, kind=disclosure.PERSON_NAME
    )
    return render(request, "cases/person_deleted_list.html", {"page_obj": page})


@login_required
def person_create(request: AuthedRequest) -> HttpResponse:
    programs = program_list_for(user=request.user)
    back_to = safe_next(request)
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
            if back_to:
                # Back where the user came from (the encounter link page),
                # with the new person chosen there.
                return redirect(with_query(back_to, person=person.pk))
            return redirect("person-detail", person.pk)
    return render(request, "cases/person_form.html", {"form": form, "next": back_to})


@login_required
def person_edit(request: AuthedRequest, person_id: int) -> HttpResponse:
    person = selectors.person_get_for(
        user=request.user, person_id=person_id, action="edit"
    )
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
def person_delete(request: AuthedRequest, person_id: int) -> HttpResponse:
    person = selectors.person_get_for(
        user=request.user, person_id=person_id, action="delete"
    )
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
def person_restore(request: AuthedRequest, person_id: int) -> HttpResponse:
    person = selectors.person_get_for(
        user=request.user, person_id=person_id, action="restore"
    )
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


def _audit_trail(
    request: AuthedRequest, person_id: int
) -> tuple[Person, AuditTrailFilterForm, QuerySet[AuditEvent]]:
    """The person, the trail's filter form and the trail it selects (one
    door for the page and its export)."""
    # Managers of the person's program only (cases.selectors.person_access
    # "audit"): 403 with the reason for the program's other staff.
    person = selectors.person_get_for(
        user=request.user, person_id=person_id, action="audit"
    )
    form = AuditTrailFilterForm(
        request.GET or None,
        actors=audit_trail_actors_for_person(user=request.user, person_id=person.pk),
    )
    trail = audit_trail_for_person(
        user=request.user, person_id=person.pk, filters=form.filters()
    )
    # The trail shows the record's old and new values: reading it is a read.
    services.person_record_viewed(
        by=request.user, person=person, kind=disclosure.AUDIT_TRAIL
    )
    return person, form, trail


@login_required
def person_audit(request: AuthedRequest, person_id: int) -> HttpResponse:
    person, form, trail = _audit_trail(request, person_id)
    page = paginate(
        request,
        trail,
        AUDIT_PAGE_SIZE,
        # One person's trail: every event stays reachable (an accounting of
        # disclosures, HIPAA 164.528, must be complete).
        exact=True,
    )
    tz = person.program.tz
    return render(
        request,
        "cases/person_audit.html",
        {
            "person": person,
            "page_obj": page,
            "form": form,
            "filter_query": form.query(),
            "time_zone": tz.key,
            "entries": trail_entries(audit_rows(list(page.object_list), tz=tz)),
        },
    )


@login_required
def person_audit_export(request: AuthedRequest, person_id: int) -> HttpResponse:
    """The trail (as filtered on the page) as CSV, times in the program's
    time zone; the export is audited as a read of the trail."""
    person, _form, trail = _audit_trail(request, person_id)
    rows = audit_rows(list(trail), tz=person.program.tz)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="audit-trail-person-{person.pk}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(CSV_HEADER)
    for row in rows:
        writer.writerow([csv_cell(value) for value in csv_values(row)])
    return response
