"""The table of doors (tests/navigator/test_disclosure_audit.py): every page
and API route with what a request through it must audit, and how to make
that request.

A new page or API route gets a ``Door`` here: its URL name, method, path
(from the world), and ``expect``: for each person it shows or changes,
``shown(VIEW or LIST, kinds...)`` (kinds from navigator.disclosure) or the
write's own actions, e.g. ``(UPDATE,)``; ``nothing`` if it shows no one's
record. test_every_route_is_in_the_table fails until it has one.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from cases.api.serializers import (
    EncounterSerializer,
    FamilyContactSerializer,
    PersonDetailSerializer,
)
from cases.models import Person
from navigator import disclosure as d
from navigator.models import AuditAction, AuditEvent
from navigator.services import api_token_create
from referrals.models import Referral
from referrals.services import referral_attachment_add
from tests.cases.consent_helpers import (
    PDF,
    consent_api_body,
    consent_post,
    recorded_consent,
)
from tests.cases.test_pages_encounters import encounter_post
from tests.cases.test_pages_people import person_post
from tests.navigator.disclosure_world import World
from tests.referrals.factories import partner_of, referral_for
from tests.referrals.helpers import fixed, more_services, referral_id, referral_in
from tests.referrals.helpers import service_of as referral_service

VIEW, LIST = AuditAction.VIEW, AuditAction.LIST
CREATE, UPDATE = AuditAction.CREATE, AuditAction.UPDATE
DELETE, RESTORE = AuditAction.DELETE, AuditAction.RESTORE


# --- the table ---------------------------------------------------------------

# What a door must write, per person: the action and, for VIEW / LIST, the
# kinds of ``disclosed`` (exactly). A write lists its own events; the
# answer that shows the record it changed adds none.
Expected = dict[int, tuple[str, ...] | tuple[str, frozenset[str]]]


def shown(action: str, *kinds: str) -> tuple[str, frozenset[str]]:
    return (action, frozenset(kinds))


def each(people: list[Person], action: str, *kinds: str) -> Expected:
    return {p.pk: shown(action, *kinds) for p in people}


@dataclass(frozen=True)
class Door:
    """One request through one door, and the events it must write.

    ``url``: the path, from the world. ``data``: the form or JSON body.
    ``prepare``: run first with the client (e.g. read an edit form to post
    it back); its events are not counted and it may return the body.
    ``expect``: person id -> ``shown(VIEW / LIST, kinds...)`` or ``(WRITE,
    ...)`` actions; called after the request (a created row exists then).
    """

    name: str
    method: str
    url: Callable[[World], str]
    expect: Callable[[World], Expected]
    status: int = 200
    role: str = "navigator"
    data: Callable[[World], Any] | None = None
    prepare: Callable[[Any, World, str], Any] | None = None
    label: str = ""

    @property
    def api(self) -> bool:
        return self.name.startswith("api-")

    def __str__(self) -> str:
        return f"{self.method} {self.name}{' ' + self.label if self.label else ''}"


def page(name: str, *args: Callable[[World], Any], query: str = "") -> Callable:
    return lambda w: reverse(name, args=[a(w) for a in args]) + query


def nothing(w: World) -> Expected:
    return {}


def _new_person(last_name: str) -> int:
    return Person.objects.get(last_name=last_name).pk


def _edit_form(client, w: World, url: str, **changes) -> dict:
    # What the edit page offers, posted back with some changes (its edit
    # token included).
    form = client.get(url).context["form"]
    data = {}
    for key, value in {**form.initial, **changes}.items():
        if value is None or value is False:
            continue
        if isinstance(value, datetime.datetime):
            if timezone.is_aware(value):
                value = timezone.localtime(value, w.program.tz)
            value = value.strftime("%Y-%m-%dT%H:%M")
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        elif isinstance(value, list | tuple):
            value = [getattr(v, "pk", v) for v in value]
        data[key] = value
    return data


def _api_body(client, w: World, url: str, serializer, **changes) -> dict:
    """What a PUT sends: the record as read, less its read-only fields (the
    API refuses those in a request body), with ``changes``."""
    body = client.get(url).json()
    fields = serializer().fields
    kept = {k: v for k, v in body.items() if k in fields and not fields[k].read_only}
    return {**kept, **changes}


P = lambda w: w.person.pk  # noqa: E731 - the table reads better with these
Q = lambda w: w.flagged.pk  # noqa: E731
R = lambda w: w.enrolled.pk  # noqa: E731
D = lambda w: w.deleted.pk  # noqa: E731
C = lambda w: w.contact.pk  # noqa: E731
RC = lambda w: w.removed_contact.pk  # noqa: E731
E = lambda w: w.encounter.pk  # noqa: E731
U = lambda w: w.unidentified.pk  # noqa: E731
DE = lambda w: w.deleted_encounter.pk  # noqa: E731
F = lambda w: w.followup.pk  # noqa: E731
REF = lambda w: w.referral.pk  # noqa: E731
FLAG = lambda w: w.flag.pk  # noqa: E731
CONSENT = lambda w: w.consent.pk  # noqa: E731


def _door_service(w: World):
    # The directory's rows for its doors (issue 9), made on first use: the
    # world holds people, and a partner agency is no one's record.
    from referrals.models import Service
    from tests.referrals.factories import ServiceFactory, partner_of

    service = Service.objects.filter(agency__slug="door-agency").first()
    if service is None:
        service = ServiceFactory(agency=partner_of(w.program, slug="door-agency"))
    return service


AGENCY = lambda w: _door_service(w).agency_id  # noqa: E731


def _door_token(w: World) -> int:
    # A partner token of the doors' agency (issue 10), made before the request.
    from referrals.partners.services import partner_token_create

    token, _ = partner_token_create(agency=_door_service(w).agency, name="doors")
    return token.pk


SERVICE = lambda w: _door_service(w).pk  # noqa: E731

NAME, SUMMARY, RECORD = d.PERSON_NAME, d.PERSON_SUMMARY, d.PERSON
FOLLOWUP, CONTACTS = d.FOLLOWUP, d.FAMILY_CONTACT


def _a_referral(w: World) -> Referral:
    # Referral attachments (issue 9): made before the request, not counted.
    return referral_for(w.person, partner_of(w.program), by=w.navigator)


def _an_attachment_url(w: World) -> str:
    referral = _a_referral(w)
    attachment = referral_attachment_add(
        by=w.navigator, referral=referral, upload=SimpleUploadedFile("a.pdf", PDF)
    )
    return reverse("referral-attachment", args=[referral.pk, attachment.pk])


def api(path: str, *args: Callable[[World], Any]) -> Callable[[World], str]:
    return lambda w: "/api/v1/" + path.format(*[a(w) for a in args])


DOORS: list[Door] = [
    # --- people (pages) ---
    Door(
        "today",
        "GET",
        page("today"),
        lambda w: {
            w.person.pk: shown(
                LIST, d.ENCOUNTER_SUMMARY, NAME, FOLLOWUP, d.REFERRAL_SUMMARY
            ),
            w.flagged.pk: shown(LIST, NAME, FOLLOWUP),
        },
    ),
    Door(
        "person-list",
        "GET",
        page("person-list"),
        lambda w: each(w.alive, LIST, SUMMARY),
    ),
    Door(
        "person-list",
        "GET",
        page("person-list", query="?q=anais"),
        lambda w: each([w.person], LIST, SUMMARY),
        label="search",
    ),
    Door("person-create", "GET", page("person-create"), nothing),
    Door(
        "person-create",
        "POST",
        page("person-create"),
        lambda w: {_new_person("Lopez"): (CREATE,)},
        status=302,
        data=lambda w: person_post(),
    ),
    Door(
        "person-deleted-list",
        "GET",
        page("person-deleted-list"),
        lambda w: each([w.deleted], LIST, NAME),
        role="manager",
    ),
    Door(
        "person-detail",
        "GET",
        page("person-detail", P),
        lambda w: each(
            [w.person],
            VIEW,
            RECORD,
            d.ENCOUNTER,
            FOLLOWUP,
            CONTACTS,
            d.REFERRAL_SUMMARY,
            d.CONSENT,
        ),
    ),
    Door(
        "person-edit",
        "GET",
        page("person-edit", P),
        lambda w: each([w.person], VIEW, RECORD),
    ),
    Door(
        "person-edit",
        "POST",
        page("person-edit", P),
        lambda w: {w.person.pk: (UPDATE,)},
        status=302,
        prepare=lambda c, w, url: _edit_form(c, w, url, city="Shelbyville"),
    ),
    Door(
        "person-delete",
        "GET",
        page("person-delete", P),
        lambda w: each([w.person], VIEW, NAME),
    ),
    Door(
        "person-delete",
        "POST",
        page("person-delete", P),
        lambda w: {w.person.pk: (DELETE,)},
        status=302,
        data=lambda w: {"reason": "Duplicate record"},
    ),
    Door(
        "person-restore",
        "GET",
        page("person-restore", D),
        lambda w: each([w.deleted], VIEW, NAME),
        role="manager",
    ),
    Door(
        "person-restore",
        "POST",
        page("person-restore", D),
        lambda w: {w.deleted.pk: (RESTORE,)},
        status=302,
        role="manager",
        data=lambda w: {"reason": "Not a duplicate"},
    ),
    Door(
        "person-audit",
        "GET",
        page("person-audit", P),
        lambda w: each([w.person], VIEW, d.AUDIT_TRAIL),
        role="manager",
    ),
    Door(
        "person-audit-export",
        "GET",
        page("person-audit-export", P),
        lambda w: each([w.person], VIEW, d.AUDIT_TRAIL),
        role="manager",
    ),
    Door(
        "family-contact-add",
        "GET",
        page("family-contact-add", P),
        lambda w: each([w.person], VIEW, NAME),
    ),
    Door(
        "family-contact-add",
        "POST",
        page("family-contact-add", P),
        lambda w: {w.person.pk: (CREATE,)},
        status=302,
        data=lambda w: {"name": "Tío Beto", "relationship": "uncle"},
    ),
    Door(
        "family-contact-edit",
        "GET",
        page("family-contact-edit", P, C),
        lambda w: each([w.person], VIEW, CONTACTS, NAME),
    ),
    Door(
        "family-contact-edit",
        "POST",
        page("family-contact-edit", P, C),
        lambda w: {w.person.pk: (UPDATE,)},
        status=302,
        data=lambda w: {"name": "Rosa Doorly", "relationship": "aunt"},
    ),
    Door(
        "family-contact-remove",
        "GET",
        page("family-contact-remove", P, C),
        lambda w: each([w.person], VIEW, CONTACTS, NAME),
    ),
    Door(
        "family-contact-remove",
        "POST",
        page("family-contact-remove", P, C),
        lambda w: {w.person.pk: (DELETE,)},
        status=302,
        data=lambda w: {"reason": "Moved away"},
    ),
    Door(
        "family-contact-restore",
        "GET",
        page("family-contact-restore", P, RC),
        lambda w: each([w.person], VIEW, CONTACTS, NAME),
        role="manager",
    ),
    Door(
        "family-contact-restore",
        "POST",
        page("family-contact-restore", P, RC),
        lambda w: {w.person.pk: (RESTORE,)},
        status=302,
        role="manager",
        data=lambda w: {"reason": ""},
    ),
    # --- encounters (pages) ---
    Door(
        "encounter-list",
        "GET",
        page("encounter-list"),
        lambda w: each(w.alive, LIST, d.ENCOUNTER_SUMMARY, NAME),
        role="manager",
    ),
    Door("encounter-create", "GET", page("encounter-create"), nothing),
    # Unidentified encounters name no one (the world has one).
    Door("encounter-unidentified", "GET", page("encounter-unidentified"), nothing),
    Door(
        "encounter-create",
        "GET",
        page("encounter-create", query="?person={}"),
        lambda w: each([w.person], VIEW, SUMMARY, d.PERSON_SAFETY_PLAN),
        label="for a person",
    ),
    Door(
        "encounter-create",
        "POST",
        page("encounter-create"),
        lambda w: {w.person.pk: (CREATE,)},
        status=302,
        data=lambda w: encounter_post(person=str(w.person.pk)),
    ),
    Door(
        "encounter-person-options",
        "GET",
        page("encounter-person-options", query="?person_q=anais"),
        lambda w: each([w.person], LIST, SUMMARY),
    ),
    Door(
        "encounter-person-plan",
        "GET",
        page("encounter-person-plan", query="?person={}"),
        lambda w: each([w.person], VIEW, d.PERSON_SAFETY_PLAN),
    ),
    Door(
        "encounter-person-plan",
        "GET",
        lambda w: reverse("encounter-person-plan") + f"?person={w.flagged.pk}",
        nothing,
        label="for a person without a plan",
    ),
    Door(
        "encounter-person-plan",
        "GET",
        page("encounter-person-plan", query="?person="),
        nothing,
        label="not identified yet",
    ),
    Door(
        "encounter-detail",
        "GET",
        page("encounter-detail", E),
        lambda w: each([w.person], VIEW, d.ENCOUNTER, NAME),
    ),
    Door(
        "encounter-edit",
        "GET",
        page("encounter-edit", E),
        lambda w: each(
            [w.person], VIEW, d.ENCOUNTER, NAME, SUMMARY, d.PERSON_SAFETY_PLAN
        ),
    ),
    Door(
        "encounter-edit",
        "POST",
        page("encounter-edit", E),
        lambda w: {w.person.pk: (UPDATE,)},
        status=302,
        prepare=lambda c, w, url: _edit_form(c, w, url, location_text="Elm St"),
    ),
    Door(
        "encounter-link",
        "GET",
        page("encounter-link", U, query="?person_q=anais"),
        lambda w: each([w.person], LIST, SUMMARY),
    ),
    Door(
        "encounter-link",
        "POST",
        page("encounter-link", U),
        lambda w: {w.person.pk: (UPDATE,)},
        status=302,
        data=lambda w: {"person": str(w.person.pk)},
    ),
    Door(
        "encounter-delete",
        "GET",
        page("encounter-delete", E),
        lambda w: each([w.person], VIEW, d.ENCOUNTER_SUMMARY, NAME),
    ),
    Door(
        "encounter-delete",
        "POST",
        page("encounter-delete", E),
        lambda w: {w.person.pk: (DELETE,)},
        status=302,
        data=lambda w: {"reason": "Logged twice"},
    ),
    Door(
        "encounter-restore",
        "GET",
        page("encounter-restore", DE),
        lambda w: each([w.person], VIEW, d.ENCOUNTER_SUMMARY, NAME),
        role="manager",
    ),
    Door(
        "encounter-restore",
        "POST",
        page("encounter-restore", DE),
        lambda w: {w.person.pk: (RESTORE,)},
        status=302,
        role="manager",
        data=lambda w: {"reason": ""},
    ),
    # --- familiar faces (pages) ---
    Door(
        "familiar:list",
        "GET",
        page("familiar:list"),
        lambda w: {
            w.flagged.pk: shown(LIST, d.FAMILIAR_FACES, NAME),
            w.enrolled.pk: shown(LIST, d.FAMILIAR_FACES, NAME, d.ENROLLMENT),
        },
    ),
    Door(
        "familiar:export",
        "GET",
        page("familiar:export"),
        lambda w: {
            w.flagged.pk: shown(LIST, d.FAMILIAR_FACES, NAME),
            w.enrolled.pk: shown(LIST, d.FAMILIAR_FACES, NAME, d.ENROLLMENT),
        },
        role="manager",
    ),
    Door(
        "familiar:enroll",
        "GET",
        page("familiar:enroll", FLAG),
        lambda w: each([w.flagged], VIEW, d.FAMILIAR_FACES, NAME),
        role="manager",
    ),
    Door(
        "familiar:enroll",
        "POST",
        page("familiar:enroll", FLAG),
        lambda w: {w.flagged.pk: (CREATE,)},
        status=302,
        role="manager",
        data=lambda w: {"navigator": w.navigator.pk, "plan": "Daily calls"},
    ),
    Door(
        "familiar:dismiss",
        "GET",
        page("familiar:dismiss", FLAG),
        lambda w: each([w.flagged], VIEW, d.FAMILIAR_FACES, NAME),
        role="manager",
    ),
    Door(
        "familiar:dismiss",
        "POST",
        page("familiar:dismiss", FLAG),
        lambda w: {w.flagged.pk: (UPDATE,)},
        status=302,
        role="manager",
        data=lambda w: {"reason": "Moved out of the county"},
    ),
    Door(
        "familiar:enrollment-end",
        "GET",
        page("familiar:enrollment-end", lambda w: w.enrollment.pk),
        lambda w: each([w.enrolled], VIEW, d.ENROLLMENT, NAME),
        role="manager",
    ),
    Door(
        "familiar:enrollment-end",
        "POST",
        page("familiar:enrollment-end", lambda w: w.enrollment.pk),
        lambda w: {w.enrolled.pk: (UPDATE,)},
        status=302,
        role="manager",
        data=lambda w: {"reason": "Housed and stable"},
    ),
    # The rules: names and thresholds, no one's record. Their writes are
    # audited on the program, not on a person.
    Door("familiar:rules", "GET", page("familiar:rules"), nothing),
    Door(
        "familiar:rule-create",
        "GET",
        page("familiar:rule-create"),
        nothing,
        role="manager",
    ),
    Door(
        "familiar:rule-create",
        "POST",
        page("familiar:rule-create"),
        nothing,
        status=302,
        role="manager",
        data=lambda w: {
            "program": w.program.pk,
            "name": "5 in 60 days",
            "min_encounters": 5,
            "window_days": 60,
            "is_active": "on",
        },
    ),
    Door(
        "familiar:rule-edit",
        "GET",
        page("familiar:rule-edit", lambda w: w.rule.pk),
        nothing,
        role="manager",
    ),
    Door(
        "familiar:rule-edit",
        "POST",
        page("familiar:rule-edit", lambda w: w.rule.pk),
        nothing,
        status=302,
        role="manager",
        data=lambda w: {
            "name": "3 in 30 days",
            "min_encounters": 3,
            "window_days": 31,
            "is_active": "on",
        },
    ),
    Door(
        "familiar:rule-active",
        "POST",
        page("familiar:rule-active", lambda w: w.rule.pk),
        # Turning the rule off clears its flags: each one's event.
        lambda w: {p.pk: (UPDATE,) for p in (w.flagged, w.enrolled)},
        status=302,
        role="manager",
        data=lambda w: {"is_active": "false"},
    ),
    Door(
        "familiar:outcomes",
        "GET",
        page("familiar:outcomes"),
        lambda w: each([w.enrolled], LIST, d.ENROLLMENT, NAME),
        role="manager",
    ),
    Door(
        "familiar:history",
        "GET",
        page("familiar:history"),
        lambda w: each([w.flagged, w.enrolled], LIST, d.FAMILIAR_FACES_MONTH, NAME),
    ),
    Door(
        "familiar:person-panel",
        "GET",
        page("familiar:person-panel", R),
        lambda w: each(
            [w.enrolled], VIEW, d.ENCOUNTER_COUNTS, d.FAMILIAR_FACES, d.ENROLLMENT
        ),
    ),
    # --- follow-ups (pages) ---
    Door(
        "followup-list",
        "GET",
        page("followup-list"),
        lambda w: each([w.person, w.flagged], LIST, FOLLOWUP, NAME),
    ),
    Door(
        "followup-schedule",
        "GET",
        page("followup-schedule", query="?person={}"),
        lambda w: each([w.person], VIEW, NAME, CONTACTS),
    ),
    Door(
        "followup-schedule",
        "POST",
        page("followup-schedule", query="?person={}"),
        lambda w: {w.person.pk: (CREATE,)},
        status=302,
        data=lambda w: {
            "when": "2",
            "at": "09:15",
            "method": "phone",
            "purpose": "Check in",
            "priority": "routine",
            "assigned_to": w.navigator.pk,
        },
    ),
    Door(
        "followup-detail",
        "GET",
        page("followup-detail", F),
        lambda w: each([w.person], VIEW, FOLLOWUP, NAME, d.PERSON_SAFETY_PLAN),
    ),
    Door(
        "followup-complete",
        "POST",
        page("followup-complete", F),
        lambda w: {w.person.pk: (UPDATE,)},
        status=302,
        data=lambda w: {"complete-outcome": "reached"},
    ),
    Door(
        "followup-complete",
        "POST",
        page("followup-complete", F),
        lambda w: each([w.person], VIEW, FOLLOWUP, NAME, d.PERSON_SAFETY_PLAN),
        data=lambda w: {"complete-outcome": ""},
        label="invalid: the page again",
    ),
    Door(
        "followup-complete",
        "POST",
        page("followup-complete", F),
        lambda w: each([w.person], VIEW, FOLLOWUP, NAME, d.PERSON_SAFETY_PLAN),
        status=409,
        data=lambda w: {"complete-outcome": "reached"},
        prepare=lambda c, w, url: c.post(url, {"complete-outcome": "reached"}) and None,
        label="already closed: the page again, 409",
    ),
    Door(
        "followup-attempt",
        "POST",
        page("followup-attempt", F),
        lambda w: {w.person.pk: (CREATE,)},
        status=302,
        data=lambda w: {"attempt-outcome": "no_answer", "attempt-note": "Rang"},
    ),
    Door(
        "followup-attempt",
        "POST",
        page("followup-attempt", F),
        lambda w: each([w.person], VIEW, FOLLOWUP, NAME, d.PERSON_SAFETY_PLAN),
        data=lambda w: {"attempt-outcome": ""},
        label="invalid: the page again",
    ),
    Door(
        "followup-undo",
        "POST",
        page("followup-undo", F),
        lambda w: {w.person.pk: (UPDATE,)},
        status=302,
        data=lambda w: {},
        prepare=lambda c, w, url: (
            c.post(
                reverse("followup-complete", args=[w.followup.pk]),
                {"complete-outcome": "reached"},
            )
            and None
        ),
    ),
    Door(
        "followup-missed",
        "POST",
        page("followup-missed", F),
        lambda w: {w.person.pk: (UPDATE,)},
        status=302,
        data=lambda w: {"missed-notes": "Not at the camp"},
    ),
    Door(
        "followup-cancel",
        "POST",
        page("followup-cancel", F),
        lambda w: {w.person.pk: (UPDATE,)},
        status=302,
        data=lambda w: {"cancel-reason": "Moved away"},
    ),
    Door(
        "followup-reschedule",
        "POST",
        page("followup-reschedule", F),
        lambda w: {w.person.pk: (UPDATE,)},
        status=302,
        data=lambda w: {
            "reschedule-due_at": timezone.localtime(
                timezone.now() + datetime.timedelta(days=3), w.program.tz
            ).strftime("%Y-%m-%dT%H:%M"),
            "reschedule-reason": "Asked for later",
        },
    ),
    Door(
        "followup-reassign",
        "POST",
        page("followup-reassign", F),
        lambda w: {w.person.pk: (UPDATE,)},
        status=302,
        data=lambda w: {"reassign-assigned_to": w.manager.pk},
    ),
    Door(
        "followup-plan",
        "GET",
        page("followup-plan", E),
        lambda w: each([w.person], VIEW, d.ENCOUNTER_SUMMARY, NAME),
    ),
    Door(
        "followup-plan",
        "POST",
        page("followup-plan", E),
        lambda w: {w.person.pk: (CREATE,)},
        status=302,
        data=lambda w: {"steps": [str(w.step.pk)], "at": "11:00"},
    ),
    Door(
        "followup-overdue",
        "GET",
        page("followup-overdue"),
        lambda w: each([w.flagged], LIST, FOLLOWUP, NAME),
        role="manager",
    ),
    Door(
        "followup-deliveries",
        "GET",
        page("followup-deliveries"),
        lambda w: each([w.person], LIST, d.DELIVERY),
        role="manager",
    ),
    # Reminder settings, plan steps, the user's own preferences and feed:
    # program configuration and the user's own data.
    Door(
        "followup-settings", "GET", page("followup-settings"), nothing, role="manager"
    ),
    Door(
        "followup-settings",
        "POST",
        page("followup-settings"),
        nothing,
        role="manager",
        data=lambda w: {},
        label="invalid",
    ),
    Door(
        "followup-plan-step-add",
        "POST",
        page("followup-plan-step-add"),
        nothing,
        status=302,
        role="manager",
        data=lambda w: {
            "step-disposition": "transport_hospital",
            "step-days_after": 1,
            "step-method": "phone",
            "step-purpose": "",
            "step-priority": "routine",
        },
    ),
    Door(
        "followup-plan-step-remove",
        "POST",
        page("followup-plan-step-remove", lambda w: w.step.pk),
        nothing,
        status=302,
        role="manager",
    ),
    Door("followup-preferences", "GET", page("followup-preferences"), nothing),
    Door(
        "followup-preferences",
        "POST",
        page("followup-preferences"),
        nothing,
        status=302,
        data=lambda w: {"channel": "email", "phone": ""},
    ),
    Door(
        "followup-calendar-create",
        "POST",
        page("followup-calendar-create"),
        nothing,
    ),
    Door(
        "followup-calendar-revoke",
        "POST",
        page("followup-calendar-revoke"),
        nothing,
        status=302,
    ),
    # The feed says when, how and the follow-up's number only, never a name
    # or a health detail (followups.calendar; test_calendar_feed): calendar
    # apps poll it every few minutes, and it tells no one who.
    Door(
        "followup-calendar-feed",
        "GET",
        page("followup-calendar-feed", lambda w: w.feed_token),
        nothing,
        role="anonymous",
    ),
    # --- the API: people and contacts ---
    Door(
        "api-person-list",
        "GET",
        api("people/"),
        lambda w: each(w.alive, LIST, RECORD),
    ),
    Door(
        "api-person-list",
        "POST",
        api("people/"),
        lambda w: {_new_person("Apiperson"): (CREATE,)},
        status=201,
        data=lambda w: {"first_name": "Ana", "last_name": "Apiperson"},
    ),
    Door(
        "api-person-detail",
        "GET",
        api("people/{}/", P),
        lambda w: each([w.person], VIEW, RECORD, CONTACTS),
    ),
    Door(
        "api-person-detail",
        "PUT",
        api("people/{}/", P),
        lambda w: {w.person.pk: (UPDATE,)},
        prepare=lambda c, w, url: _api_body(
            c, w, url, PersonDetailSerializer, city="Shelbyville"
        ),
    ),
    Door(
        "api-person-detail",
        "PATCH",
        api("people/{}/", P),
        lambda w: {w.person.pk: (UPDATE,)},
        data=lambda w: {"city": "Shelbyville"},
    ),
    Door(
        "api-person-detail",
        "PATCH",
        api("people/{}/", P),
        lambda w: each([w.person], VIEW, RECORD, CONTACTS),
        data=lambda w: {},
        label="that changes nothing: a read",
    ),
    Door(
        "api-person-detail",
        "DELETE",
        api("people/{}/?reason=duplicate", P),
        lambda w: {w.person.pk: (DELETE,)},
        status=204,
    ),
    Door(
        "api-person-restore",
        "POST",
        api("people/{}/restore/", D),
        lambda w: {w.deleted.pk: (RESTORE,)},
        role="manager",
        data=lambda w: {},
    ),
    Door(
        "api-contact-list",
        "GET",
        api("people/{}/contacts/", P),
        lambda w: each([w.person], VIEW, CONTACTS),
    ),
    Door(
        "api-contact-list",
        "POST",
        api("people/{}/contacts/", P),
        lambda w: {w.person.pk: (CREATE,)},
        status=201,
        data=lambda w: {"name": "Tío Beto", "relationship": "uncle"},
    ),
    Door(
        "api-contact-detail",
        "GET",
        api("people/{}/contacts/{}/", P, C),
        lambda w: each([w.person], VIEW, CONTACTS),
    ),
    Door(
        "api-contact-detail",
        "PUT",
        api("people/{}/contacts/{}/", P, C),
        lambda w: {w.person.pk: (UPDATE,)},
        prepare=lambda c, w, url: _api_body(
            c, w, url, FamilyContactSerializer, relationship="aunt"
        ),
    ),
    Door(
        "api-contact-detail",
        "PATCH",
        api("people/{}/contacts/{}/", P, C),
        lambda w: {w.person.pk: (UPDATE,)},
        data=lambda w: {"relationship": "aunt"},
    ),
    Door(
        "api-contact-detail",
        "DELETE",
        api("people/{}/contacts/{}/?reason=moved+away", P, C),
        lambda w: {w.person.pk: (DELETE,)},
        status=204,
    ),
    Door(
        "api-contact-restore",
        "POST",
        api("people/{}/contacts/{}/restore/", P, RC),
        lambda w: {w.person.pk: (RESTORE,)},
        role="manager",
        data=lambda w: {},
    ),
    # --- the API: encounters ---
    Door(
        "api-encounter-list",
        "GET",
        api("encounters/"),
        lambda w: each(w.alive, LIST, d.ENCOUNTER, NAME),
    ),
    Door(
        "api-encounter-list",
        "POST",
        api("encounters/"),
        lambda w: {w.person.pk: (CREATE,)},
        status=201,
        data=lambda w: {
            "person": w.person.pk,
            "started_at": (timezone.now() - datetime.timedelta(hours=1)).isoformat(),
            "source": "officer_request",
            "disposition": "resources_provided",
            "narrative": "Talked for a while.",
        },
    ),
    Door(
        "api-encounter-detail",
        "GET",
        api("encounters/{}/", E),
        lambda w: each([w.person], VIEW, d.ENCOUNTER, NAME),
    ),
    Door(
        "api-encounter-detail",
        "PUT",
        api("encounters/{}/", E),
        lambda w: {w.person.pk: (UPDATE,)},
        prepare=lambda c, w, url: _api_body(
            c, w, url, EncounterSerializer, location_text="Elm St"
        ),
    ),
    Door(
        "api-encounter-detail",
        "PATCH",
        api("encounters/{}/", E),
        lambda w: {w.person.pk: (UPDATE,)},
        data=lambda w: {"location_text": "Elm St"},
    ),
    Door(
        "api-encounter-detail",
        "DELETE",
        api("encounters/{}/?reason=twice", E),
        lambda w: {w.person.pk: (DELETE,)},
        status=204,
    ),
    Door(
        "api-encounter-restore",
        "POST",
        api("encounters/{}/restore/", DE),
        lambda w: {w.person.pk: (RESTORE,)},
        role="manager",
        data=lambda w: {},
    ),
    # --- the API: familiar faces ---
    Door(
        "api-familiar-face-list",
        "GET",
        api("familiar-faces/"),
        lambda w: {
            w.flagged.pk: shown(LIST, d.FAMILIAR_FACES, NAME),
            w.enrolled.pk: shown(LIST, d.FAMILIAR_FACES, NAME, d.ENROLLMENT),
        },
    ),
    Door(
        "api-familiar-face-detail",
        "GET",
        api("familiar-faces/{}/", FLAG),
        lambda w: each([w.flagged], VIEW, d.FAMILIAR_FACES, NAME),
    ),
    Door(
        "api-familiar-face-dismiss",
        "POST",
        api("familiar-faces/{}/dismiss/", FLAG),
        lambda w: {w.flagged.pk: (UPDATE,)},
        role="manager",
        data=lambda w: {"reason": "Moved out of the county"},
    ),
    Door(
        "api-familiar-face-enroll",
        "POST",
        api("familiar-faces/{}/enroll/", FLAG),
        lambda w: {w.flagged.pk: (CREATE,)},
        role="manager",
        data=lambda w: {"navigator": w.navigator.pk},
    ),
    # --- the API: follow-ups and deliveries ---
    Door(
        "api-followup-list",
        "GET",
        api("followups/"),
        lambda w: each([w.person, w.flagged], LIST, FOLLOWUP, NAME),
    ),
    Door(
        "api-followup-list",
        "POST",
        api("followups/"),
        lambda w: {w.person.pk: (CREATE,)},
        status=201,
        data=lambda w: {
            "person": w.person.pk,
            "due_at": (timezone.now() + datetime.timedelta(days=1)).isoformat(),
            "method": "phone",
        },
    ),
    Door(
        "api-delivery-list",
        "GET",
        api("followups/deliveries/"),
        lambda w: each([w.person], LIST, d.DELIVERY),
        role="manager",
    ),
    Door(
        "api-followup-detail",
        "GET",
        api("followups/{}/", F),
        lambda w: each([w.person], VIEW, FOLLOWUP, NAME),
    ),
    Door(
        "api-followup-detail",
        "PATCH",
        api("followups/{}/", F),
        lambda w: {w.person.pk: (UPDATE,)},
        data=lambda w: {"purpose": "Bring the forms"},
    ),
    Door(
        "api-followup-complete",
        "POST",
        api("followups/{}/complete/", F),
        lambda w: {w.person.pk: (UPDATE,)},
        data=lambda w: {"outcome": "reached"},
    ),
    Door(
        "api-followup-attempt",
        "POST",
        api("followups/{}/attempt/", F),
        lambda w: {w.person.pk: (CREATE,)},
        data=lambda w: {"outcome": "left_message", "note": "Voicemail"},
    ),
    Door(
        "api-followup-undo",
        "POST",
        api("followups/{}/undo/", F),
        lambda w: {w.person.pk: (UPDATE,)},
        data=lambda w: {},
        prepare=lambda c, w, url: (
            c.post(
                f"/api/v1/followups/{w.followup.pk}/complete/",
                {"outcome": "reached"},
                format="json",
            )
            and None
        ),
    ),
    Door(
        "api-followup-missed",
        "POST",
        api("followups/{}/missed/", F),
        lambda w: {w.person.pk: (UPDATE,)},
        data=lambda w: {},
    ),
    Door(
        "api-followup-cancel",
        "POST",
        api("followups/{}/cancel/", F),
        lambda w: {w.person.pk: (UPDATE,)},
        data=lambda w: {"reason": "Moved away"},
    ),
    # Referral sweeps' settings page (issue 9): program configuration, no
    # person's record.
    Door(
        "referral-settings", "GET", page("referral-settings"), nothing, role="manager"
    ),
    Door(
        "referral-settings",
        "POST",
        page("referral-settings"),
        nothing,
        role="manager",
        data=lambda w: {},
        label="invalid",
    ),
    # --- the directory (issue 9: referrals.directory); no person's record ---
    Door("directory:search", "GET", page("directory:search"), nothing),
    Door("directory:agency-list", "GET", page("directory:agency-list"), nothing),
    Door(
        "directory:agency-detail",
        "GET",
        page("directory:agency-detail", AGENCY),
        nothing,
    ),
    Door(
        "directory:agency-create",
        "POST",
        page("directory:agency-create"),
        nothing,
        status=302,
        role="manager",
        data=lambda w: {
            "name": "New agency",
            "kind": "clinic",
            "programs": [w.program.pk],
        },
    ),
    Door(
        "directory:agency-edit",
        "POST",
        page("directory:agency-edit", AGENCY),
        nothing,
        status=302,
        role="manager",
        data=lambda w: {
            "name": "Renamed",
            "kind": "clinic",
            "programs": [w.program.pk],
        },
    ),
    Door(
        "directory:agency-active",
        "POST",
        page("directory:agency-active", AGENCY),
        nothing,
        status=302,
        role="manager",
        data=lambda w: {"reason": "Closed"},
    ),
    Door(
        "directory:service-create",
        "POST",
        page("directory:service-create", AGENCY),
        nothing,
        status=302,
        role="manager",
        data=lambda w: {"name": "New service", "accepting": "yes"},
    ),
    Door(
        "directory:service-edit",
        "POST",
        page("directory:service-edit", SERVICE),
        nothing,
        status=302,
        role="manager",
        data=lambda w: {"name": "Renamed service", "accepting": "no"},
    ),
    Door(
        "directory:service-active",
        "POST",
        page("directory:service-active", SERVICE),
        nothing,
        status=302,
        role="manager",
        data=lambda w: {},
    ),
    Door("api-agency-list", "GET", api("agencies/"), nothing),
    Door("api-agency-detail", "GET", api("agencies/{}/", AGENCY), nothing),
    Door("api-service-list", "GET", api("services/"), nothing),
    Door("api-service-detail", "GET", api("services/{}/", SERVICE), nothing),
    # --- partners (issue 10: referrals.partners); no person's record ---
    Door(
        "api-service-detail",
        "PATCH",
        api("services/{}/", SERVICE),
        nothing,
        role="manager",
        data=lambda w: {"capacity_note": "Two beds free"},
    ),
    Door("partner-home", "GET", page("partner-home"), nothing, role="partner"),
    Door("partner-tokens", "GET", page("partner-tokens"), nothing, role="partner"),
    Door(
        "partner-tokens",
        "POST",
        page("partner-tokens"),
        nothing,
        role="partner",
        data=lambda w: {"name": "Doors", "expires": 30},
    ),
    Door(
        "partner-token-revoke",
        "POST",
        lambda w: reverse("partner-token-revoke", args=[_door_token(w)]),
        nothing,
        status=302,
        role="partner",
    ),
    # --- referral pages (issue 9: the caseworker's board, refer, one referral) ---
    Door(
        "referral-board",
        "GET",
        page("referral-board"),
        lambda w: each([w.person], LIST, d.REFERRAL_SUMMARY, NAME),
    ),
    Door(
        "referral-refer",
        "GET",
        lambda w: (
            reverse("referral-refer") + f"?person={w.person.pk}&services={w.service.pk}"
        ),
        lambda w: each([w.person], VIEW, NAME, d.CONSENT),
    ),
    Door(
        "referral-refer",
        "POST",
        page("referral-refer"),
        lambda w: {w.person.pk: (CREATE,)},
        status=302,
        data=lambda w: {
            "person": w.person.pk,
            "services": [w.service.pk],
            "info_classes": ["general"],
            "urgency": "routine",
            "is_involuntary": "false",
            "reason": "Needs counselling",
            "do": "draft",
        },
        label="draft",
    ),
    Door(
        "referral-consent-check",
        "GET",
        lambda w: (
            reverse("referral-consent-check")
            + f"?person={w.person.pk}&services={w.service.pk}"
        ),
        lambda w: each([w.person], VIEW, NAME, d.CONSENT),
    ),
    Door(
        "referral-detail",
        "GET",
        page("referral-detail", REF),
        # With the consent it relies on (its terms and expiry are shown).
        lambda w: each([w.person], VIEW, d.REFERRAL, NAME, d.CONSENT),
    ),
    Door(
        "referral-move",
        "POST",
        page("referral-move", REF),
        lambda w: {w.person.pk: (UPDATE,)},
        status=302,
        data=lambda w: {"action": "accept"},
    ),
    Door(
        "referral-note-add",
        "POST",
        page("referral-note-add", REF),
        lambda w: {w.person.pk: (UPDATE,)},
        status=302,
        data=lambda w: {"text": "Called the clinic"},
    ),
    Door(
        "referral-edit",
        "GET",
        page("referral-edit", REF),
        lambda w: each([w.person], VIEW, d.REFERRAL, NAME),
    ),
    Door(
        "referral-edit",
        "POST",
        page("referral-edit", REF),
        lambda w: {w.person.pk: (UPDATE,)},
        status=302,
        data=lambda w: {
            "edit-reason": "Needs a bed tonight",
            "edit-urgency": "urgent",
            "edit-is_involuntary": "false",
            "edit-assigned_to": w.navigator.pk,
        },
    ),
    # --- consents (issue 9): pages ---
    Door(
        "consent-list",
        "GET",
        page("consent-list", P),
        lambda w: each([w.person], VIEW, d.CONSENT, NAME),
    ),
    Door(
        "consent-add",
        "GET",
        page("consent-add", P),
        lambda w: each([w.person], VIEW, NAME),
    ),
    Door(
        "consent-add",
        "POST",
        page("consent-add", P),
        lambda w: {w.person.pk: (CREATE,)},
        status=302,
        data=lambda w: consent_post(w.consent.agency),  # type: ignore[union-attr,arg-type]
    ),
    Door(
        "consent-detail",
        "GET",
        page("consent-detail", CONSENT),
        # The world's referral relies on this consent (the referral pages'
        # world), and the page lists it.
        lambda w: each([w.person], VIEW, d.CONSENT, NAME, d.REFERRAL_SUMMARY),
    ),
    Door(
        "consent-revoke",
        "GET",
        page("consent-revoke", CONSENT),
        lambda w: each([w.person], VIEW, d.CONSENT, NAME),
    ),
    Door(
        "consent-revoke",
        "POST",
        page("consent-revoke", CONSENT),
        lambda w: {w.person.pk: (UPDATE,)},
        status=302,
        data=lambda w: {"method": "written", "reason": "Asked to stop"},
    ),
    Door(
        "consent-mark-in-error",
        "GET",
        page("consent-mark-in-error", CONSENT),
        lambda w: each([w.person], VIEW, d.CONSENT, NAME),
    ),
    Door(
        "consent-mark-in-error",
        "POST",
        page("consent-mark-in-error", CONSENT),
        lambda w: {w.person.pk: (DELETE,)},
        status=302,
        data=lambda w: {"reason": "Wrong person"},
    ),
    Door(
        "consent-form",
        "GET",
        page("consent-form", CONSENT),
        lambda w: each([w.person], VIEW, d.CONSENT_FORM),
    ),
    # --- the API: referrals (issue 9) ---
    # Referrals are made on first use (tests/referrals/helpers.py), before
    # the request, so their own events are not counted.
    Door(
        "api-referral-list",
        "GET",
        lambda w: (referral_in(w, "requested"), "/api/v1/referrals/")[1],
        lambda w: each([w.person], LIST, d.REFERRAL_SUMMARY, NAME),
    ),
    Door(
        "api-referral-list",
        "POST",
        api("referrals/"),
        lambda w: {w.person.pk: (CREATE,)},
        status=201,
        data=lambda w: {
            "person": w.person.pk,
            "service": referral_service(w).pk,
            "reason": "Needs a crisis bed",
        },
    ),
    Door(
        "api-referral-list",
        "POST",
        api("referrals/"),
        lambda w: {w.person.pk: (CREATE, UPDATE)},
        status=201,
        data=lambda w: {
            "person": w.person.pk,
            "service": referral_service(w).pk,
            "reason": "Needs a crisis bed",
            "send": True,
        },
        label="and send",
    ),
    Door(
        "api-referral-group",
        "POST",
        api("referrals/groups/"),
        lambda w: {w.person.pk: (CREATE, UPDATE)},
        status=201,
        data=lambda w: {
            "person": w.person.pk,
            "services": [s.pk for s in more_services(w, 2)],
            "reason": "Detox bed tonight",
        },
    ),
    Door(
        "api-referral-detail",
        "GET",
        api("referrals/{}/", lambda w: referral_in(w, "requested").pk),
        lambda w: each([w.person], VIEW, d.REFERRAL, d.CONSENT, NAME),
    ),
    Door(
        "api-referral-detail",
        "GET",
        api("referrals/{}/", lambda w: referral_in(w, "draft").pk),
        lambda w: each([w.person], VIEW, d.REFERRAL, NAME),
        label="draft (no consent yet)",
    ),
    Door(
        "api-referral-detail",
        "PATCH",
        api("referrals/{}/", lambda w: referral_in(w, "requested").pk),
        lambda w: {w.person.pk: (UPDATE,)},
        data=lambda w: {"urgency": "urgent"},
    ),
    Door(
        "api-referral-notes",
        "GET",
        api("referrals/{}/notes/", lambda w: referral_in(w, "requested").pk),
        lambda w: each([w.person], VIEW, d.REFERRAL, NAME),
    ),
    Door(
        "api-referral-notes",
        "POST",
        api("referrals/{}/notes/", lambda w: referral_in(w, "requested").pk),
        lambda w: {w.person.pk: (UPDATE,)},
        status=201,
        data=lambda w: {"text": "Left a message with intake."},
    ),
    *(
        Door(
            f"api-referral-{action}",
            "POST",
            api(f"referrals/{{}}/{action}/", referral_id(status)),
            lambda w: {w.person.pk: (UPDATE,)},
            data=fixed(body),
        )
        for action, status, body in [
            ("request", "draft", {}),
            ("accept", "requested", {"note": "Bed 4"}),
            ("reject", "requested", {"reason_code": "no_capacity"}),
            ("start", "accepted", {}),
            ("hold", "in-progress", {}),
            ("resume", "on-hold", {}),
            ("complete", "in-progress", {"outcome": "connected"}),
            ("cancel", "accepted", {"reason_code": "person_declined"}),
            ("enter-in-error", "draft", {}),
        ]
    ),
    # --- referral conversion report (managers; counts, no one's record) ---
    Door("referral-report", "GET", page("referral-report"), nothing, role="manager"),
    Door(
        "referral-report-export",
        "GET",
        page("referral-report-export"),
        nothing,
        role="manager",
    ),
    # --- consents (issue 9): the API ---
    Door(
        "api-consent-list",
        "GET",
        api("people/{}/consents/", P),
        lambda w: each([w.person], VIEW, d.CONSENT),
    ),
    Door(
        "api-consent-list",
        "POST",
        api("people/{}/consents/", P),
        lambda w: {w.person.pk: (CREATE,)},
        status=201,
        data=lambda w: consent_api_body(w.consent.agency),  # type: ignore[union-attr,arg-type]
    ),
    Door(
        "api-consent-detail",
        "GET",
        api("consents/{}/", CONSENT),
        lambda w: each([w.person], VIEW, d.CONSENT),
    ),
    Door(
        "api-consent-revoke",
        "POST",
        api("consents/{}/revoke/", CONSENT),
        lambda w: {w.person.pk: (UPDATE,)},
        data=lambda w: {"method": "verbal"},
    ),
    Door(
        "api-consent-form",
        "GET",
        api("consents/{}/form/", CONSENT),
        lambda w: each([w.person], VIEW, d.CONSENT_FORM),
    ),
    Door(
        "api-consent-form",
        "POST",
        # A consent recorded without its form (made before the request).
        api(
            "consents/{}/form/",
            lambda w: recorded_consent(w.person, by=w.navigator, with_form=False).pk,
        ),
        lambda w: {w.person.pk: (UPDATE,)},
        data=lambda w: {"form": SimpleUploadedFile("scan.pdf", PDF)},
    ),
    # --- referral attachments (issue 9) ---
    Door(
        "referral-attachment-add",
        "POST",
        lambda w: reverse("referral-attachment-add", args=[_a_referral(w).pk]),
        lambda w: {w.person.pk: (UPDATE,)},
        status=302,
        data=lambda w: {"file": SimpleUploadedFile("intake.pdf", PDF)},
    ),
    Door(
        "referral-attachment",
        "GET",
        lambda w: _an_attachment_url(w),
        lambda w: each([w.person], VIEW, d.REFERRAL_ATTACHMENT),
    ),
    # --- outbound webhooks (issue 10): agency configuration and event ids,
    # no person's record ---
    Door("webhook-list", "GET", page("webhook-list"), nothing, role="manager"),
    Door(
        "webhook-agency", "GET", page("webhook-agency", AGENCY), nothing, role="manager"
    ),
    Door(
        "webhook-agency",
        "POST",
        page("webhook-agency", AGENCY),
        nothing,
        role="manager",
        data=lambda w: {"url": "https://hooks.example.org/n", "is_active": "on"},
    ),
    Door(
        "webhook-rotate",
        "POST",
        lambda w: reverse("webhook-rotate", args=[_door_webhook(w).agency_id]),
        nothing,
        role="manager",
        data=lambda w: {},
    ),
    Door(
        "webhook-retry",
        "POST",
        lambda w: reverse("webhook-retry", args=[_door_webhook_event(w).pk]),
        nothing,
        role="manager",
        status=302,
        data=lambda w: {},
    ),
]


def _door_webhook(w: World):
    # Outbound webhooks (issue 10): the door agency's endpoint, made first.
    from referrals.models import WebhookEndpoint
    from referrals.webhooks.signing import new_secret

    endpoint, _ = WebhookEndpoint.objects.get_or_create(
        agency_id=AGENCY(w),
        defaults={"url": "https://hooks.example.org/n", "secret": new_secret()},
    )
    return endpoint


def _door_webhook_event(w: World):
    from django.utils import timezone

    from referrals.models import WebhookEvent

    return WebhookEvent.objects.create(
        agency_id=_door_webhook(w).agency_id,
        type="referral.sent",
        payload={"data": {}},
        status="failed",
        next_attempt_at=timezone.now(),
    )


# --- running a door ----------------------------------------------------------


def client_as(w: World, role: str, *, api: bool):
    """A page client signed in, or an API client with a bearer token."""
    if api:
        api_client = APIClient()
        if role != "anonymous":
            if role not in w.tokens:
                _, w.tokens[role] = api_token_create(user=w.user(role), name="doors")
            api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {w.tokens[role]}")
        return api_client
    client = Client()
    if role != "anonymous":
        client.force_login(w.user(role))
    return client


def _url(door: Door, w: World) -> str:
    url = door.url(w)
    # ``?person={}`` in a page's query names the world's person.
    return url.replace("{}", str(w.person.pk))


def _request(client, door: Door, url: str, data: Any):
    call = getattr(client, door.method.lower())
    if door.api:
        # A file (a consent's scanned form) goes up as multipart.
        files = isinstance(data, dict) and any(
            hasattr(v, "read") for v in data.values()
        )
        fmt = "multipart" if files else "json"
        return call(url, data, format=fmt) if data is not None else call(url)
    return call(url, data) if data is not None else call(url)


def run(door: Door, w: World) -> tuple[Any, list[AuditEvent]]:
    client = client_as(w, door.role, api=door.api)
    url = _url(door, w)
    data = door.data(w) if door.data else None
    if door.prepare is not None:
        prepared = door.prepare(client, w, url)
        data = prepared if prepared is not None else data
    seen = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    response = _request(client, door, url, data)
    events = list(AuditEvent.objects.filter(id__gt=seen or 0).order_by("id"))
    return response, events
