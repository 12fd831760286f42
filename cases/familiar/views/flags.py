"""A manager's actions on a row of the list: enroll, dismiss; ending an
enrollment."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from cases.familiar import selectors, services
from cases.familiar.forms import DismissForm, EndEnrollmentForm, EnrollForm
from cases.familiar.views._common import (
    back,
    list_url,
)
from cases.models import FamiliarFaceFlag, FlagStatus
from navigator import disclosure
from navigator.errors import DomainError
from navigator.http import AuthedRequest
from navigator.views import apply_domain_error, form_data


def _flag_shown(request: AuthedRequest, flag: FamiliarFaceFlag) -> None:
    # The page says why the person is on the list (familiar/_why.html).
    disclosure.record_opened(
        by=request.user, record=flag, kind=disclosure.FAMILIAR_FACES
    )


@login_required
def familiar_enroll(request: AuthedRequest, flag_id: int) -> HttpResponse:
    flag = selectors.familiar_face_get_for(
        user=request.user, flag_id=flag_id, action="enroll"
    )
    form = EnrollForm(
        form_data(request),
        navigators=selectors.enrollment_navigators_for(program_id=flag.program_id),
    )
    if form.is_bound and form.is_valid():
        try:
            services.familiar_enroll(
                by=request.user,
                person=flag.person,
                navigator=form.cleaned_data["navigator"],
                plan=form.cleaned_data["plan"],
            )
        except DomainError as exc:
            apply_domain_error(request, exc, form)
        else:
            messages.success(
                request,
                f"{flag.person.display_name} is enrolled in intensive follow-up.",
            )
            return redirect(back(request, list_url()))
    _flag_shown(request, flag)
    return render(
        request,
        "familiar/enroll.html",
        {"flag": flag, "form": form, "next": back(request, list_url())},
    )


@login_required
def familiar_dismiss(request: AuthedRequest, flag_id: int) -> HttpResponse:
    flag = selectors.familiar_face_get_for(
        user=request.user, flag_id=flag_id, action="dismiss"
    )
    form = DismissForm(form_data(request))
    if form.is_bound and form.is_valid():
        try:
            services.familiar_flag_dismiss(
                by=request.user, flag=flag, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            apply_domain_error(request, exc, form)
        else:
            messages.success(
                request,
                f"{flag.person.display_name} is off the list until they have "
                "new contacts.",
            )
            return redirect(back(request, list_url()))
    _flag_shown(request, flag)
    return render(
        request,
        "familiar/dismiss.html",
        {
            "flag": flag,
            "form": form,
            "is_active": flag.status == FlagStatus.ACTIVE,
            "next": back(request, list_url()),
        },
    )


@login_required
def familiar_enrollment_end(request: AuthedRequest, enrollment_id: int) -> HttpResponse:
    enrollment = selectors.enrollment_get_for(
        user=request.user, enrollment_id=enrollment_id, action="end"
    )
    person_page = reverse("person-detail", args=[enrollment.person_id])
    form = EndEnrollmentForm(form_data(request))
    if form.is_bound and form.is_valid():
        try:
            services.familiar_enrollment_end(
                by=request.user,
                enrollment=enrollment,
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            apply_domain_error(request, exc, form)
        else:
            messages.success(request, "The enrollment has ended.")
            return redirect(person_page + "#familiar-faces")
    disclosure.record_opened(
        by=request.user, record=enrollment, kind=disclosure.ENROLLMENT
    )
    return render(
        request,
        "familiar/enrollment_end.html",
        {"enrollment": enrollment, "form": form, "person_page": person_page},
    )
