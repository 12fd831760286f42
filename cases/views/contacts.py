"""Family / caregiver contacts of a person: add, edit, remove."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from cases import selectors, services
from cases.forms import FamilyContactForm, ReasonForm
from cases.models import FamilyContact, Person
from navigator import disclosure
from navigator.errors import DomainError
from navigator.http import AuthedRequest
from navigator.views import apply_domain_error, form_data


def person_url(person: Person) -> str:
    return reverse("person-detail", args=[person.pk])


def _contact_shown(request: AuthedRequest, contact: FamilyContact) -> None:
    disclosure.record_opened(
        by=request.user,
        record=contact,
        kind=disclosure.FAMILY_CONTACT,
        program_id=contact.person.program_id,
    )


def _contact_of(
    request: AuthedRequest,
    person_id: int,
    contact_id: int,
    action: selectors.FamilyContactAction,
    *,
    include_deleted: bool = False,
) -> FamilyContact:
    return selectors.family_contact_get_for(
        user=request.user,
        contact_id=contact_id,
        person_id=person_id,
        action=action,
        include_deleted=include_deleted,
    )


@login_required
def family_contact_add(request: AuthedRequest, person_id: int) -> HttpResponse:
    person = selectors.person_get_for(user=request.user, person_id=person_id)
    form = FamilyContactForm(form_data(request))
    if form.is_bound and form.is_valid():
        try:
            services.family_contact_add(
                by=request.user, person=person, data=form.contact_data()
            )
        except DomainError as exc:
            apply_domain_error(request, exc, form)
        else:
            messages.success(request, "Contact added.")
            return redirect(person_url(person) + "#contacts")
    services.person_record_viewed(
        by=request.user, person=person, kind=disclosure.PERSON_NAME
    )
    return render(
        request, "cases/family_contact_form.html", {"person": person, "form": form}
    )


@login_required
def family_contact_edit(
    request: AuthedRequest, person_id: int, contact_id: int
) -> HttpResponse:
    contact = _contact_of(request, person_id, contact_id, "edit")
    form = FamilyContactForm(form_data(request), contact=contact)
    if form.is_bound and form.is_valid():
        try:
            services.family_contact_update(
                by=request.user, contact=contact, data=form.contact_data()
            )
        except DomainError as exc:
            apply_domain_error(request, exc, form)
        else:
            messages.success(request, "Contact saved.")
            return redirect(person_url(contact.person) + "#contacts")
    _contact_shown(request, contact)
    return render(
        request,
        "cases/family_contact_form.html",
        {"person": contact.person, "contact": contact, "form": form},
    )


@login_required
def family_contact_remove(
    request: AuthedRequest, person_id: int, contact_id: int
) -> HttpResponse:
    contact = _contact_of(request, person_id, contact_id, "remove")
    form = ReasonForm(form_data(request))
    if form.is_bound and form.is_valid():
        try:
            services.family_contact_remove(
                by=request.user, contact=contact, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            apply_domain_error(request, exc, form)
        else:
            messages.success(request, f"{contact.name} was removed from the contacts.")
            return redirect(person_url(contact.person) + "#contacts")
    _contact_shown(request, contact)
    return render(
        request,
        "cases/family_contact_confirm_remove.html",
        {"person": contact.person, "contact": contact, "form": form},
    )


@login_required
def family_contact_restore(
    request: AuthedRequest, person_id: int, contact_id: int
) -> HttpResponse:
    # Managers only (cases.selectors.family_contact_access "restore"): 403
    # with the reason for the program's other staff, as on the API.
    contact = _contact_of(
        request, person_id, contact_id, "restore", include_deleted=True
    )
    if not contact.is_deleted:
        return redirect(person_url(contact.person) + "#contacts")
    form = ReasonForm(form_data(request), required=False)
    if form.is_bound and form.is_valid():
        try:
            services.family_contact_restore(
                by=request.user, contact=contact, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            apply_domain_error(request, exc, form)
        else:
            messages.success(request, f"{contact.name} is back in the contacts.")
            return redirect(person_url(contact.person) + "#contacts")
    _contact_shown(request, contact)
    return render(
        request,
        "cases/family_contact_confirm_restore.html",
        {"person": contact.person, "contact": contact, "form": form},
    )
