"""The world the disclosure-audit doors run in: one program with a person
who has everything (a contact, an encounter, a follow-up, a reminder), two
people on the familiar-faces list (one enrolled), deleted records, and the
users who see them."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.utils import timezone

from cases import services as case_services
from cases.familiar import evaluation
from cases.familiar import services as familiar_services
from cases.models import (
    Consent,
    Encounter,
    FamiliarFaceEnrollment,
    FamiliarFaceFlag,
    FamiliarFacesRule,
    FamilyContact,
    Person,
)
from followups import services as followup_services
from followups.models import (
    Delivery,
    DeliveryStatus,
    Followup,
    FollowupPlanStep,
    Reminder,
    ReminderKind,
    ReminderStatus,
)
from navigator.models import Program, Role, User
from referrals.models import Referral, Service
from referrals.services import ReferralData, referral_create
from tests.cases.consent_helpers import recorded_consent
from tests.factories import EncounterFactory, PersonFactory, ProgramFactory, member
from tests.referrals.factories import ServiceFactory, partner_of

# --- the world the requests run in --------------------------------------------


@dataclass
class World:
    program: Program
    navigator: User
    manager: User
    person: Person  # P: contact, encounter, follow-up, a reminder to them
    flagged: Person  # Q: on the familiar-faces list, an overdue follow-up
    enrolled: Person  # R: on the list and enrolled
    deleted: Person  # D: soft-deleted
    contact: FamilyContact
    removed_contact: FamilyContact
    encounter: Encounter
    unidentified: Encounter
    deleted_encounter: Encounter
    followup: Followup
    overdue: Followup
    flag: FamiliarFaceFlag
    enrollment: FamiliarFaceEnrollment
    rule: FamiliarFacesRule
    step: FollowupPlanStep
    delivery: Delivery
    feed_token: str
    # Referral pages (issue 9): a partner's service, and P's referral to it,
    # sent under P's consent.
    service: Service
    referral: Referral
    tokens: dict[str, str] = field(default_factory=dict)
    # Consents (issue 9): the person's, with its scanned form.
    consent: Consent | None = None

    @property
    def alive(self) -> list[Person]:
        return [self.person, self.flagged, self.enrolled]

    def user(self, role: str) -> User:
        if role == "partner":
            # A partner user of the doors' agency (issue 10), made on first use.
            return _door_partner(self.program)
        return {"navigator": self.navigator, "manager": self.manager}[role]


def _door_partner(program: Program) -> User:
    from referrals.models import AgencyMember, Service
    from tests.referrals.factories import ServiceFactory, partner_of
    from tests.referrals.partner_helpers import partner_user

    member = AgencyMember.objects.filter(
        agency__slug="door-agency", is_service_account=False
    ).first()
    if member is not None:
        return member.user
    service = Service.objects.filter(agency__slug="door-agency").first()
    if service is None:
        service = ServiceFactory(agency=partner_of(program, slug="door-agency"))
    return partner_user(service.agency)


def _on_the_list(program: Program, people: list[Person]) -> None:
    now = timezone.now()
    Encounter.objects.bulk_create(
        EncounterFactory.build(
            person=person,
            program=program,
            started_at=now - datetime.timedelta(days=day + 1),
            narrative="Narrative of a repeat contact.",
        )
        for person in people
        for day in range(4)
    )
    evaluation.evaluate_program(program)


def make_world() -> World:
    program = ProgramFactory(name="Door Program", slug="doors")
    navigator = member(program, Role.NAVIGATOR, username="door-nav")
    manager = member(program, Role.PROGRAM_MANAGER, username="door-mgr")
    person = PersonFactory(
        program=program,
        first_name="Anaïs",
        last_name="Doorly",
        safety_notes="Calm voice; no sirens.",
    )
    flagged = PersonFactory(program=program, last_name="Flagg")
    enrolled = PersonFactory(program=program, last_name="Enroll")
    deleted = PersonFactory(program=program, last_name="Gone")
    case_services.person_soft_delete(by=navigator, person=deleted, reason="dup")
    contact = case_services.family_contact_add(
        by=navigator,
        person=person,
        data={
            "name": "Rosa Doorly",
            "relationship": "mother",
            "phone": "555-0199",
            "may_contact": True,
        },
    )
    removed_contact = case_services.family_contact_add(
        by=navigator,
        person=person,
        data={"name": "Ida Doorly", "relationship": "aunt"},
    )
    case_services.family_contact_remove(
        by=navigator, contact=removed_contact, reason="entered twice"
    )
    encounter = EncounterFactory(
        person=person, created_by=navigator, narrative="Secret narrative."
    )
    encounter.navigators.add(navigator)
    unidentified = EncounterFactory(
        person=None,
        program=program,
        created_by=navigator,
        unidentified_description="Man in a red coat",
    )
    deleted_encounter = EncounterFactory(person=person, created_by=navigator)
    case_services.encounter_soft_delete(
        by=navigator, encounter=deleted_encounter, reason="dup"
    )
    rule = FamiliarFacesRule.objects.create(
        program=program, name="3 in 30 days", min_encounters=3, window_days=30
    )
    _on_the_list(program, [flagged, enrolled])
    enrollment = familiar_services.familiar_enroll(
        by=manager, person=enrolled, navigator=navigator, plan="Weekly check-in"
    )
    followup = followup_services.followup_schedule(
        by=navigator,
        person=person,
        due_at=timezone.now() + datetime.timedelta(hours=1),
        method="phone",
        contact=contact,
        purpose="Check in",
    )
    overdue = followup_services.followup_schedule(
        by=navigator,
        person=flagged,
        due_at=timezone.now() + datetime.timedelta(hours=1),
        method="phone",
    )
    Followup.objects.filter(pk=overdue.pk).update(
        due_at=timezone.now() - datetime.timedelta(days=2)
    )
    reminder = Reminder.objects.create(
        kind=ReminderKind.PERSON,
        program=program,
        followup=followup,
        generation=99,
        recipient_person=person,
        send_after=timezone.now(),
        status=ReminderStatus.SENT,
        attempts=1,
    )
    delivery = Delivery.objects.create(
        reminder=reminder,
        channel="sms",
        recipient="+15550100199",
        summary="Reminder",
        status=DeliveryStatus.SENT,
        sent_at=timezone.now(),
    )
    step = FollowupPlanStep.objects.create(
        program=program,
        disposition=encounter.disposition,
        days_after=2,
        method="phone",
        purpose="Check in after the call",
    )
    _feed, feed_token = followup_services.calendar_feed_create(by=navigator)
    service = ServiceFactory(agency=partner_of(program, name="Door Clinic"))
    consent = recorded_consent(person, by=navigator, agency=service.agency)
    referral = referral_create(
        by=navigator,
        data=ReferralData(person=person, service=service, reason="Needs a bed"),
        send=True,
    )
    return World(
        program=program,
        navigator=navigator,
        manager=manager,
        person=person,
        flagged=flagged,
        enrolled=enrolled,
        deleted=deleted,
        contact=contact,
        removed_contact=removed_contact,
        encounter=encounter,
        unidentified=unidentified,
        deleted_encounter=deleted_encounter,
        followup=followup,
        overdue=Followup.objects.get(pk=overdue.pk),
        flag=FamiliarFaceFlag.objects.get(person=flagged, status="active"),
        enrollment=enrollment,
        rule=rule,
        step=step,
        delivery=delivery,
        feed_token=feed_token,
        service=service,
        referral=referral,
        consent=consent,
    )
