"""Consent pages: record, read, revoke, mark recorded in error, the scanned
form's download, a person's consent history.

Thin: the selectors decide who may see what (out of scope: 404 through
``AccessErrorsMiddleware``), the services every rule; what each answer
shows of a person's record is noted for the disclosure audit.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from cases import selectors as person_selectors
from cases.consents import selectors, services
from cases.consents.forms import ConsentForm, InErrorForm, RevokeForm
from cases.consents.rules import PART2_ELEMENTS
from cases.consents.selectors import ConsentSummary
from cases.models import Consent, InfoClass, Person
from navigator import disclosure
from navigator.errors import DomainError
from navigator.http import AuthedRequest
from navigator.uploads import stored_file_response
from navigator.views import apply_domain_error, form_data, paginate, safe_next

HISTORY_PAGE_SIZE = 25


def _consents_shown(
    request: AuthedRequest, person: Person, consents: list[Consent]
) -> None:
    """Consents are part of the person's record (HIPAA access accounting)."""
    disclosure.records_shown(
        by=request.user,
        records=consents,
        kind=disclosure.CONSENT,
        listed=False,
        program_id=person.program_id,
    )


def _name_shown(request: AuthedRequest, person: Person) -> None:
    disclosure.note(
        by=request.user,
        person_id=person.pk,
        program_id=person.program_id,
        kind=disclosure.PERSON_NAME,
        object_id=person.pk,
    )


def _initial(request: AuthedRequest, agencies) -> dict:
    """``?agency=<id>&classes=a,b&next=`` from the Refer flow, kept only
    where it names a choice of the form."""
    initial: dict = {"next": safe_next(request)}
    agency = request.GET.get("agency", "")
    if (
        agency.isascii()
        and agency.isdigit()
        and agencies.filter(pk=int(agency)).exists()
    ):
        initial["agency"] = int(agency)
    classes = [
        c for c in request.GET.get("classes", "").split(",") if c in InfoClass.values
    ]
    if classes:
        initial["info_classes"] = classes
    return initial


@login_required
@require_http_methods(["GET", "POST"])
def consent_add(request: AuthedRequest, person_pk: int) -> HttpResponse:
    person = person_selectors.person_get_for(user=request.user, person_id=person_pk)
    agencies = selectors.consent_agency_choices(person=person)
    form = ConsentForm(
        form_data(request),
        request.FILES or None,
        agencies=agencies,
        discloser=person.program.name,
        initial=_initial(request, agencies),
    )
    if request.method == "POST" and request.GET.get("check"):
        # The form's live §2.31 check (htmx, on every change): nothing saved.
        checked = services.consent_draft(
            by=request.user, person=person, data=form.draft_data()
        )
        return render(
            request,
            "cases/consents/_part2_check.html",
            {"summary": _draft_summary(checked, person)},
        )
    if form.is_bound and form.is_valid():
        try:
            consent = services.consent_record(
                by=request.user,
                person=person,
                data=form.consent_data(),
                form_upload=form.cleaned_data.get("form"),
            )
        except DomainError as exc:
            apply_domain_error(request, exc, form)
        else:
            summary = selectors.consent_summaries([consent], program=person.program)[0]
            if summary.part2_incomplete:
                messages.warning(
                    request,
                    "Consent recorded as incomplete: it does not cover "
                    "substance-use information until it has "
                    + "; ".join(summary.part2_missing_labels)
                    + " (42 CFR §2.31).",
                )
            else:
                messages.success(request, "Consent recorded.")
            return redirect(
                safe_next(request) or reverse("consent-detail", args=[consent.pk])
            )
    _name_shown(request, person)
    draft: Consent | None = None
    if form.is_bound:
        draft = services.consent_draft(
            by=request.user, person=person, data=form.draft_data()
        )
    return render(
        request,
        "cases/consents/consent_form.html",
        {
            "person": person,
            "form": form,
            "summary": _draft_summary(draft, person) if draft else None,
            "next": safe_next(request),
        },
    )


def _draft_summary(draft: Consent, person: Person) -> ConsentSummary:
    return selectors.consent_summaries([draft], program=person.program)[0]


@login_required
def consent_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    consent = selectors.consent_get_for(user=request.user, pk=pk)
    person = consent.person
    summary = selectors.consent_summaries([consent], program=person.program)[0]
    referrals = selectors.consent_relied_on_by(consent=consent)
    _consents_shown(request, person, [consent])
    disclosure.records_shown(
        by=request.user,
        records=referrals,
        kind=disclosure.REFERRAL_SUMMARY,
        listed=False,
    )
    _name_shown(request, person)
    return render(
        request,
        "cases/consents/consent_detail.html",
        {
            "person": person,
            "consent": consent,
            "summary": summary,
            "referrals": referrals,
            "part2_elements": PART2_ELEMENTS,
        },
    )


@login_required
def consent_list(request: AuthedRequest, person_pk: int) -> HttpResponse:
    """A person's consents, every one: in force, ended, recorded in error."""
    person = person_selectors.person_get_for(user=request.user, person_id=person_pk)
    page = paginate(
        request,
        selectors.consent_list_for(user=request.user, person=person),
        HISTORY_PAGE_SIZE,
        exact=True,
    )
    rows = selectors.consent_summaries(page.object_list, program=person.program)
    _consents_shown(request, person, [r.consent for r in rows])
    _name_shown(request, person)
    return render(
        request,
        "cases/consents/consent_list.html",
        {"person": person, "page_obj": page, "rows": rows},
    )


@login_required
@require_http_methods(["GET", "POST"])
def consent_revoke(request: AuthedRequest, pk: int) -> HttpResponse:
    consent = selectors.consent_get_for(user=request.user, pk=pk, action="revoke")
    form = RevokeForm(form_data(request))
    if form.is_bound and form.is_valid():
        try:
            services.consent_revoke(
                by=request.user,
                consent=consent,
                method=form.cleaned_data["method"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            apply_domain_error(request, exc, form)
        else:
            messages.success(request, "Consent revoked: from now on it allows nothing.")
            return redirect("consent-detail", pk=consent.pk)
    _consents_shown(request, consent.person, [consent])
    _name_shown(request, consent.person)
    return render(
        request,
        "cases/consents/consent_revoke.html",
        {"consent": consent, "person": consent.person, "form": form},
    )


@login_required
@require_http_methods(["GET", "POST"])
def consent_mark_in_error(request: AuthedRequest, pk: int) -> HttpResponse:
    consent = selectors.consent_get_for(user=request.user, pk=pk, action="delete")
    form = InErrorForm(form_data(request))
    if form.is_bound and form.is_valid():
        try:
            services.consent_mark_in_error(
                by=request.user, consent=consent, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            apply_domain_error(request, exc, form)
        else:
            messages.success(request, "Consent marked as recorded in error.")
            return redirect("consent-detail", pk=consent.pk)
    _consents_shown(request, consent.person, [consent])
    _name_shown(request, consent.person)
    return render(
        request,
        "cases/consents/consent_in_error.html",
        {"consent": consent, "person": consent.person, "form": form},
    )


@login_required
@require_http_methods(["GET"])
def consent_form_download(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """The scanned form, to staff who may see the consent; the read is
    audited as a disclosure of the person's record."""
    consent = selectors.consent_form_for(user=request.user, pk=pk)
    person = consent.person
    response = stored_file_response(consent.form)  # type: ignore[arg-type]
    disclosure.note(
        by=request.user,
        person_id=person.pk,
        program_id=person.program_id,
        kind=disclosure.CONSENT_FORM,
        object_id=consent.pk,
    )
    return response
