"""Issue 7, finding 4: with the broker unreachable, a write that committed
answers success, quickly, and the work it queued happens once the broker is
back (docs/decisions/0006).

Before the fix, creating an encounter, relinking or deleting one answered 500
after the row and its audit event were committed: the ``.delay()`` run after
the commit raised. These tests commit for real (``transaction=True``), so the
after-commit hooks run inside the request as they do in production, and the
broker is a closed port (tests/broker.py).

Every write of the API (every unsafe operation of the OpenAPI schema) and of
the pages (every URL name, sorted into writes and reads below) is covered: a
new one fails ``test_every_*_is_covered`` until it has a row here.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from cases import services as case_services
from cases.familiar import evaluation
from cases.familiar import services as familiar_services
from cases.models import FamiliarFaceFlag, FamiliarFacesRule, FlagStatus
from followups import services as followup_services
from followups.models import Followup
from navigator import outbox
from navigator.models import QueuedTask, Role, User
from navigator.services import api_token_create
from navigator.tasks import publish_queued_tasks
from tests.broker import broker_refusing
from tests.cases.consent_helpers import (
    PDF,
    consent_api_body,
    consent_post,
    recorded_consent,
)
from tests.factories import EncounterFactory, PersonFactory, member
from tests.followups.test_pages_managers import SETTINGS_POST
from tests.referrals.factories import ServiceFactory, partner_of, referral_for
from tests.referrals.helpers import (
    fixed,
    more_services,
    referral_action_path,
    referral_in,
)
from tests.referrals.helpers import service_of as referral_service

pytestmark = pytest.mark.django_db(transaction=True)

# A request that publishes to a refused port answers in milliseconds; kombu's
# default retries took 0.6 s, with retry=False 6 s. Generous for a busy CI.
BOUND_SECONDS = 3.0


def soon(hours: float = 3) -> str:
    return (timezone.now() + datetime.timedelta(hours=hours)).isoformat()


def ago(hours: float = 1) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(hours=hours)


def local_input(world: World, when: datetime.datetime) -> str:
    """What a datetime-local input sends: the program's wall clock."""
    return timezone.localtime(when, world.program.tz).strftime("%Y-%m-%dT%H:%M")


class World:
    """What the writes act on, made on first use (each test gets its own)."""

    def __init__(self, program, navigator: User, manager: User) -> None:
        self.program, self.navigator, self.manager = program, navigator, manager
        # The default rule's threshold is far; this one flags at 2 contacts.
        self.rule = FamiliarFacesRule.objects.create(
            program=program, name="2 in 30 days", min_encounters=2, window_days=30
        )

    @cached_property
    def colleague(self) -> User:
        return member(self.program, Role.NAVIGATOR, username="colleague")

    @cached_property
    def person(self):
        return PersonFactory(program=self.program, first_name="Rae")

    @cached_property
    def other_person(self):
        return PersonFactory(program=self.program, first_name="Sam")

    @cached_property
    def deleted_person(self):
        person = PersonFactory(program=self.program)
        return case_services.person_soft_delete(
            by=self.navigator, person=person, reason="entered twice"
        )

    @cached_property
    def encounter(self):
        return EncounterFactory(person=self.person, program=self.program)

    @cached_property
    def unlinked(self):
        return EncounterFactory(
            person=None, program=self.program, unidentified_description="man, 40s"
        )

    @cached_property
    def deleted_encounter(self):
        encounter = EncounterFactory(person=self.person, program=self.program)
        return case_services.encounter_soft_delete(
            by=self.navigator, encounter=encounter, reason="logged twice"
        )

    @cached_property
    def contact(self):
        return case_services.family_contact_add(
            by=self.navigator,
            person=self.person,
            data={"name": "Leo", "relationship": "brother"},
        )

    @cached_property
    def removed_contact(self):
        contact = case_services.family_contact_add(
            by=self.navigator,
            person=self.person,
            data={"name": "Ida", "relationship": "aunt"},
        )
        return case_services.family_contact_remove(
            by=self.navigator, contact=contact, reason="entered twice"
        )

    @cached_property
    def followup(self) -> Followup:
        return followup_services.followup_schedule(
            by=self.navigator,
            person=self.person,
            due_at=timezone.now() + datetime.timedelta(hours=5),
            method="phone",
        )

    @cached_property
    def flag(self) -> FamiliarFaceFlag:
        person = PersonFactory(program=self.program, first_name="Flagged")
        for hours in (30, 20):
            EncounterFactory(person=person, program=self.program, started_at=ago(hours))
        evaluation.evaluate_person(person.pk)
        return FamiliarFaceFlag.objects.get(person=person, status=FlagStatus.ACTIVE)

    @cached_property
    def enrollment(self):
        return familiar_services.familiar_enroll(
            by=self.manager, person=self.other_person, navigator=self.navigator
        )

    @cached_property
    def plan_step(self):
        return followup_services.followup_plan_step_add(
            by=self.manager,
            program=self.program,
            disposition="resources_provided",
            days_after=2,
            method="phone",
        )

    @cached_property
    def planned_encounter(self):
        self.plan_step  # noqa: B018 (made for its side effect: the program's plan)
        return EncounterFactory(
            person=self.person, program=self.program, disposition="resources_provided"
        )

    # Partners (issue 10): a partner user of the directory's agency.
    @cached_property
    def partner(self) -> User:
        from tests.referrals.partner_helpers import partner_user

        return partner_user(_directory_service(self).agency)

    @cached_property
    def partner_token_id(self) -> int:
        from referrals.partners.services import partner_token_create

        token, _ = partner_token_create(agency=_directory_service(self).agency)
        return token.pk

    # Referral pages (issue 9): a partner's service, and a referral to it.
    @cached_property
    def referral_service(self):
        return ServiceFactory(agency=partner_of(self.program))

    @cached_property
    def referral(self):
        return referral_for(
            self.person, self.referral_service.agency, by=self.navigator
        )

    # --- consents (issue 9) ---
    @cached_property
    def consent_agency(self):
        return partner_of(self.program)

    @cached_property
    def consent(self):
        return recorded_consent(
            self.person, by=self.navigator, agency=self.consent_agency
        )

    @cached_property
    def formless_consent(self):
        return recorded_consent(
            self.person, by=self.navigator, agency=self.consent_agency, with_form=False
        )

    # --- outbound webhooks (issue 10) ---
    @cached_property
    def webhook_endpoint(self):
        from referrals.webhooks.services import webhook_endpoint_save

        endpoint, _ = webhook_endpoint_save(
            by=self.manager,
            agency=self.referral_service.agency,
            url="https://hooks.example.org/n",
        )
        return endpoint

    @cached_property
    def webhook_event(self):
        from django.utils import timezone

        from referrals.models import WebhookEvent

        return WebhookEvent.objects.create(
            agency_id=self.webhook_endpoint.agency_id,
            type="referral.sent",
            payload={"data": {}},
            status="failed",
            next_attempt_at=timezone.now(),
        )

    def revoke_url(self) -> str:
        followup_services.calendar_feed_create(by=self.navigator)
        return reverse("followup-calendar-revoke")


@dataclass
class Write:
    """One write: who, where, what; what it answers; how many tasks it queues
    (left in the outbox while the broker is down)."""

    name: str
    user: str  # "navigator" | "manager"
    method: str
    path: Callable[[World], str]
    body: Callable[[World], Any] = field(default=lambda w: {})
    status: int = 200
    queued: int = 0
    # For the coverage check of the API: the schema's path and method.
    operation: tuple[str, str] | None = None
    # The API's body: JSON, or multipart for a file (a consent's form).
    format: str = "json"


def _api(path: str) -> str:
    return "/api/v1/" + path


def _just_completed(w: World) -> int:
    """The world's follow-up, completed by its navigator a moment ago (what
    an undo needs); its id."""
    followup_services.followup_complete(
        by=w.navigator, followup=w.followup, outcome="reached"
    )
    return w.followup.pk


API_WRITES = [
    Write(
        "person create",
        "navigator",
        "post",
        lambda w: _api("people/"),
        lambda w: {"first_name": "Dana", "last_name": "Cruz"},
        201,
        operation=("/api/v1/people/", "post"),
    ),
    Write(
        "person replace",
        "navigator",
        "put",
        lambda w: _api(f"people/{w.person.pk}/"),
        lambda w: {"first_name": "Rae", "last_name": "Okafor"},
        operation=("/api/v1/people/{id}/", "put"),
    ),
    Write(
        "person update",
        "navigator",
        "patch",
        lambda w: _api(f"people/{w.person.pk}/"),
        lambda w: {"city": "Eugene"},
        operation=("/api/v1/people/{id}/", "patch"),
    ),
    Write(
        "person delete",
        "navigator",
        "delete",
        lambda w: _api(f"people/{w.person.pk}/"),
        lambda w: {"reason": "duplicate"},
        204,
        queued=1,
        operation=("/api/v1/people/{id}/", "delete"),
    ),
    Write(
        "person restore",
        "manager",
        "post",
        lambda w: _api(f"people/{w.deleted_person.pk}/restore/"),
        status=200,
        queued=1,
        operation=("/api/v1/people/{id}/restore/", "post"),
    ),
    Write(
        "contact create",
        "navigator",
        "post",
        lambda w: _api(f"people/{w.person.pk}/contacts/"),
        lambda w: {"name": "Ana", "relationship": "mother"},
        201,
        operation=("/api/v1/people/{person_pk}/contacts/", "post"),
    ),
    Write(
        "contact replace",
        "navigator",
        "put",
        lambda w: _api(f"people/{w.person.pk}/contacts/{w.contact.pk}/"),
        lambda w: {"name": "Leo", "relationship": "uncle"},
        operation=("/api/v1/people/{person_pk}/contacts/{id}/", "put"),
    ),
    Write(
        "contact update",
        "navigator",
        "patch",
        lambda w: _api(f"people/{w.person.pk}/contacts/{w.contact.pk}/"),
        lambda w: {"may_contact": True},
        operation=("/api/v1/people/{person_pk}/contacts/{id}/", "patch"),
    ),
    Write(
        "contact delete",
        "navigator",
        "delete",
        lambda w: _api(f"people/{w.person.pk}/contacts/{w.contact.pk}/"),
        lambda w: {"reason": "entered twice"},
        status=204,
        operation=("/api/v1/people/{person_pk}/contacts/{id}/", "delete"),
    ),
    Write(
        "contact restore",
        "manager",
        "post",
        lambda w: _api(
            f"people/{w.person.pk}/contacts/{w.removed_contact.pk}/restore/"
        ),
        operation=("/api/v1/people/{person_pk}/contacts/{id}/restore/", "post"),
    ),
    Write(
        "encounter create",
        "navigator",
        "post",
        lambda w: _api("encounters/"),
        lambda w: {
            "person": w.person.pk,
            "started_at": ago(1).isoformat(),
            "source": "911_call",
            "disposition": "resolved_on_scene",
        },
        201,
        queued=1,
        operation=("/api/v1/encounters/", "post"),
    ),
    Write(
        "encounter replace",
        "navigator",
        "put",
        lambda w: _api(f"encounters/{w.encounter.pk}/"),
        lambda w: {
            "person": w.person.pk,
            "started_at": ago(3).isoformat(),
            "source": "911_call",
            "disposition": "resolved_on_scene",
        },
        queued=1,
        operation=("/api/v1/encounters/{id}/", "put"),
    ),
    Write(
        "encounter relink",
        "navigator",
        "patch",
        lambda w: _api(f"encounters/{w.encounter.pk}/"),
        lambda w: {"person": w.other_person.pk},
        queued=2,  # the person it left and the one it joined
        operation=("/api/v1/encounters/{id}/", "patch"),
    ),
    Write(
        "encounter delete",
        "navigator",
        "delete",
        lambda w: _api(f"encounters/{w.encounter.pk}/"),
        lambda w: {"reason": "logged twice"},
        204,
        queued=1,
        operation=("/api/v1/encounters/{id}/", "delete"),
    ),
    Write(
        "encounter restore",
        "manager",
        "post",
        lambda w: _api(f"encounters/{w.deleted_encounter.pk}/restore/"),
        queued=1,
        operation=("/api/v1/encounters/{id}/restore/", "post"),
    ),
    Write(
        "followup create",
        "navigator",
        "post",
        lambda w: _api("followups/"),
        lambda w: {"person": w.person.pk, "due_at": soon(), "method": "phone"},
        201,
        operation=("/api/v1/followups/", "post"),
    ),
    Write(
        "followup update",
        "navigator",
        "patch",
        lambda w: _api(f"followups/{w.followup.pk}/"),
        lambda w: {"purpose": "Check the bed"},
        operation=("/api/v1/followups/{id}/", "patch"),
    ),
    Write(
        "followup complete",
        "navigator",
        "post",
        lambda w: _api(f"followups/{w.followup.pk}/complete/"),
        lambda w: {"outcome": "reached"},
        operation=("/api/v1/followups/{id}/complete/", "post"),
    ),
    Write(
        "followup attempt",
        "navigator",
        "post",
        lambda w: _api(f"followups/{w.followup.pk}/attempt/"),
        lambda w: {"outcome": "no_answer"},
        operation=("/api/v1/followups/{id}/attempt/", "post"),
    ),
    Write(
        "followup undo",
        "navigator",
        "post",
        lambda w: _api(f"followups/{_just_completed(w)}/undo/"),
        operation=("/api/v1/followups/{id}/undo/", "post"),
    ),
    Write(
        "followup missed",
        "navigator",
        "post",
        lambda w: _api(f"followups/{w.followup.pk}/missed/"),
        operation=("/api/v1/followups/{id}/missed/", "post"),
    ),
    Write(
        "followup cancel",
        "navigator",
        "post",
        lambda w: _api(f"followups/{w.followup.pk}/cancel/"),
        lambda w: {"reason": "duplicate"},
        operation=("/api/v1/followups/{id}/cancel/", "post"),
    ),
    Write(
        "familiar face dismiss",
        "manager",
        "post",
        lambda w: _api(f"familiar-faces/{w.flag.pk}/dismiss/"),
        lambda w: {"reason": "moved away"},
        operation=("/api/v1/familiar-faces/{id}/dismiss/", "post"),
    ),
    Write(
        "familiar face enroll",
        "manager",
        "post",
        lambda w: _api(f"familiar-faces/{w.flag.pk}/enroll/"),
        lambda w: {"navigator": w.navigator.pk},
        operation=("/api/v1/familiar-faces/{id}/enroll/", "post"),
    ),
    # --- referrals (issue 9): made on first use, tests/referrals/helpers.py ---
    Write(
        "referral create and send",
        "navigator",
        "post",
        lambda w: _api("referrals/"),
        lambda w: {
            "person": w.person.pk,
            "service": referral_service(w).pk,
            "reason": "Crisis bed",
            "send": True,
        },
        201,
        operation=("/api/v1/referrals/", "post"),
    ),
    Write(
        "referral group",
        "navigator",
        "post",
        lambda w: _api("referrals/groups/"),
        lambda w: {
            "person": w.person.pk,
            "services": [s.pk for s in more_services(w, 3)],
            "reason": "Detox bed",
        },
        201,
        operation=("/api/v1/referrals/groups/", "post"),
    ),
    Write(
        "referral update",
        "navigator",
        "patch",
        lambda w: _api(f"referrals/{referral_in(w, 'requested').pk}/"),
        lambda w: {"reason": "Crisis bed, tonight"},
        operation=("/api/v1/referrals/{id}/", "patch"),
    ),
    Write(
        "referral note",
        "navigator",
        "post",
        lambda w: _api(f"referrals/{referral_in(w, 'requested').pk}/notes/"),
        lambda w: {"text": "Called intake"},
        201,
        operation=("/api/v1/referrals/{referral_pk}/notes/", "post"),
    ),
    *(
        Write(
            f"referral {action}",
            "navigator",
            "post",
            referral_action_path(action, status),
            fixed(body),
            operation=(f"/api/v1/referrals/{{id}}/{action}/", "post"),
        )
        for action, status, body in [
            ("request", "draft", {}),
            ("accept", "requested", {}),
            ("reject", "requested", {"reason_code": "not_eligible"}),
            ("start", "accepted", {}),
            ("hold", "in-progress", {}),
            ("resume", "on-hold", {}),
            ("complete", "in-progress", {"outcome": "connected"}),
            ("cancel", "requested", {"reason_code": "duplicate"}),
            ("enter-in-error", "requested", {}),
        ]
    ),
    # --- consents (issue 9): they queue nothing ---
    Write(
        "consent record",
        "navigator",
        "post",
        lambda w: _api(f"people/{w.person.pk}/consents/"),
        lambda w: consent_api_body(w.consent_agency),
        201,
        operation=("/api/v1/people/{person_pk}/consents/", "post"),
    ),
    Write(
        "consent revoke",
        "navigator",
        "post",
        lambda w: _api(f"consents/{w.consent.pk}/revoke/"),
        lambda w: {"method": "written"},
        operation=("/api/v1/consents/{id}/revoke/", "post"),
    ),
    Write(
        "consent form attach",
        "navigator",
        "post",
        lambda w: _api(f"consents/{w.formless_consent.pk}/form/"),
        lambda w: {"form": SimpleUploadedFile("scan.pdf", PDF)},
        operation=("/api/v1/consents/{id}/form/", "post"),
        format="multipart",
    ),
    # --- partners (issue 10): a service's availability; nothing queued ---
    Write(
        "service availability",
        "manager",
        "patch",
        lambda w: _api(f"services/{_directory_service(w).pk}/"),
        lambda w: {"capacity_note": "Two beds free"},
        operation=("/api/v1/services/{id}/", "patch"),
    ),
]


PERSON_FORM = {
    "first_name": "Dana",
    "last_name": "Cruz",
    "veteran_status": "no",
    "housing_situation": "unsheltered",
}


def _directory_service(w: World):
    # The directory's row the writes act on (issue 9), made on first use.
    from referrals.models import Service
    from tests.referrals.factories import ServiceFactory, partner_of

    service = Service.objects.filter(agency__slug="outage-agency").first()
    if service is None:
        service = ServiceFactory(agency=partner_of(w.program, slug="outage-agency"))
    return service


PAGE_WRITES = [
    Write(
        "person-create",
        "navigator",
        "post",
        lambda w: reverse("person-create"),
        lambda w: PERSON_FORM,
        302,
    ),
    Write(
        "person-edit",
        "navigator",
        "post",
        lambda w: reverse("person-edit", args=[w.person.pk]),
        lambda w: {**PERSON_FORM, "city": "Eugene"},
        302,
    ),
    Write(
        "person-delete",
        "navigator",
        "post",
        lambda w: reverse("person-delete", args=[w.person.pk]),
        lambda w: {"reason": "duplicate"},
        302,
        queued=1,
    ),
    Write(
        "person-restore",
        "manager",
        "post",
        lambda w: reverse("person-restore", args=[w.deleted_person.pk]),
        lambda w: {"reason": "deleted by mistake"},
        302,
        queued=1,
    ),
    Write(
        "family-contact-add",
        "navigator",
        "post",
        lambda w: reverse("family-contact-add", args=[w.person.pk]),
        lambda w: {"name": "Ana", "relationship": "mother"},
        302,
    ),
    Write(
        "family-contact-edit",
        "navigator",
        "post",
        lambda w: reverse("family-contact-edit", args=[w.person.pk, w.contact.pk]),
        lambda w: {"name": "Leo", "relationship": "uncle"},
        302,
    ),
    Write(
        "family-contact-remove",
        "navigator",
        "post",
        lambda w: reverse("family-contact-remove", args=[w.person.pk, w.contact.pk]),
        lambda w: {"reason": "entered twice"},
        302,
    ),
    Write(
        "encounter-create",
        "navigator",
        "post",
        lambda w: reverse("encounter-create"),
        lambda w: {
            "person": str(w.person.pk),
            "started_at": local_input(w, ago(1)),
            "source": "officer_request",
            "disposition": "resolved_on_scene",
            "concerns": ["mental_health"],
        },
        302,
        queued=1,
    ),
    Write(
        "encounter-edit",
        "navigator",
        "post",
        lambda w: reverse("encounter-edit", args=[w.encounter.pk]),
        lambda w: {
            "person": str(w.person.pk),
            "started_at": local_input(w, ago(2)),
            "source": "officer_request",
            "disposition": "resolved_on_scene",
            "concerns": ["mental_health"],
        },
        302,
        queued=1,
    ),
    Write(
        "encounter-link",
        "navigator",
        "post",
        lambda w: reverse("encounter-link", args=[w.unlinked.pk]),
        lambda w: {"person": str(w.person.pk)},
        302,
        queued=1,
    ),
    Write(
        "encounter-delete",
        "navigator",
        "post",
        lambda w: reverse("encounter-delete", args=[w.encounter.pk]),
        lambda w: {"reason": "logged twice"},
        302,
        queued=1,
    ),
    Write(
        "family-contact-restore",
        "manager",
        "post",
        lambda w: reverse(
            "family-contact-restore", args=[w.person.pk, w.removed_contact.pk]
        ),
        lambda w: {"reason": ""},
        302,
    ),
    Write(
        "encounter-restore",
        "manager",
        "post",
        lambda w: reverse("encounter-restore", args=[w.deleted_encounter.pk]),
        lambda w: {"reason": ""},
        302,
        queued=1,
    ),
    Write(
        "followup-schedule",
        "navigator",
        "post",
        lambda w: f"{reverse('followup-schedule')}?person={w.person.pk}",
        lambda w: {
            "when": "2",
            "at": "09:15",
            "method": "phone",
            "priority": "routine",
            "assigned_to": str(w.navigator.pk),
        },
        302,
    ),
    Write(
        "followup-complete",
        "navigator",
        "post",
        lambda w: reverse("followup-complete", args=[w.followup.pk]),
        lambda w: {"complete-outcome": "reached"},
        302,
    ),
    Write(
        "followup-attempt",
        "navigator",
        "post",
        lambda w: reverse("followup-attempt", args=[w.followup.pk]),
        lambda w: {"attempt-outcome": "no_answer"},
        302,
    ),
    Write(
        "followup-undo",
        "navigator",
        "post",
        lambda w: reverse("followup-undo", args=[_just_completed(w)]),
        lambda w: {},
        302,
    ),
    Write(
        "followup-missed",
        "navigator",
        "post",
        lambda w: reverse("followup-missed", args=[w.followup.pk]),
        lambda w: {"missed-notes": "not at the camp"},
        302,
    ),
    Write(
        "followup-cancel",
        "navigator",
        "post",
        lambda w: reverse("followup-cancel", args=[w.followup.pk]),
        lambda w: {"cancel-reason": "duplicate"},
        302,
    ),
    Write(
        "followup-reschedule",
        "navigator",
        "post",
        lambda w: reverse("followup-reschedule", args=[w.followup.pk]),
        lambda w: {
            "reschedule-due_at": local_input(w, timezone.now() + datetime.timedelta(2)),
            "reschedule-reason": "asked for later",
        },
        302,
    ),
    Write(
        "followup-reassign",
        "navigator",
        "post",
        lambda w: reverse("followup-reassign", args=[w.followup.pk]),
        lambda w: {"reassign-assigned_to": str(w.colleague.pk)},
        302,
    ),
    Write(
        "followup-plan",
        "navigator",
        "post",
        lambda w: reverse("followup-plan", args=[w.planned_encounter.pk]),
        lambda w: {"steps": [str(w.plan_step.pk)], "at": "11:00"},
        302,
    ),
    Write(
        "followup-settings",
        "manager",
        "post",
        lambda w: reverse("followup-settings"),
        lambda w: SETTINGS_POST,
        302,
    ),
    Write(
        "followup-plan-step-add",
        "manager",
        "post",
        lambda w: reverse("followup-plan-step-add"),
        lambda w: {
            "step-disposition": "resources_provided",
            "step-days_after": "2",
            "step-method": "phone",
            "step-priority": "routine",
        },
        302,
    ),
    Write(
        "followup-plan-step-remove",
        "manager",
        "post",
        lambda w: reverse("followup-plan-step-remove", args=[w.plan_step.pk]),
        status=302,
    ),
    Write(
        "followup-preferences",
        "navigator",
        "post",
        lambda w: reverse("followup-preferences"),
        lambda w: {"channel": "digest_only"},
        302,
    ),
    Write(
        "followup-calendar-create",
        "navigator",
        "post",
        lambda w: reverse("followup-calendar-create"),
        status=200,  # the page showing the new feed's URL, once
    ),
    Write(
        "followup-calendar-revoke",
        "navigator",
        "post",
        lambda w: w.revoke_url(),
        status=302,
    ),
    Write(
        "familiar:dismiss",
        "manager",
        "post",
        lambda w: reverse("familiar:dismiss", args=[w.flag.pk]),
        lambda w: {"reason": "moved away"},
        302,
    ),
    Write(
        "familiar:enroll",
        "manager",
        "post",
        lambda w: reverse("familiar:enroll", args=[w.flag.pk]),
        lambda w: {"navigator": str(w.navigator.pk)},
        302,
    ),
    Write(
        "familiar:enrollment-end",
        "manager",
        "post",
        lambda w: reverse("familiar:enrollment-end", args=[w.enrollment.pk]),
        lambda w: {"reason": "moved away"},
        302,
    ),
    Write(
        "familiar:rule-create",
        "manager",
        "post",
        lambda w: reverse("familiar:rule-create"),
        lambda w: {"min_encounters": "3", "window_days": "30", "is_active": "on"},
        302,
        queued=1,
    ),
    Write(
        "familiar:rule-edit",
        "manager",
        "post",
        lambda w: reverse("familiar:rule-edit", args=[w.rule.pk]),
        lambda w: {
            "name": "2 in 45 days",
            "min_encounters": "2",
            "window_days": "45",
            "is_active": "on",
        },
        302,
        queued=1,
    ),
    Write(
        "familiar:rule-active",
        "manager",
        "post",
        lambda w: reverse("familiar:rule-active", args=[w.rule.pk]),
        lambda w: {"is_active": "false"},
        302,
        queued=1,
    ),
    # Referral sweeps' settings page (issue 9).
    Write(
        "referral-settings",
        "manager",
        "post",
        lambda w: reverse("referral-settings"),
        lambda w: {
            "respond_days_routine": "5",
            "respond_days_urgent": "2",
            "respond_days_emergency": "0",
            "escalate_after_days": "3",
            "expire_after_days": "45",
            "followup_after_accept_days": "4",
        },
        302,
    ),
    # --- the directory (issue 9): audited writes, nothing queued ---
    Write(
        "directory:agency-create",
        "manager",
        "post",
        lambda w: reverse("directory:agency-create"),
        lambda w: {"name": "Harbor", "kind": "clinic", "programs": [w.program.pk]},
        302,
    ),
    Write(
        "directory:agency-edit",
        "manager",
        "post",
        lambda w: reverse(
            "directory:agency-edit", args=[_directory_service(w).agency_id]
        ),
        lambda w: {"name": "Renamed", "kind": "clinic", "programs": [w.program.pk]},
        302,
    ),
    Write(
        "directory:agency-active",
        "manager",
        "post",
        lambda w: reverse(
            "directory:agency-active", args=[_directory_service(w).agency_id]
        ),
        lambda w: {"reason": "closed"},
        302,
    ),
    Write(
        "directory:service-create",
        "manager",
        "post",
        lambda w: reverse(
            "directory:service-create", args=[_directory_service(w).agency_id]
        ),
        lambda w: {"name": "Beds", "accepting": "yes"},
        302,
    ),
    Write(
        "directory:service-edit",
        "manager",
        "post",
        lambda w: reverse("directory:service-edit", args=[_directory_service(w).pk]),
        lambda w: {"name": "Beds", "accepting": "waitlist"},
        302,
    ),
    Write(
        "directory:service-active",
        "manager",
        "post",
        lambda w: reverse("directory:service-active", args=[_directory_service(w).pk]),
        lambda w: {},
        302,
    ),
    # --- referral pages (issue 9) ---
    Write(
        "referral-refer",
        "navigator",
        "post",
        lambda w: reverse("referral-refer"),
        lambda w: {
            "person": w.person.pk,
            "services": [w.referral_service.pk],
            "urgency": "routine",
            "is_involuntary": "false",
            "reason": "Needs counselling",
            "do": "draft",
        },
        302,
    ),
    Write(
        "referral-move",
        "navigator",
        "post",
        lambda w: reverse("referral-move", args=[w.referral.pk]),
        lambda w: {
            "action": "accept",
            "schedule_followup": "on",
            "followup_due_at": f"{timezone.localdate() + datetime.timedelta(days=3)}T10:00",
        },
        302,
    ),
    Write(
        "referral-note-add",
        "navigator",
        "post",
        lambda w: reverse("referral-note-add", args=[w.referral.pk]),
        lambda w: {"text": "Called the clinic"},
        302,
    ),
    Write(
        "referral-edit",
        "navigator",
        "post",
        lambda w: reverse("referral-edit", args=[w.referral.pk]),
        lambda w: {
            "edit-reason": "Needs a bed",
            "edit-urgency": "urgent",
            "edit-is_involuntary": "false",
            "edit-assigned_to": w.navigator.pk,
        },
        302,
    ),
    # --- consents (issue 9): they queue nothing ---
    Write(
        "consent-add",
        "navigator",
        "post",
        lambda w: reverse("consent-add", args=[w.person.pk]),
        lambda w: consent_post(w.consent_agency),
        302,
    ),
    Write(
        "consent-revoke",
        "navigator",
        "post",
        lambda w: reverse("consent-revoke", args=[w.consent.pk]),
        lambda w: {"method": "verbal"},
        302,
    ),
    Write(
        "consent-mark-in-error",
        "navigator",
        "post",
        lambda w: reverse("consent-mark-in-error", args=[w.consent.pk]),
        lambda w: {"reason": "wrong person"},
        302,
    ),
    Write(
        "referral-attachment-add",
        "navigator",
        "post",
        lambda w: reverse("referral-attachment-add", args=[w.referral.pk]),
        lambda w: {"file": SimpleUploadedFile("intake.pdf", PDF)},
        302,
    ),
    # --- outbound webhooks (issue 10): audited configuration; the events
    # wait in the database for the beat's dispatcher, nothing is queued ---
    Write(
        "webhook-agency",
        "manager",
        "post",
        lambda w: reverse("webhook-agency", args=[w.referral_service.agency_id]),
        lambda w: {"url": "https://hooks.example.org/n", "is_active": "on"},
        200,
    ),
    Write(
        "webhook-rotate",
        "manager",
        "post",
        lambda w: reverse("webhook-rotate", args=[w.webhook_endpoint.agency_id]),
        lambda w: {},
        200,
    ),
    Write(
        "webhook-retry",
        "manager",
        "post",
        lambda w: reverse("webhook-retry", args=[w.webhook_event.pk]),
        lambda w: {},
        302,
    ),
    # --- partners (issue 10): the agency's tokens; audited, nothing queued ---
    Write(
        "partner-tokens",
        "partner",
        "post",
        lambda w: reverse("partner-tokens"),
        lambda w: {"name": "EHR", "expires": 30},
    ),
    Write(
        "partner-token-revoke",
        "partner",
        "post",
        lambda w: reverse("partner-token-revoke", args=[w.partner_token_id]),
        lambda w: {},
        302,
    ),
]

# Pages that write nothing (GET only, or a form's search): nothing to queue.
PAGE_READS = {
    # Referral pages (issue 9).
    "referral-board",
    "referral-detail",
    "referral-consent-check",
    "today",
    "person-list",
    "person-deleted-list",
    "person-detail",
    "person-audit",
    "person-audit-export",
    "encounter-list",
    "encounter-detail",
    "encounter-person-options",
    "encounter-person-plan",
    "encounter-unidentified",
    "followup-list",
    "followup-detail",
    "followup-overdue",
    "followup-deliveries",
    "followup-calendar-feed",
    "familiar:list",
    "familiar:export",
    "familiar:rules",
    "familiar:outcomes",
    "familiar:history",
    "familiar:person-panel",
    # The directory (issue 9).
    "directory:search",
    "directory:agency-list",
    "directory:agency-detail",
    # consents (issue 9)
    "consent-list",
    "consent-detail",
    "consent-form",
    # Referral conversion report (GET only; the export's audit event is the
    # only write, no queued work).
    "referral-report",
    "referral-report-export",
    "referral-attachment",
    # Outbound webhooks (issue 10): the managers' list.
    "webhook-list",
    # Partners (issue 10): the partner's landing page.
    "partner-home",
}
# Not records: signing in and out, health, the API docs; the admin site keeps
# no health records and queues no work.
NOT_RECORD_PAGES = {"healthz", "schema", "api-docs"}


@pytest.fixture
def world(program_a, navigator_a, manager_a) -> World:
    return World(program_a, navigator_a, manager_a)


def _api_client(user: User) -> APIClient:
    _, key = api_token_create(user=user, name="outage")
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def _page_client(user: User) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def _during_outage(world: World, write: Write, send: Callable[..., Any]) -> None:
    path, body = write.path(world), write.body(world)
    before = QueuedTask.objects.count()
    with broker_refusing():
        start = time.monotonic()
        response = send(path, body)
        took = time.monotonic() - start
    assert response.status_code == write.status, _why(response)
    assert took < BOUND_SECONDS, f"{write.name} took {took:.1f} s"
    # The work waits in the outbox (nothing was lost, nothing ran yet).
    assert QueuedTask.objects.count() - before == write.queued
    # The broker is back: the sweep sends it, and the outbox empties.
    publish_queued_tasks()
    assert not QueuedTask.objects.exists()


def _why(response) -> Any:
    """The form errors of a page that did not save, else the body."""
    context = getattr(response, "context", None) or {}
    forms = [context.get("form"), *(context.get("forms") or {}).values()]
    errors = [f.errors for f in forms if f is not None and f.errors]
    return response.status_code, errors or response.content[:2000]


@pytest.mark.parametrize("write", API_WRITES, ids=lambda w: w.name)
def test_api_write_succeeds_with_the_broker_down(world, write):
    send = getattr(_api_client(getattr(world, write.user)), write.method)
    _during_outage(
        world, write, lambda path, body: send(path, body, format=write.format)
    )


@pytest.mark.parametrize("write", PAGE_WRITES, ids=lambda w: w.name)
def test_page_write_succeeds_with_the_broker_down(world, write):
    send = getattr(_page_client(getattr(world, write.user)), write.method)
    _during_outage(world, write, send)


def test_every_api_write_is_covered():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    unsafe = {
        (path, method)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in {"post", "put", "patch", "delete"}
    }
    assert unsafe == {w.operation for w in API_WRITES}


def _names(patterns, prefix: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            # Sign-in and the user's own account (accounts/) keep no health
            # records and queue nothing through the broker (a password-reset
            # email is sent within the request).
            if pattern.app_name == "admin" or str(pattern.pattern) in (
                "api/v1/",
                "accounts/",
                "accounts/sessions/",
            ):
                continue
            space = f"{pattern.namespace}:" if pattern.namespace else ""
            names |= _names(pattern.url_patterns, prefix + space)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(prefix + pattern.name)
    return names


def test_every_page_is_covered():
    pages = _names(get_resolver().url_patterns)
    writes = {w.name for w in PAGE_WRITES}
    assert not writes & PAGE_READS
    assert pages == writes | PAGE_READS | NOT_RECORD_PAGES


# --- the work happens once the broker is back --------------------------------


def test_the_familiar_faces_evaluation_happens_once_the_broker_is_back(world):
    """The person reaches the rule's 2 contacts while the broker is down: no
    flag yet (the evaluation is queued, not lost); the sweep raises it."""
    EncounterFactory(person=world.person, program=world.program, started_at=ago(30))
    api = _api_client(world.navigator)
    with broker_refusing():
        response = api.post(
            _api("encounters/"),
            {
                "person": world.person.pk,
                "started_at": ago(1).isoformat(),
                "source": "911_call",
                "disposition": "resolved_on_scene",
            },
            format="json",
        )
        assert response.status_code == 201, response.content
        assert not FamiliarFaceFlag.objects.filter(person=world.person).exists()
        # A sweep while the broker is still down keeps the work.
        assert publish_queued_tasks() == {"published": 0, "pending": 1}
    (row,) = QueuedTask.objects.all()
    assert (row.task, row.args) == (
        "cases.tasks.familiar_faces_evaluate_person",
        [world.person.pk],
    )
    assert row.attempts == 2
    assert publish_queued_tasks() == {"published": 1, "pending": 0}
    flag = FamiliarFaceFlag.objects.get(person=world.person)
    assert (flag.status, flag.encounter_count) == (FlagStatus.ACTIVE, 2)


def test_a_rule_written_during_an_outage_is_evaluated_once_it_is_back(world):
    person = PersonFactory(program=world.program)
    for hours in (30, 20, 10):
        EncounterFactory(person=person, program=world.program, started_at=ago(hours))
    with broker_refusing():
        familiar_services.familiar_rule_create(
            by=world.manager,
            program=world.program,
            data={"min_encounters": 3, "window_days": 7},
        )
    rule = FamiliarFacesRule.objects.get(min_encounters=3)
    assert not FamiliarFaceFlag.objects.filter(rule=rule).exists()
    publish_queued_tasks()
    assert FamiliarFaceFlag.objects.get(rule=rule).person == person


def test_the_fail_fast_publish_options_are_used(world, monkeypatch):
    """kombu's default publish retries; the outbox must not (see BOUND)."""
    seen: list[dict] = []
    from cases.tasks import familiar_faces_evaluate_person

    real = familiar_faces_evaluate_person.apply_async

    def spy(*args, **kwargs):
        seen.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(familiar_faces_evaluate_person, "apply_async", spy)
    case_services.person_soft_delete(
        by=world.navigator, person=world.person, reason="duplicate"
    )
    assert seen and seen[0]["retry_policy"] == outbox.PUBLISH_OPTIONS["retry_policy"]


def test_a_keyed_retry_during_the_outage_stores_one_encounter_and_one_task(world):
    api = _api_client(world.navigator)
    body = {
        "person": world.person.pk,
        "started_at": ago(1).isoformat(),
        "source": "911_call",
        "disposition": "resolved_on_scene",
    }
    headers = {"Idempotency-Key": "retry-after-outage-1"}
    with broker_refusing():
        first = api.post(_api("encounters/"), body, format="json", headers=headers)
        again = api.post(_api("encounters/"), body, format="json", headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.content == first.content
    assert world.person.encounters.count() == 1
    assert QueuedTask.objects.count() == 1
