"""Refer: from the person page or an encounter, search the directory, choose
one service (or up to three for one need), say what the referral carries,
see at once whether consent allows it for each agency (with a link to
record the missing consent, which comes back here with the choices), and
send it or save it as a draft.

Free text (the reason, an override's reason) travels only in POST bodies,
never in a URL (query strings end up in logs and browser history): the
search posts the form back, and the consent link carries the choices, not
what was typed.
"""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET

from cases import selectors as case_selectors
from cases.consents.selectors import ConsentDecision, consent_decision_for
from cases.models import Encounter, InfoClass, Person
from navigator import disclosure
from navigator.errors import Conflict, DomainError
from navigator.http import AuthedRequest
from navigator.selectors import staff_users_of
from navigator.views import apply_domain_error
from referrals import services
from referrals.forms import ReferForm, ServiceSearchForm
from referrals.models import Agency, Service, Urgency
from referrals.selectors import (
    ServiceSearch,
    respond_by_defaults_for,
    service_search_for,
)

# Services a search lists at once (the chosen ones are always listed).
RESULTS_LIMIT = 20
# What the consent page's link back carries: the choices, never free text.
CHOICES = (
    "person",
    "encounter",
    "services",
    "info_classes",
    "urgency",
    "is_involuntary",
    "respond_by",
    "assigned_to",
)


def _subject(
    request: AuthedRequest, source: QueryDict
) -> tuple[Person | None, Encounter | None]:
    """The person referred, from ``?person=`` or ``?encounter=`` (then the
    encounter's person); each asked of its scoped selector (404 outside)."""
    encounter_id = source.get("encounter")
    if encounter_id:
        encounter = case_selectors.encounter_get_for(
            user=request.user, encounter_id=str(encounter_id)
        )
        return encounter.person, encounter
    person = case_selectors.person_get_for(
        user=request.user, person_id=source.get("person")
    )
    return person, None


def _partner_services(request: AuthedRequest, person: Person) -> QuerySet[Service]:
    return service_search_for(
        user=request.user, search=ServiceSearch(program_id=person.program_id)
    )


def _ids(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isascii() and v.isdigit() and len(v) < 12]


def _carries(source: QueryDict) -> list[str]:
    chosen = [c for c in source.getlist("info_classes") if c in InfoClass.values]
    return chosen or [InfoClass.GENERAL]


def _chosen(services_qs: QuerySet[Service], source: QueryDict) -> list[Service]:
    ids = _ids(source.getlist("services"))
    if not ids:
        return []
    found = {s.pk: s for s in services_qs.filter(pk__in=ids)}
    return [found[i] for i in dict.fromkeys(ids) if i in found]


def back_url(source: QueryDict) -> str:
    """This page with its choices (what the consent page returns to)."""
    query = QueryDict(mutable=True)
    for key in CHOICES:
        values = [v for v in source.getlist(key) if v]
        if values:
            query.setlist(key, values)
    return reverse("referral-refer") + ("?" + query.urlencode() if query else "")


def consent_add_url(
    person: Person, agency: Agency, carries: list[str], back: str
) -> str:
    """The consent page (cases.consents) for this agency and these classes;
    "" while that page is not installed."""
    try:
        base = reverse("consent-add", args=[person.pk])
    except NoReverseMatch:
        return ""
    query = urlencode({"agency": agency.pk, "classes": ",".join(carries), "next": back})
    return f"{base}?{query}"


@dataclasses.dataclass(frozen=True)
class AgencyAnswer:
    agency: Agency
    services: list[Service]
    decision: ConsentDecision
    record_url: str


def consent_answers(
    request: AuthedRequest,
    person: Person,
    chosen: list[Service],
    carries: list[str],
    back: str,
) -> list[AgencyAnswer]:
    """The one consent decision for each chosen agency, and what it
    disclosed (the consents it names are part of the person's record)."""
    by_agency: dict[int, list[Service]] = {}
    for service in chosen:
        by_agency.setdefault(service.agency_id, []).append(service)
    answers = []
    for agency_services in by_agency.values():
        agency = agency_services[0].agency
        decision = consent_decision_for(
            person=person, agency_id=agency.pk, info_classes=carries
        )
        answers.append(
            AgencyAnswer(
                agency=agency,
                services=agency_services,
                decision=decision,
                record_url=""
                if decision.allowed
                else consent_add_url(person, agency, carries, back),
            )
        )
        if decision.consent is not None:
            disclosure.note(
                by=request.user,
                person_id=person.pk,
                program_id=person.program_id,
                kind=disclosure.CONSENT,
                object_id=decision.consent.pk,
            )
    return answers


def _initial(source: QueryDict) -> dict[str, Any]:
    initial: dict[str, Any] = {"info_classes": _carries(source)}
    for key in (
        "urgency",
        "is_involuntary",
        "respond_by",
        "assigned_to",
        "reason",
        "consent_override_reason",
    ):
        if source.get(key):
            initial[key] = source[key]
    return initial


def _respond_by_help(person: Person) -> str:
    defaults = respond_by_defaults_for(program=person.program)
    labels = dict(Urgency.choices)
    parts = [f"{labels[u].lower()} {d:%a %-d %b}" for u, d in defaults.items()]
    return "Leave blank for the program's default: " + ", ".join(parts) + "."


def _send(
    request: AuthedRequest,
    form: ReferForm,
    person: Person,
    encounter: Encounter | None,
    as_draft: bool,
):
    data = form.cleaned_data
    chosen = form.chosen_services()
    base = services.ReferralData(
        person=person,
        encounter=encounter,
        reason=data["reason"],
        info_classes=list(data["info_classes"] or [InfoClass.GENERAL]),
        urgency=data["urgency"],
        is_involuntary=data["is_involuntary"],
        assigned_to=data["assigned_to"],
        respond_by=data["respond_by"],
        consent_override_reason=data["consent_override_reason"],
    )
    if not chosen:
        raise DomainError.for_field("services", "Choose a service to refer to.")
    if len(chosen) == 1:
        one = dataclasses.replace(base, service=chosen[0])
        return [services.referral_create(by=request.user, data=one, send=not as_draft)]
    if as_draft:
        raise DomainError.for_field(
            "services", "A draft goes to one service; send to several at once."
        )
    return services.referral_send_group(by=request.user, data=base, services=chosen)


@login_required
def referral_refer(request: AuthedRequest) -> HttpResponse:
    posted = request.method == "POST"
    source = request.POST if posted else request.GET
    person, encounter = _subject(request, source)
    if person is None:
        messages.error(request, "Link the encounter to a person before referring.")
        return redirect("encounter-link", encounter.pk if encounter else 0)
    partner_services = _partner_services(request, person)
    assignees = staff_users_of(program_ids=[person.program_id])
    doing = request.POST.get("do", "") if posted else ""
    form_kwargs: dict[str, Any] = {
        "services": partner_services,
        "assignees": assignees,
        "respond_by_help": _respond_by_help(person),
    }
    status = 200
    if doing in ("send", "draft"):
        form = ReferForm(request.POST, **form_kwargs)
        if form.is_valid():
            try:
                made = _send(request, form, person, encounter, doing == "draft")
            except Conflict as exc:
                # The consent gate (what is missing shows in step 3 too).
                messages.error(request, exc.detail)
                status = 409
            except DomainError as exc:
                apply_domain_error(request, exc, form)
                status = 400
            else:
                first = made[0]
                if doing == "draft":
                    messages.success(request, "Referral saved as a draft.")
                elif len(made) > 1:
                    messages.success(
                        request,
                        f"Sent to {len(made)} services: the first to accept wins.",
                    )
                else:
                    messages.success(request, f"Referral sent to {first.agency.name}.")
                return redirect("referral-detail", first.pk)
        else:
            status = 400
    else:
        # A search (posted, so what was typed stays out of URLs) or the
        # first look: what was chosen so far, nothing checked yet.
        form = ReferForm(initial=_initial(source), **form_kwargs)
    search_form = ServiceSearchForm(source)
    search = ServiceSearch(program_id=person.program_id)
    if search_form.is_valid():
        typed = search_form.cleaned_data
        search = dataclasses.replace(
            search,
            text=typed["q"].strip(),
            category=typed["category"],
            city=typed["city"],
            accepting=typed["accepting"],
        )
    chosen = _chosen(partner_services, source)
    chosen_ids = {s.pk for s in chosen}
    results = [
        s
        for s in service_search_for(user=request.user, search=search)[
            : RESULTS_LIMIT + len(chosen_ids)
        ]
        if s.pk not in chosen_ids
    ][:RESULTS_LIMIT]
    carries = _carries(source)
    back = back_url(source)
    disclosure.people_shown(
        by=request.user, people=[person], kind=disclosure.PERSON_NAME, listed=False
    )
    return render(
        request,
        "referrals/refer.html",
        {
            "person": person,
            "encounter": encounter,
            "form": form,
            "search_form": search_form,
            "chosen": chosen,
            "results": results,
            "answers": consent_answers(request, person, chosen, carries, back),
            "searched": doing == "search",
        },
        status=status,
    )


@login_required
@require_GET
def referral_consent_check(request: AuthedRequest) -> HttpResponse:
    """The consent answers for the choices so far (htmx swaps them in as
    services and information classes are ticked)."""
    person, _encounter = _subject(request, request.GET)
    if person is None:
        return HttpResponse(status=204)
    chosen = _chosen(_partner_services(request, person), request.GET)
    answers = consent_answers(
        request, person, chosen, _carries(request.GET), back_url(request.GET)
    )
    disclosure.people_shown(
        by=request.user, people=[person], kind=disclosure.PERSON_NAME, listed=False
    )
    return render(
        request,
        "referrals/_consent_check.html",
        {"person": person, "answers": answers, "chosen": chosen},
    )
