"""The page and the API give the same class of answer to every (role, object,
action): out of the user's scope → 404 from both; in scope but not for the
role → 403 from both, the page saying why; allowed → success from both;
signed out → the sign-in (page) / 401 (API). DESIGN.md, "Architecture":
access is decided once (``<entity>_access`` in the entity's selectors) and
its answer mapped once (navigator.views / navigator.api.errors).

Generated: every row of ``ROWS`` runs for every role of ``ROLES``, each door
on an object of its own (a write through one door must not change what the
other finds). The expected class comes from the row's rule, so a view that
re-checks a role with another status fails here, and so does a door that
lets through what the other refuses.

Extending: a new page or API action is one ``Row`` (its object maker, who
may, its page door and its API door). Familiar faces follow the same
pattern (tests/cases/test_familiar_access.py has their other actions).
"""

from __future__ import annotations

import datetime
import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from cases import services as case_services
from cases.familiar import evaluation
from cases.models import (
    Consent,
    Encounter,
    FamiliarFaceFlag,
    FamiliarFacesRule,
    Person,
)
from followups import services as followup_services
from followups.models import Followup
from navigator.models import Membership, Program, Role, User
from referrals.models import Agency, Referral
from tests.factories import EncounterFactory, PersonFactory, ProgramFactory, member
from tests.referrals.factories import ConsentFactory, partner_of, referral_for

Answer = Literal["ok", "not_found", "denied", "login"]

ROLES = (
    "navigator",
    "caseworker",
    "manager",
    "admin",
    "partner",
    "other_program_manager",
    "anonymous",
)
STAFF = frozenset({"navigator", "caseworker", "manager"})
MANAGERS = frozenset({"manager"})
# Members of the program without a staff role (admins configure, partners
# see only what is referred to them) and staff of another program: the
# program's records are out of their scope.
OUTSIDERS = frozenset({"admin", "partner", "other_program_manager"})


@dataclass
class World:
    program: Program
    users: dict[str, User]

    @property
    def navigator(self) -> User:
        return self.users["navigator"]

    @property
    def manager(self) -> User:
        return self.users["manager"]


@pytest.fixture
def world(db) -> World:
    program = ProgramFactory(slug="agree")
    other = ProgramFactory(slug="agree-other")
    users = {
        "navigator": member(program, Role.NAVIGATOR),
        "caseworker": member(program, Role.CASEWORKER),
        "manager": member(program, Role.PROGRAM_MANAGER),
        "admin": member(program, Role.ADMIN),
        "partner": member(program, Role.PARTNER),
        # A manager elsewhere: passes any "is a manager" check that forgets
        # the program.
        "other_program_manager": member(other, Role.PROGRAM_MANAGER),
    }
    Membership.objects.create(
        user=users["other_program_manager"], program=other, role=Role.NAVIGATOR
    )
    FamiliarFacesRule.objects.create(
        program=program, name="3 in 30 days", min_encounters=3, window_days=30
    )
    return World(program=program, users=users)


# --- the objects acted on (a fresh one for each door) -------------------------


def a_person(w: World) -> Person:
    return PersonFactory(program=w.program)


def a_deleted_person(w: World) -> Person:
    person = a_person(w)
    case_services.person_soft_delete(by=w.manager, person=person, reason="dup")
    return person


def a_contact(w: World):
    return case_services.family_contact_add(
        by=w.navigator,
        person=a_person(w),
        data={"name": "Rosa Ruiz", "relationship": "mother", "may_contact": True},
    )


def an_encounter(w: World) -> Encounter:
    encounter = EncounterFactory(person=a_person(w), created_by=w.navigator)
    encounter.navigators.add(w.navigator)
    return encounter


def an_unidentified_encounter(w: World) -> tuple[Encounter, Person]:
    encounter = EncounterFactory(
        person=None,
        program=w.program,
        created_by=w.navigator,
        unidentified_description="Man in a red coat",
    )
    return encounter, a_person(w)


def a_deleted_encounter(w: World) -> Encounter:
    encounter = an_encounter(w)
    case_services.encounter_soft_delete(by=w.manager, encounter=encounter, reason="x")
    return encounter


def a_followup(w: World) -> Followup:
    return followup_services.followup_schedule(
        by=w.navigator,
        person=a_person(w),
        due_at=timezone.now() + datetime.timedelta(days=1),
        method="phone",
    )


def a_flag(w: World) -> FamiliarFaceFlag:
    person = a_person(w)
    now = timezone.now()
    for day in range(4):
        EncounterFactory(person=person, started_at=now - datetime.timedelta(days=day))
    evaluation.evaluate_program(w.program)
    return FamiliarFaceFlag.objects.get(person=person, status="active")


def nothing(w: World) -> None:
    return None


# Issue 9: referrals, consents, the directory.
def an_agency(w: World) -> Agency:
    return partner_of(w.program)


def a_referral(w: World) -> Referral:
    return referral_for(a_person(w), an_agency(w), by=w.navigator)


def a_consent(w: World) -> Consent:
    return ConsentFactory(person=a_person(w), agency=an_agency(w))


def consent_person(consent: Any) -> int:
    return consent.person_id


# --- the doors ---------------------------------------------------------------


@dataclass(frozen=True)
class Door:
    method: Literal["get", "post", "patch", "delete"]
    url: Callable[[Any], str]
    data: Callable[[Any, World], dict[str, Any]] | None = None


def get(url: Callable[[Any], str]) -> Door:
    return Door("get", url)


def post(url: Callable[[Any], str], data: Callable[[Any, World], dict]) -> Door:
    return Door("post", url, data)


def u(name: str, *args: Callable[[Any], Any]) -> Callable[[Any], str]:
    return lambda obj: reverse(name, args=[arg(obj) for arg in args])


def pk(obj: Any) -> int:
    return obj.pk


def contact_person(contact: Any) -> int:
    return contact.person_id


def first_pk(pair: tuple[Any, Any]) -> int:
    return pair[0].pk


def always(data: dict[str, Any]) -> Callable[[Any, World], dict[str, Any]]:
    return lambda obj, w: data


@dataclass(frozen=True)
class Row:
    entity: str
    action: str
    make: Callable[[World], Any]
    may: frozenset[str]  # roles that succeed
    page: Door | None
    api: Door | None
    # For lists: what the roles outside ``may`` get (a list shows what is
    # theirs: nothing, not an error).
    others: Answer | None = None
    # Roles whose answer the rules above do not give (see the row).
    special: tuple[tuple[str, Answer], ...] = ()

    def expected(self, role: str) -> Answer:
        if role == "anonymous":
            return "login"
        if role in dict(self.special):
            return dict(self.special)[role]
        if role in self.may:
            return "ok"
        if self.others is not None:
            return self.others
        if role in OUTSIDERS:
            return "not_found"
        return "denied"

    @property
    def id(self) -> str:
        return f"{self.entity}-{self.action}"


ROWS: list[Row] = [
    # People
    Row(
        "person",
        "view",
        a_person,
        STAFF,
        get(u("person-detail", pk)),
        get(u("api-person-detail", pk)),
    ),
    Row(
        "person",
        "list",
        nothing,
        STAFF,
        get(lambda _: reverse("person-list")),
        get(lambda _: reverse("api-person-list")),
        others="ok",
    ),
    Row(
        "person",
        "edit",
        a_person,
        STAFF,
        get(u("person-edit", pk)),
        Door("patch", u("api-person-detail", pk), always({"first_name": "Renamed"})),
    ),
    Row(
        "person",
        "delete",
        a_person,
        STAFF,
        post(u("person-delete", pk), always({"reason": "duplicate"})),
        Door("delete", u("api-person-detail", pk), always({"reason": "duplicate"})),
    ),
    Row(
        "person",
        "restore",
        a_deleted_person,
        MANAGERS,
        post(u("person-restore", pk), always({"reason": ""})),
        post(u("api-person-restore", pk), always({})),
    ),
    Row("person", "audit", a_person, MANAGERS, get(u("person-audit", pk)), None),
    Row(
        "person",
        "deleted-list",
        nothing,
        MANAGERS | {"other_program_manager"},
        get(lambda _: reverse("person-deleted-list")),
        None,
        # Not an object: refused for the role, whoever asks.
        others="denied",
    ),
    # Family contacts
    Row(
        "contact",
        "view",
        a_contact,
        STAFF,
        None,
        get(u("api-contact-detail", contact_person, pk)),
    ),
    Row(
        "contact",
        "add",
        a_person,
        STAFF,
        get(u("family-contact-add", pk)),
        post(
            u("api-contact-list", pk),
            always({"name": "Rosa Ruiz", "relationship": "mother"}),
        ),
    ),
    Row(
        "contact",
        "edit",
        a_contact,
        STAFF,
        get(u("family-contact-edit", contact_person, pk)),
        Door(
            "patch",
            u("api-contact-detail", contact_person, pk),
            always({"name": "Rosa M. Ruiz"}),
        ),
    ),
    Row(
        "contact",
        "remove",
        a_contact,
        STAFF,
        post(
            u("family-contact-remove", contact_person, pk),
            always({"reason": "Moved away"}),
        ),
        Door(
            "delete",
            u("api-contact-detail", contact_person, pk),
            always({"reason": "Moved away"}),
        ),
    ),
    # Encounters
    Row(
        "encounter",
        "view",
        an_encounter,
        STAFF,
        get(u("encounter-detail", pk)),
        get(u("api-encounter-detail", pk)),
    ),
    Row(
        "encounter",
        "edit",
        an_encounter,
        STAFF,
        get(u("encounter-edit", pk)),
        Door(
            "patch", u("api-encounter-detail", pk), always({"narrative": "Rewritten."})
        ),
    ),
    Row(
        "encounter",
        "link",
        an_unidentified_encounter,
        STAFF,
        post(u("encounter-link", first_pk), lambda pair, w: {"person": pair[1].pk}),
        Door(
            "patch",
            u("api-encounter-detail", first_pk),
            lambda pair, w: {"person": pair[1].pk},
        ),
    ),
    Row(
        "encounter",
        "delete",
        an_encounter,
        STAFF,
        post(u("encounter-delete", pk), always({"reason": "duplicate"})),
        Door("delete", u("api-encounter-detail", pk), always({"reason": "duplicate"})),
    ),
    Row(
        "encounter",
        "restore",
        a_deleted_encounter,
        MANAGERS,
        post(u("encounter-restore", pk), always({"reason": ""})),
        post(u("api-encounter-restore", pk), always({})),
    ),
    Row(
        "encounter",
        "managers-list",
        nothing,
        MANAGERS | {"other_program_manager"},
        get(lambda _: reverse("encounter-list")),
        None,
        others="denied",
    ),
    # Follow-ups
    Row(
        "followup",
        "view",
        a_followup,
        STAFF,
        get(u("followup-detail", pk)),
        get(u("api-followup-detail", pk)),
    ),
    Row(
        "followup",
        "list",
        nothing,
        STAFF,
        get(lambda _: reverse("followup-list")),
        get(lambda _: reverse("api-followup-list")),
        others="ok",
    ),
    Row(
        "followup",
        "complete",
        a_followup,
        STAFF,
        post(
            u("followup-complete", pk),
            always({"complete-outcome": "reached", "complete-notes": ""}),
        ),
        post(u("api-followup-complete", pk), always({"outcome": "reached"})),
    ),
    Row(
        "followup",
        "missed",
        a_followup,
        STAFF,
        post(u("followup-missed", pk), always({"missed-notes": ""})),
        post(u("api-followup-missed", pk), always({})),
    ),
    Row(
        "followup",
        "cancel",
        a_followup,
        STAFF,
        post(u("followup-cancel", pk), always({"cancel-reason": "no longer needed"})),
        post(u("api-followup-cancel", pk), always({"reason": "no longer needed"})),
    ),
    Row(
        "followup",
        "reassign",
        a_followup,
        STAFF,
        post(
            u("followup-reassign", pk),
            lambda f, w: {"reassign-assigned_to": w.manager.pk},
        ),
        Door(
            "patch",
            u("api-followup-detail", pk),
            lambda f, w: {"assigned_to": w.manager.pk},
        ),
    ),
    Row(
        "delivery",
        "list",
        nothing,
        MANAGERS | {"other_program_manager"},
        get(lambda _: reverse("followup-deliveries")),
        get(lambda _: reverse("api-delivery-list")),
        others="denied",
    ),
    Row(
        "followup",
        "overdue-list",
        nothing,
        MANAGERS | {"other_program_manager"},
        get(lambda _: reverse("followup-overdue")),
        None,
        others="denied",
    ),
    Row(
        "followup-settings",
        "edit",
        lambda w: w.program,
        MANAGERS,
        get(lambda p: f"{reverse('followup-settings')}?program={p.pk}"),
        None,
        # A managers' page: whoever manages no program is refused the page
        # itself (403); a manager elsewhere asking for this program is out of
        # its scope (404).
        special=(("admin", "denied"), ("partner", "denied")),
    ),
    # Referral sweeps' settings page (issue 9): as the reminder settings.
    Row(
        "referral-settings",
        "edit",
        lambda w: w.program,
        MANAGERS,
        get(lambda p: f"{reverse('referral-settings')}?program={p.pk}"),
        None,
        special=(("admin", "denied"), ("partner", "denied")),
    ),
    Row(
        "notification-preferences",
        "edit",
        nothing,
        STAFF | {"other_program_manager"},
        get(lambda _: reverse("followup-preferences")),
        None,
        others="denied",
    ),
    # Referrals (issue 9): any staff of the sending program, every door;
    # the agency's moves are recorded on its behalf.
    Row(
        "referral",
        "view",
        a_referral,
        STAFF,
        get(u("referral-detail", pk)),
        get(u("api-referral-detail", pk)),
    ),
    Row(
        "referral",
        "list",
        nothing,
        STAFF,
        get(lambda _: reverse("referral-board")),
        get(lambda _: reverse("api-referral-list")),
        others="ok",
    ),
    Row(
        "referral",
        "accept",
        a_referral,
        STAFF,
        post(u("referral-move", pk), always({"action": "accept"})),
        post(u("api-referral-accept", pk), always({})),
    ),
    Row(
        "referral",
        "cancel",
        a_referral,
        STAFF,
        post(
            u("referral-move", pk),
            always({"action": "cancel", "reason_code": "duplicate"}),
        ),
        post(u("api-referral-cancel", pk), always({"reason_code": "duplicate"})),
    ),
    Row(
        "referral",
        "note",
        a_referral,
        STAFF,
        post(u("referral-note-add", pk), always({"text": "Called intake"})),
        post(u("api-referral-notes", pk), always({"text": "Called intake"})),
    ),
    # Consents (issue 9): part of the person's record.
    Row(
        "consent",
        "view",
        a_consent,
        STAFF,
        get(u("consent-detail", pk)),
        get(u("api-consent-detail", pk)),
    ),
    Row(
        "consent",
        "list",
        a_consent,
        STAFF,
        get(u("consent-list", consent_person)),
        get(u("api-consent-list", consent_person)),
    ),
    Row(
        "consent",
        "revoke",
        a_consent,
        STAFF,
        post(u("consent-revoke", pk), always({"method": "written"})),
        post(u("api-consent-revoke", pk), always({"method": "written"})),
    ),
    # The directory (issue 9): the program's staff search it; admins keep it.
    Row(
        "agency",
        "view",
        an_agency,
        STAFF | {"admin"},
        get(u("directory:agency-detail", pk)),
        get(u("api-agency-detail", pk)),
    ),
    # Familiar faces
    Row(
        "familiar-face",
        "dismiss",
        a_flag,
        MANAGERS,
        post(u("familiar:dismiss", pk), always({"reason": "Known to us"})),
        post(u("api-familiar-face-dismiss", pk), always({"reason": "Known to us"})),
    ),
    Row(
        "familiar-face",
        "enroll",
        a_flag,
        MANAGERS,
        post(
            u("familiar:enroll", pk),
            lambda f, w: {"navigator": w.navigator.pk, "plan": ""},
        ),
        post(
            u("api-familiar-face-enroll", pk),
            lambda f, w: {"navigator": w.navigator.pk, "plan": ""},
        ),
    ),
]


# --- asking and classifying --------------------------------------------------


def _page_answer(response, door: Door) -> Answer | str:
    if response.status_code == 302 and response.url.startswith(reverse("login")):
        return "login"
    if response.status_code == 404:
        return "not_found"
    if response.status_code == 403:
        return "denied"
    # A page shows its form (GET) and redirects after a write (POST); a POST
    # answered 200 re-rendered the form with an error.
    if door.method == "get" and response.status_code == 200:
        return "ok"
    if door.method != "get" and response.status_code == 302:
        return "ok"
    return f"page {door.method.upper()} answered {response.status_code}"


def _api_answer(response) -> Answer | str:
    if response.status_code == 401:
        return "login"
    if response.status_code == 404:
        return "not_found"
    if response.status_code == 403:
        body = response.json()
        if body.get("code") == "not_authenticated":
            return "login"
        return "denied"
    if 200 <= response.status_code < 300:
        return "ok"
    return f"API answered {response.status_code}: {response.content[:200]!r}"


def _ask_page(user: User | None, door: Door, obj: Any, w: World):
    client = Client()
    if user is not None:
        client.force_login(user)
    data = door.data(obj, w) if door.data else None
    return getattr(client, door.method)(door.url(obj), data)


def _ask_api(user: User | None, door: Door, obj: Any, w: World):
    client = APIClient()
    if user is not None:
        client.force_login(user)
    data = door.data(obj, w) if door.data else None
    return getattr(client, door.method)(door.url(obj), data, format="json")


def _params():
    for row in ROWS:
        for role in ROLES:
            yield pytest.param(row, role, id=f"{row.id}-{role}")


@pytest.mark.parametrize(("row", "role"), list(_params()))
def test_page_and_api_agree(world: World, row: Row, role: str) -> None:
    user = world.users.get(role)
    expected = row.expected(role)
    answers: dict[str, Answer | str] = {}
    page = api = None
    if row.page is not None:
        page = _ask_page(user, row.page, row.make(world), world)
        answers["page"] = _page_answer(page, row.page)
    if row.api is not None:
        api = _ask_api(user, row.api, row.make(world), world)
        answers["api"] = _api_answer(api)
    assert answers == dict.fromkeys(answers, expected), (
        f"{role} → {row.entity} {row.action}: expected {expected} from every door"
    )
    if expected == "denied" and page is not None:
        # On the page "a clear message": the reason the API gives, or the
        # access function's own words when the action has no API door.
        text = html.unescape(page.content.decode())
        assert "Not allowed" in text
        if api is not None:
            assert api.json()["detail"] in text
        else:
            assert "manager" in text or "staff" in text
