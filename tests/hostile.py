"""A program whose every free-text value is a script-injection attempt.

Shared by the page sweep (tests/navigator/test_injection.py), the other doors
(tests/navigator/test_injection_doors.py) and the browser test
(tests/browser/test_no_script_runs.py). Everything is written through the
services, as a user's typing would be, so what is stored is what a form or an
API client could store.
"""

from __future__ import annotations

import datetime
import html.parser
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cases import services as cases_services
from cases.consents.services import ConsentData, consent_record
from cases.familiar import evaluation
from cases.familiar import services as familiar_services
from cases.models import (
    Consent,
    Encounter,
    FamiliarFaceEnrollment,
    FamiliarFaceFlag,
    FamilyContact,
    FlagStatus,
    Person,
)
from cases.services import EncounterData, PersonData
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
from referrals.models import Referral
from referrals.services import ReferralData, referral_create, referral_note_add
from tests.factories import ProgramFactory, member
from tests.referrals.factories import AgencyFactory, ServiceFactory

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "\"'><script>alert(1)</script>"
SVG = "<svg onload=alert(1)>"
# For the shortest fields (a postal code): 20 characters.
TAG = "<b onclick=alert(1)>"
JS_URL = "javascript:alert(1)"
# What must never come out of a page as it went in.
MARKUP = (IMG, "<script>alert(1)</script>", SVG, TAG)
_LONG = f"{JS_URL}//{SCRIPT}{IMG}{SVG}"


def hostile(limit: int = 200) -> str:
    """The longest payload that fits a field of ``limit`` characters."""
    for text in (_LONG, f"{SCRIPT}{IMG}", IMG, SVG, TAG):
        if len(text) <= limit:
            return text
    raise ValueError(f"no payload fits {limit} characters")


def hostile_text() -> str:
    """For long text fields: several lines, as a narrative would have."""
    return f"{_LONG}\nSecond line {IMG}\n\n{JS_URL}"


@dataclass
class World:
    program: Program
    navigator: User
    manager: User
    person: Person  # flagged, enrolled, with a contact, encounters, follow-ups
    flagged: Person  # on the familiar-faces list, not enrolled
    deleted_person: Person
    contact: FamilyContact
    removed_contact: FamilyContact  # removed, with a hostile reason
    encounter: Encounter
    unidentified: Encounter
    deleted_encounter: Encounter
    followup: Followup  # open, with the contact
    closed_followup: Followup
    step: FollowupPlanStep
    flag: FamiliarFaceFlag  # the active one of ``flagged``
    enrollment: FamiliarFaceEnrollment
    # Referral pages (issue 9): a referral sent as an emergency without
    # consent, with a note; the hostile agency and service it goes to.
    referral: Referral
    # Consents (issue 9): one with every text hostile, and its scanned form.
    consent: Consent | None = None

    @property
    def rule_id(self) -> int:
        return self.flag.rule_id


def _staff(program: Program, role: str, username: str) -> User:
    return member(
        program,
        role,
        username=username,
        first_name=hostile(150),
        last_name=hostile(150),
    )


def _person(by: User, n: int) -> Person:
    data: PersonData = {
        "external_id": f"{n}{hostile(98)}",  # unique in the program
        "first_name": hostile(100),
        "middle_name": hostile(100),
        "last_name": hostile(100),
        "preferred_name": hostile(100),
        "date_of_birth": datetime.date(1980, 5, 17),
        "primary_language": hostile(60),
        "phone": hostile(32),
        "street_address": hostile(200),
        "city": hostile(100),
        "state": hostile(50),
        "postal_code": hostile(20),
        "location_notes": hostile(300),
        "safety_notes": hostile_text(),
        "unparsed": {hostile(60): hostile(200)},
    }
    return cases_services.person_create(
        by=by, data=data, aliases=[hostile(200), f"AKA {IMG}"]
    )


def _encounter(by: User, person: Person | None, days_ago: float = 1) -> Encounter:
    data: EncounterData = {
        "started_at": timezone.now() - datetime.timedelta(days=days_ago),
        "minutes_engaged": 20,
        "location_text": hostile(300),
        "source": "911_call",
        "cad_number": hostile(60),
        "officers": [{"name": hostile(100), "badge": hostile(30)}],
        "concerns": ["mental_health"],
        "narrative": hostile_text(),
        "disposition": "resources_provided",
    }
    if person is None:
        data["unidentified_description"] = hostile(200)
    return cases_services.encounter_log(by=by, data=data, person=person)


def _followup(by: User, person: Person, hours: int, **extra) -> Followup:
    return followup_services.followup_schedule(
        by=by,
        person=person,
        due_at=timezone.now() + datetime.timedelta(hours=hours),
        method=extra.pop("method", "phone"),
        purpose=hostile(200),
        **extra,
    )


def build_world(slug: str = "hostile") -> World:
    program = ProgramFactory(slug=slug, name=hostile(100), jurisdictions=[hostile(100)])
    navigator = _staff(program, Role.NAVIGATOR, f"{slug}-navigator")
    manager = _staff(program, Role.PROGRAM_MANAGER, f"{slug}-manager")

    person = _person(navigator, 1)
    flagged = _person(navigator, 2)
    contact = cases_services.family_contact_add(
        by=navigator,
        person=person,
        data={
            "name": hostile(200),
            "relationship": hostile(60),
            "phone": hostile(32),
            "may_contact": True,
            "notes": hostile_text(),
        },
    )
    removed_contact = cases_services.family_contact_add(
        by=navigator,
        person=person,
        data={"name": hostile(200), "relationship": hostile(60)},
    )
    cases_services.family_contact_remove(
        by=manager, contact=removed_contact, reason=hostile_text()
    )
    encounters = [
        _encounter(navigator, p, d) for p in (person, flagged) for d in (1, 2, 3)
    ]
    encounter = encounters[0]
    unidentified = _encounter(navigator, None)
    deleted_encounter = _encounter(navigator, person, 4)
    cases_services.encounter_soft_delete(
        by=manager, encounter=deleted_encounter, reason=hostile_text()
    )
    deleted_person = _person(navigator, 3)
    cases_services.person_soft_delete(
        by=manager, person=deleted_person, reason=hostile_text()
    )

    familiar_services.familiar_rule_create(
        by=manager,
        program=program,
        data={"name": hostile(100), "min_encounters": 3, "window_days": 30},
    )
    evaluation.evaluate_program(program)
    enrollment = familiar_services.familiar_enroll(
        by=manager, person=person, navigator=navigator, plan=hostile_text()
    )
    # One more person, dismissed with a hostile reason (history, panel).
    dismissed = _person(navigator, 4)
    for d in (1, 2, 3):
        _encounter(navigator, dismissed, d)
    evaluation.evaluate_program(program)
    familiar_services.familiar_flag_dismiss(
        by=manager,
        flag=FamiliarFaceFlag.objects.get(person=dismissed, status=FlagStatus.ACTIVE),
        reason=hostile_text(),
    )

    step = followup_services.followup_plan_step_add(
        by=manager,
        program=program,
        disposition="resources_provided",
        days_after=2,
        method="phone",
        purpose=hostile(200),
    )
    followup_services.followup_settings_update(
        by=manager, program=program, data={"sender_name": hostile(40)}
    )
    followup = _followup(navigator, person, 3, contact=contact, encounter=encounter)
    overdue = _followup(navigator, person, 1, method="in_person")
    Followup.objects.filter(pk=overdue.pk).update(
        due_at=timezone.now() - datetime.timedelta(days=2)
    )
    closed_followup = _followup(navigator, person, 5)
    followup_services.followup_complete(
        by=navigator, followup=closed_followup, outcome="reached", notes=hostile_text()
    )
    cancelled = _followup(navigator, flagged, 6)
    followup_services.followup_cancel(
        by=navigator, followup=cancelled, reason=hostile_text()
    )
    # The reminder scheduling planned, failed with a provider's error.
    reminder, _ = Reminder.objects.update_or_create(
        kind=ReminderKind.DUE_SOON,
        followup=followup,
        generation=followup.generation,
        recipient_user=navigator,
        defaults={
            "program": program,
            "send_after": timezone.now(),
            "status": ReminderStatus.FAILED,
            "last_error": hostile_text(),
        },
    )
    Delivery.objects.create(
        reminder=reminder,
        channel="email",
        recipient=f"{hostile(200)}@example.org",
        summary=hostile(200),
        status=DeliveryStatus.FAILED,
        error=hostile_text(),
    )
    followup_services.notification_preference_set(
        by=navigator, channel="email", phone=hostile(32)
    )
    followup_services.calendar_feed_create(by=navigator)
    referral = _referral(navigator, person, encounter)
    consent = _consent(navigator, person)
    return World(
        program=program,
        navigator=navigator,
        manager=manager,
        person=person,
        flagged=flagged,
        deleted_person=deleted_person,
        contact=contact,
        removed_contact=removed_contact,
        encounter=encounter,
        unidentified=unidentified,
        deleted_encounter=deleted_encounter,
        followup=followup,
        closed_followup=closed_followup,
        step=step,
        flag=FamiliarFaceFlag.objects.get(person=flagged, status=FlagStatus.ACTIVE),
        enrollment=enrollment,
        referral=referral,
        consent=consent,
    )


def _consent(by: User, person: Person) -> Consent:
    # Consents (issue 9): every text typed is hostile, and so is the
    # agency's name and the scanned form's file name.
    agency = AgencyFactory(programs=[person.program], name=hostile(200))
    today = timezone.localdate()
    return consent_record(
        by=by,
        person=person,
        data=ConsentData(
            purpose="other",
            purpose_detail=hostile(200),
            info_classes=["general", "substance_use"],
            signed_on=today,
            expiry_event=hostile(200),
            method="verbal",
            witness_name=hostile(200),
            agency_id=agency.pk,
            information_description=hostile_text(),
            discloser=hostile(200),
            notes=hostile_text(),
        ),
        form_upload=SimpleUploadedFile(hostile(150) + ".pdf", b"%PDF-1.7\n%%EOF\n"),
    )


def _referral(by: User, person: Person, encounter: Encounter) -> Referral:
    agency = AgencyFactory(
        programs=[person.program],
        name=hostile(200),
        phone=hostile(40),
        city=hostile(100),
    )
    service = ServiceFactory(
        agency=agency,
        name=hostile(200),
        city=hostile(100),
        phone=hostile(40),
        capacity_note=hostile(200),
    )
    referral = referral_create(
        by=by,
        data=ReferralData(
            person=person,
            service=service,
            encounter=encounter,
            reason=hostile_text(),
            urgency="emergency",
            consent_override_reason=hostile(300),
        ),
        send=True,
    )
    referral_note_add(by=by, referral=referral, text=hostile_text())
    return referral


# --- reading what came out ---------------------------------------------------

URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "hx-get",
    "hx-post",
    "hx-put",
    "hx-patch",
    "hx-delete",
}


class _Elements(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "script" and not names.get("src"):
            self.problems.append(f"inline <script> {attrs}")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if (
                name in URL_ATTRIBUTES
                and value
                and "".join(value.split()).lower().startswith("javascript:")
            ):
                self.problems.append(f"<{tag} {name}={value!r}>")

    handle_startendtag = handle_starttag


def injection_problems(body: str) -> list[str]:
    """What in an HTML answer shows that a payload became markup: the raw
    payload, an inline script, an event-handler attribute, a javascript: link."""
    problems = [f"raw {m!r}" for m in MARKUP if m in body]
    parser = _Elements()
    parser.feed(body)
    parser.close()
    return problems + parser.problems


def hostile_service(world: World):
    """The directory's rows for the sweeps (issue 9): an agency of the
    world's program and a service, every text field a payload. Made on
    first use, so the world itself stays the people's."""
    from referrals.models import Service
    from tests.referrals.factories import ServiceFactory, partner_of

    service = Service.objects.filter(agency__slug="hostile-agency").first()
    if service is None:
        agency = partner_of(
            world.program,
            slug="hostile-agency",
            name=hostile(200),
            description=hostile_text(),
            phone=hostile(40),
            city=hostile(100),
            street_address=hostile(200),
        )
        service = ServiceFactory(
            agency=agency,
            name=hostile(200),
            description=hostile_text(),
            eligibility=hostile_text(),
            hours=hostile_text(),
            phone=hostile(40),
            city=hostile(100),
            capacity_note=hostile(200),
            languages=[hostile(50)],
        )
    return service
