"""The staff referral API: wiring, every error with its status and field,
scoping across programs for every endpoint and verb, filters, idempotency.

The rules themselves are tested on the services (test_transitions.py); here
each is checked to reach the client as the one error shape.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from cases.models import InfoClass
from navigator.models import AuditEvent, Role
from referrals.models import AgencyMember, Referral, ReferralNote, ReferralStatus
from tests.factories import (
    EncounterFactory,
    PersonFactory,
    UserFactory,
    member,
    token_client,
)
from tests.referrals.factories import (
    AgencyFactory,
    ConsentFactory,
    ServiceFactory,
    partner_of,
    referral_for,
)

pytestmark = pytest.mark.django_db

S = ReferralStatus
URL = "/api/v1/referrals/"


@pytest.fixture
def api(navigator_a):
    return token_client(navigator_a)


@pytest.fixture
def person(program_a):
    return PersonFactory(program=program_a, first_name="Rae", last_name="Okafor")


@pytest.fixture
def agency(program_a):
    return partner_of(program_a, name="Harbor Clinic", slug="harbor")


@pytest.fixture
def service(agency):
    return ServiceFactory(agency=agency, name="Walk-in intake")


@pytest.fixture
def consent(person, agency):
    return ConsentFactory(person=person, agency=agency)


def body(person, service, **extra: Any) -> dict[str, Any]:
    return {
        "person": person.pk,
        "service": service.pk,
        "reason": "Needs a crisis bed tonight",
        **extra,
    }


def error(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.content[:500]
    payload = response.json()
    assert set(payload) == {"detail", "code", "fields"}, payload
    if field is not None:
        assert field in payload["fields"], payload
    return payload


def stored() -> tuple[int, int]:
    return Referral.objects.count(), AuditEvent.objects.filter(
        object_type="referrals.referral"
    ).count()


# --- wiring ---------------------------------------------------------------------


def test_create_a_draft_and_read_it(api, navigator_a, person, agency, service):
    response = api.post(URL, body(person, service), format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["status"] == "draft"
    assert created["agency"] == {"id": agency.pk, "slug": "harbor", "name": agency.name}
    assert created["service"] == {"id": service.pk, "name": "Walk-in intake"}
    assert (created["person"], created["person_display_name"]) == (
        person.pk,
        "Rae Okafor",
    )
    assert created["consent"] is None and created["consent_override"] is None
    assert created["assigned_to"] == navigator_a.pk
    assert created["history"] == [] and created["notes_count"] == 0
    assert created["actions"] == ["request", "enter-in-error"]
    assert created["info_classes"] == ["general"]
    detail = api.get(f"{URL}{created['id']}/").json()
    assert detail == created


def test_create_and_send_relies_on_the_consent(api, person, service, consent):
    response = api.post(URL, body(person, service, send=True), format="json")
    assert response.status_code == 201, response.content
    sent = response.json()
    assert sent["status"] == "requested"
    assert sent["consent"]["id"] == consent.pk
    assert "Harbor Clinic" in sent["consent"]["summary"]
    assert [(h["from_status"], h["to_status"]) for h in sent["history"]] == [
        ("draft", "requested")
    ]


def test_the_list_item_is_a_summary(api, person, service, consent):
    api.post(URL, body(person, service, send=True), format="json")
    (item,) = api.get(URL).json()["results"]
    assert item["status"] == "requested"
    # The need, the history and the notes are the detail's (kind "referral").
    assert not {"reason", "history", "consent", "notes_count"} & set(item)


def test_the_whole_loop_through_the_actions(api, navigator_a, person, service, consent):
    rid = api.post(URL, body(person, service, send=True), format="json").json()["id"]
    steps = [
        ("accept", {"note": "Bed 4 held"}),
        ("start", {}),
        ("hold", {"note": "In hospital"}),
        ("resume", {}),
        ("complete", {"outcome": "connected", "note": "Admitted"}),
    ]
    for action, data in steps:
        response = api.post(f"{URL}{rid}/{action}/", data, format="json")
        assert response.status_code == 200, (action, response.content)
    done = response.json()
    assert (done["status"], done["outcome"]) == ("completed", "connected")
    assert done["outcome_note"] == "Admitted"
    assert done["actions"] == []
    history = done["history"]
    assert [h["to_status"] for h in history] == [
        "requested",
        "accepted",
        "in-progress",
        "on-hold",
        "in-progress",
        "completed",
    ]
    # Staff recorded the agency's answers on its behalf; the send is theirs.
    assert [h["on_behalf_of_agency"] for h in history] == [False] + [True] * 5
    assert {h["by"] for h in history} == {navigator_a.pk}
    assert history[1]["note"] == "Bed 4 held"
    assert all(h["at"] for h in history)


@pytest.mark.parametrize(
    "status, action, data, to",
    [
        (S.DRAFT, "request", {}, S.REQUESTED),
        (S.DRAFT, "enter-in-error", {"note": "Wrong person"}, S.ENTERED_IN_ERROR),
        (S.REQUESTED, "accept", {}, S.ACCEPTED),
        (
            S.REQUESTED,
            "reject",
            {"reason_code": "no_capacity", "declined_by": "agency"},
            S.REJECTED,
        ),
        (S.REQUESTED, "cancel", {"reason_code": "duplicate"}, S.CANCELLED),
        (S.REQUESTED, "enter-in-error", {}, S.ENTERED_IN_ERROR),
        (S.ACCEPTED, "start", {}, S.IN_PROGRESS),
        (S.ACCEPTED, "cancel", {"reason_code": "person_declined"}, S.CANCELLED),
        (S.IN_PROGRESS, "hold", {}, S.ON_HOLD),
        (S.IN_PROGRESS, "complete", {"outcome": "not_eligible"}, S.COMPLETED),
        (S.IN_PROGRESS, "cancel", {"reason_code": "could_not_contact"}, S.CANCELLED),
        (S.ON_HOLD, "resume", {}, S.IN_PROGRESS),
    ],
)
def test_each_action(
    api, navigator_a, person, agency, consent, status, action, data, to
):
    referral = referral_for(person, agency, by=navigator_a, status=status)
    response = api.post(f"{URL}{referral.pk}/{action}/", data, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == to
    referral.refresh_from_db()
    assert referral.status == to


def test_a_move_can_schedule_a_followup(api, navigator_a, person, agency, program_a):
    from followups.models import Followup

    referral = referral_for(person, agency, by=navigator_a, status=S.REQUESTED)
    day = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    response = api.post(
        f"{URL}{referral.pk}/accept/",
        {"followup_due_at": f"{day}T10:00"},
        format="json",
    )
    assert response.status_code == 200, response.content
    followup = Followup.objects.get(person=person)
    # Without an offset: the wall clock of the referral's program.
    assert timezone.localtime(followup.due_at, program_a.tz).hour == 10


def test_a_bad_followup_time_names_the_field_sent(api, navigator_a, person, agency):
    referral = referral_for(person, agency, by=navigator_a, status=S.REQUESTED)
    response = api.post(
        f"{URL}{referral.pk}/accept/",
        {"followup_due_at": "2099-01-05T10:00"},
        format="json",
    )
    error(response, 400, "followup_due_at")
    referral.refresh_from_db()
    assert referral.status == S.REQUESTED


def test_notes(api, navigator_a, person, agency):
    referral = referral_for(person, agency, by=navigator_a, status=S.REQUESTED)
    path = f"{URL}{referral.pk}/notes/"
    response = api.post(path, {"text": "Left a message"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["author"] == navigator_a.pk
    assert response.json()["by_agency"] is False
    error(api.post(path, {"text": "  "}, format="json"), 400, "text")
    error(api.post(path, {"body": "x"}, format="json"), 400, "body")
    listed = api.get(path).json()
    assert [n["text"] for n in listed["results"]] == ["Left a message"]
    assert api.get(f"{URL}{referral.pk}/").json()["notes_count"] == 1


def test_patch_the_editable_fields(api, navigator_a, person, agency, program_a):
    colleague = member(program_a, Role.CASEWORKER)
    referral = referral_for(person, agency, by=navigator_a, status=S.REQUESTED)
    later = (timezone.localdate() + datetime.timedelta(days=5)).isoformat()
    response = api.patch(
        f"{URL}{referral.pk}/",
        {
            "reason": "A bed, and food",
            "urgency": "urgent",
            "respond_by": later,
            "assigned_to": colleague.pk,
            "is_involuntary": True,
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    changed = response.json()
    assert (changed["reason"], changed["urgency"], changed["respond_by"]) == (
        "A bed, and food",
        "urgent",
        later,
    )
    assert (changed["assigned_to"], changed["is_involuntary"]) == (colleague.pk, True)


@pytest.mark.parametrize(
    "field, value",
    [
        ("status", "completed"),
        ("outcome", "connected"),
        ("agency", 1),
        ("service", 1),
        ("person", 1),
        ("encounter", None),
        ("info_classes", ["general"]),
        ("consent", 1),
        ("consent_override_reason", "now"),
        ("declined_by", "agency"),
        ("id", 5),
        ("whatever", 1),
    ],
)
def test_patch_of_a_field_that_may_not_change_names_it(
    api, navigator_a, person, agency, field, value
):
    referral = referral_for(person, agency, by=navigator_a, status=S.REQUESTED)
    before = stored()
    response = api.patch(
        f"{URL}{referral.pk}/", {field: value, "reason": "x"}, format="json"
    )
    error(response, 400, field)
    assert stored() == before
    referral.refresh_from_db()
    assert referral.reason == "Needs an intake appointment"


@pytest.mark.parametrize(
    "data, field",
    [
        ({"respond_by": "2001-01-01"}, "respond_by"),
        ({"urgency": "soonish"}, "urgency"),
        ({"reason": ""}, "reason"),
        ({"assigned_to": 999_999}, "assigned_to"),
        ({"is_involuntary": "yes"}, "is_involuntary"),
    ],
)
def test_patch_bad_values(api, navigator_a, person, agency, data, field):
    referral = referral_for(person, agency, by=navigator_a, status=S.REQUESTED)
    before = stored()
    error(api.patch(f"{URL}{referral.pk}/", data, format="json"), 400, field)
    assert stored() == before


def test_patch_assignee_of_another_program(
    api, navigator_a, navigator_b, person, agency
):
    referral = referral_for(person, agency, by=navigator_a, status=S.REQUESTED)
    response = api.patch(
        f"{URL}{referral.pk}/", {"assigned_to": navigator_b.pk}, format="json"
    )
    error(response, 400, "assigned_to")


def test_patch_a_closed_referral_is_a_409(api, navigator_a, person, agency):
    referral = referral_for(person, agency, by=navigator_a, status=S.COMPLETED)
    error(api.patch(f"{URL}{referral.pk}/", {"reason": "x"}, format="json"), 409)


# --- errors of the moves -----------------------------------------------------------


def test_an_illegal_move_is_a_409_naming_the_allowed_ones(
    api, navigator_a, person, agency
):
    referral = referral_for(person, agency, by=navigator_a, status=S.DRAFT)
    payload = error(api.post(f"{URL}{referral.pk}/accept/", {}, format="json"), 409)
    assert payload["code"] == "invalid_transition"
    assert "entered-in-error, requested" in payload["detail"]
    assert "status" in payload["fields"]
    referral.refresh_from_db()
    assert referral.status == S.DRAFT


def test_a_closed_referral_allows_nothing(api, navigator_a, person, agency):
    referral = referral_for(person, agency, by=navigator_a, status=S.COMPLETED)
    payload = error(
        api.post(
            f"{URL}{referral.pk}/cancel/", {"reason_code": "duplicate"}, format="json"
        ),
        409,
    )
    assert "none (it is closed)" in payload["detail"]


@pytest.mark.parametrize("action", ["reject", "cancel"])
def test_a_move_without_its_reason_is_a_400_on_reason_code(
    api, navigator_a, person, agency, action
):
    referral = referral_for(person, agency, by=navigator_a, status=S.REQUESTED)
    payload = error(
        api.post(f"{URL}{referral.pk}/{action}/", {}, format="json"), 400, "reason_code"
    )
    assert payload["code"] == "required"
    error(
        api.post(
            f"{URL}{referral.pk}/{action}/", {"reason_code": "other"}, format="json"
        ),
        400,
        "note",
    )
    error(
        api.post(
            f"{URL}{referral.pk}/{action}/", {"reason_code": "bored"}, format="json"
        ),
        400,
        "reason_code",
    )
    referral.refresh_from_db()
    assert referral.status == S.REQUESTED


def test_complete_without_an_outcome_is_a_400_on_outcome(
    api, navigator_a, person, agency
):
    referral = referral_for(person, agency, by=navigator_a, status=S.IN_PROGRESS)
    error(api.post(f"{URL}{referral.pk}/complete/", {}, format="json"), 400, "outcome")


@pytest.mark.parametrize(
    "action, data, field",
    [
        ("accept", {"outcome": "connected"}, "outcome"),
        ("accept", {"note": 5}, "note"),
        ("reject", {"reason_code": 1}, "reason_code"),
        ("accept", {"followup_due_at": "tomorrow"}, "followup_due_at"),
    ],
)
def test_a_move_with_a_field_it_does_not_take(
    api, navigator_a, person, agency, action, data, field
):
    referral = referral_for(person, agency, by=navigator_a, status=S.REQUESTED)
    error(api.post(f"{URL}{referral.pk}/{action}/", data, format="json"), 400, field)


def test_no_consent_is_a_409_naming_consent(api, navigator_a, person, agency):
    referral = referral_for(person, agency, by=navigator_a, status=S.DRAFT)
    payload = error(
        api.post(f"{URL}{referral.pk}/request/", {}, format="json"), 409, "consent"
    )
    assert payload["code"] == "consent_required"
    referral.refresh_from_db()
    assert referral.status == S.DRAFT


def test_create_and_send_without_consent_stores_nothing(api, person, service):
    before = stored()
    payload = error(
        api.post(URL, body(person, service, send=True), format="json"), 409, "consent"
    )
    assert payload["code"] == "consent_required"
    assert stored() == before


def test_an_emergency_override_through_the_api(api, navigator_a, person, service):
    response = api.post(
        URL,
        body(
            person,
            service,
            send=True,
            urgency="emergency",
            consent_override_reason="Unconscious; overdose suspected",
        ),
        format="json",
    )
    assert response.status_code == 201, response.content
    sent = response.json()
    assert sent["status"] == "requested" and sent["consent"] is None
    assert sent["consent_override"]["reason"] == "Unconscious; overdose suspected"
    assert sent["consent_override"]["by"] == navigator_a.pk


def test_an_override_of_a_routine_referral_is_a_400(api, person, service):
    before = stored()
    response = api.post(
        URL,
        body(person, service, send=True, consent_override_reason="Hurry"),
        format="json",
    )
    error(response, 400, "consent_override_reason")
    assert stored() == before


# --- bad input on create: 400 naming the field, nothing stored ---------------------


BAD_CREATES = [
    ("unknown agency", lambda c: {"service": None, "agency": 999_999}, "agency"),
    (
        "another program's agency",
        lambda c: {"service": None, "agency": partner_of(c["program_b"]).pk},
        "agency",
    ),
    (
        "an agency of no program",
        lambda c: {"service": None, "agency": AgencyFactory().pk},
        "agency",
    ),
    (
        "an inactive partner",
        lambda c: {
            "service": None,
            "agency": partner_of(c["program_a"], is_active=False).pk,
        },
        "agency",
    ),
    ("unknown service", lambda c: {"service": 999_999}, "service"),
    (
        "a service of another agency",
        lambda c: {"agency": partner_of(c["program_a"]).pk},
        "service",
    ),
    (
        "a service of another program's agency",
        lambda c: {"service": ServiceFactory(agency=partner_of(c["program_b"])).pk},
        "service",
    ),
    ("no agency at all", lambda c: {"service": None}, "agency"),
    (
        "a person of another program",
        lambda c: {"person": PersonFactory(program=c["program_b"]).pk},
        "person",
    ),
    ("an unknown person", lambda c: {"person": 999_999}, "person"),
    (
        "an encounter of another program",
        lambda c: {"encounter": EncounterFactory(person__program=c["program_b"]).pk},
        "encounter",
    ),
    (
        "an encounter of another person",
        lambda c: {"encounter": EncounterFactory(person__program=c["program_a"]).pk},
        "encounter",
    ),
    (
        "a consent of another person",
        lambda c: {
            "consent": ConsentFactory(person=PersonFactory(program=c["program_a"])).pk
        },
        "consent",
    ),
    (
        "a consent of another program's person",
        lambda c: {
            "consent": ConsentFactory(person=PersonFactory(program=c["program_b"])).pk
        },
        "consent",
    ),
    (
        "a respond-by date in the past",
        lambda c: {"respond_by": "2020-01-01"},
        "respond_by",
    ),
    (
        "a respond-by date yesterday",
        lambda c: {
            "respond_by": (
                timezone.localdate() - datetime.timedelta(days=2)
            ).isoformat()
        },
        "respond_by",
    ),
    ("an unknown urgency", lambda c: {"urgency": "asap"}, "urgency"),
    ("an unknown class", lambda c: {"info_classes": ["gossip"]}, "info_classes"),
    ("no class", lambda c: {"info_classes": []}, "info_classes"),
    ("no reason", lambda c: {"reason": "  "}, "reason"),
    (
        "an assignee of another program",
        lambda c: {"assigned_to": member(c["program_b"], Role.CASEWORKER).pk},
        "assigned_to",
    ),
    ("an unknown field", lambda c: {"priority": "high"}, "priority"),
    ("a read-only field", lambda c: {"status": "requested"}, "status"),
    ("send as a string", lambda c: {"send": "yes"}, "send"),
    ("a person id as a string", lambda c: {"person": "1"}, "person"),
    ("services in a single create", lambda c: {"services": [1]}, "services"),
]


@pytest.mark.parametrize(
    "change, field",
    [(c, f) for _, c, f in BAD_CREATES],
    ids=[n for n, _, _ in BAD_CREATES],
)
def test_bad_input_on_create(
    api, program_a, program_b, person, service, consent, change, field
):
    before = stored()
    data = body(person, service, send=True)
    data.update(change({"program_a": program_a, "program_b": program_b}))
    if data.get("service") is None:
        data.pop("service", None)
    error(api.post(URL, data, format="json"), 400, field)
    assert stored() == before


# --- a group ---------------------------------------------------------------------------


@pytest.fixture
def three(program_a, person):
    ConsentFactory(person=person, info_classes=[InfoClass.GENERAL])
    return [ServiceFactory(agency=partner_of(program_a)) for _ in range(4)]


def test_send_a_group_and_the_first_to_accept_wins(api, person, three):
    response = api.post(
        f"{URL}groups/",
        {"person": person.pk, "services": [s.pk for s in three[:3]], "reason": "Bed"},
        format="json",
    )
    assert response.status_code == 201, response.content
    sent = response.json()
    assert sent["group"] is not None
    assert [r["status"] for r in sent["referrals"]] == ["requested"] * 3
    assert {r["group"] for r in sent["referrals"]} == {sent["group"]}
    winner = sent["referrals"][1]["id"]
    assert api.post(f"{URL}{winner}/accept/", {}, format="json").status_code == 200
    statuses = {r["id"]: r["status"] for r in api.get(URL).json()["results"]}
    assert sorted(statuses.values()) == ["accepted", "cancelled", "cancelled"]
    loser = sent["referrals"][0]["id"]
    detail = api.get(f"{URL}{loser}/").json()
    assert detail["status_reason"] == "placed_elsewhere"
    assert detail["history"][-1]["by"] is None


@pytest.mark.parametrize(
    "pick, field",
    [
        (lambda s: [], "services"),
        (lambda s: [x.pk for x in s], "services"),  # four
        (lambda s: [s[0].pk, s[0].pk], "services"),
        (lambda s: [999_999], "services"),
    ],
    ids=["none", "four", "twice", "unknown"],
)
def test_a_bad_group_stores_nothing(api, person, three, pick, field):
    before = stored()
    response = api.post(
        f"{URL}groups/",
        {"person": person.pk, "services": pick(three), "reason": "Bed"},
        format="json",
    )
    error(response, 400, field)
    assert stored() == before


def test_a_group_without_consent_for_one_sends_none(api, program_a, person, three):
    uncovered = ServiceFactory(agency=partner_of(program_a))
    before = stored()
    # The general consent covers any partner, but not mental-health information.
    response = api.post(
        f"{URL}groups/",
        {
            "person": person.pk,
            "services": [three[0].pk, uncovered.pk],
            "reason": "Bed",
            "info_classes": ["general", "mental_health"],
        },
        format="json",
    )
    error(response, 409, "consent")
    assert stored() == before


# --- scoping: every endpoint and verb ------------------------------------------------


def _endpoints(rid: int) -> list[tuple[str, str, dict]]:
    moves = [
        ("request", {}),
        ("accept", {}),
        ("reject", {"reason_code": "not_eligible"}),
        ("start", {}),
        ("hold", {}),
        ("resume", {}),
        ("complete", {"outcome": "connected"}),
        ("cancel", {"reason_code": "duplicate"}),
        ("enter-in-error", {}),
    ]
    return [
        ("get", f"{URL}{rid}/", {}),
        ("patch", f"{URL}{rid}/", {"reason": "Taken over"}),
        ("get", f"{URL}{rid}/notes/", {}),
        ("post", f"{URL}{rid}/notes/", {"text": "Hello"}),
        *[("post", f"{URL}{rid}/{action}/", data) for action, data in moves],
    ]


OUTSIDERS = {
    "other program's staff": lambda a, b, agency: member(b, Role.PROGRAM_MANAGER),
    "administrator": lambda a, b, agency: member(a, Role.ADMIN),
    "superuser": lambda a, b, agency: UserFactory(is_superuser=True),
    "partner agency user": lambda a, b, agency: _partner(a, agency),
}


def _partner(program, agency):
    user = member(program, Role.PARTNER)
    AgencyMember.objects.create(user=user, agency=agency)
    return user


@pytest.mark.parametrize("who", list(OUTSIDERS))
@pytest.mark.parametrize("status", [S.DRAFT, S.REQUESTED, S.IN_PROGRESS, S.ON_HOLD])
def test_another_programs_referral_is_a_404_for_every_verb(
    program_a, program_b, navigator_a, person, agency, consent, who, status
):
    referral = referral_for(person, agency, by=navigator_a, status=status)
    outsider = token_client(OUTSIDERS[who](program_a, program_b, agency))
    before = (stored(), ReferralNote.objects.count())
    for method, path, data in _endpoints(referral.pk):
        response = getattr(outsider, method)(path, data, format="json")
        payload = error(response, 404)
        assert payload["code"] == "not_found", (method, path)
    assert outsider.get(URL).json()["results"] == []
    assert outsider.get(URL, {"person": person.pk}).json()["results"] == []
    assert (stored(), ReferralNote.objects.count()) == before
    referral.refresh_from_db()
    assert referral.status == status


def test_outsiders_cannot_create_for_the_programs_person(
    program_a, program_b, person, service, consent
):
    for make in OUTSIDERS.values():
        outsider = token_client(make(program_a, program_b, service.agency))
        before = stored()
        error(outsider.post(URL, body(person, service), format="json"), 400, "person")
        response = outsider.post(
            f"{URL}groups/",
            {"person": person.pk, "services": [service.pk], "reason": "x"},
            format="json",
        )
        error(response, 400, "person")
        assert stored() == before


def test_a_deleted_persons_referral_is_a_404(api, navigator_a, person, agency):
    referral = referral_for(person, agency, by=navigator_a, status=S.REQUESTED)
    person.deleted_at = timezone.now()
    person.save(update_fields=["deleted_at"])
    error(api.get(f"{URL}{referral.pk}/"), 404)
    assert api.get(URL).json()["results"] == []


def test_a_non_numeric_id_is_a_json_404(api):
    error(api.get(f"{URL}abc/"), 404)
    error(api.post(f"{URL}1/approve/", {}, format="json"), 404)


# --- filters -------------------------------------------------------------------


@pytest.fixture
def board(program_a, navigator_a, person, agency):
    colleague = member(program_a, Role.CASEWORKER)
    other_agency = partner_of(program_a)
    other_person = PersonFactory(program=program_a)
    # Two days back: past in every program's time zone, whatever the hour.
    yesterday = timezone.localdate() - datetime.timedelta(days=2)
    later = timezone.localdate() + datetime.timedelta(days=3)
    rows = {
        "overdue": referral_for(person, agency, by=navigator_a, respond_by=yesterday),
        "due later": referral_for(person, agency, by=navigator_a, respond_by=later),
        "accepted": referral_for(
            person,
            other_agency,
            by=navigator_a,
            status=S.ACCEPTED,
            respond_by=yesterday,
        ),
        "urgent": referral_for(
            other_person,
            agency,
            by=navigator_a,
            status=S.DRAFT,
            urgency="urgent",
            assigned_to=colleague,
        ),
        "no respond-by": referral_for(
            other_person, other_agency, by=navigator_a, respond_by=None
        ),
    }
    return {"rows": rows, "colleague": colleague, "other_agency": other_agency}


def _ids(api, **params) -> set[int]:
    response = api.get(URL, params)
    assert response.status_code == 200, response.content
    return {r["id"] for r in response.json()["results"]}


def _of(board, *names: str) -> set[int]:
    return {board["rows"][n].pk for n in names}


def test_filters(api, board, person, agency):
    assert _ids(api) == _of(board, *board["rows"])
    assert _ids(api, status="accepted") == _of(board, "accepted")
    assert _ids(api, status=["accepted", "draft"]) == _of(board, "accepted", "urgent")
    assert _ids(api, agency=agency.pk) == _of(board, "overdue", "due later", "urgent")
    assert _ids(api, urgency="urgent") == _of(board, "urgent")
    assert _ids(api, overdue="true") == _of(board, "overdue")
    assert _ids(api, overdue="false") == _of(
        board, "due later", "accepted", "urgent", "no respond-by"
    )
    assert _ids(api, assigned="me") == _of(
        board, "overdue", "due later", "accepted", "no respond-by"
    )
    assert _ids(api, assigned=board["colleague"].pk) == _of(board, "urgent")
    assert _ids(api, person=person.pk) == _of(board, "overdue", "due later", "accepted")
    assert _ids(api, person=person.pk, status="requested", overdue="true") == _of(
        board, "overdue"
    )


def test_the_list_says_what_is_overdue(api, board):
    rows = {r["id"]: r["is_overdue"] for r in api.get(URL).json()["results"]}
    assert {pk for pk, overdue in rows.items() if overdue} == _of(board, "overdue")


@pytest.mark.parametrize(
    "params, name",
    [
        ({"status": "lost"}, "status"),
        ({"urgency": "now"}, "urgency"),
        ({"overdue": "maybe"}, "overdue"),
        ({"assigned": "you"}, "assigned"),
        ({"assigned": "0"}, "assigned"),
        ({"assigned": "1.5"}, "assigned"),
        ({"agency": "harbor"}, "agency"),
        ({"person": "-1"}, "person"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(api, params, name):
    error(api.get(URL, params), 400, name)


def test_the_list_follows_its_cursor(api, navigator_a, person, agency, monkeypatch):
    from navigator.pagination import BoundedPaginator

    monkeypatch.setattr(BoundedPaginator, "count_limit", 3)
    rows = [referral_for(person, agency, by=navigator_a) for _ in range(5)]
    seen: list[int] = []
    page = api.get(URL, {"page_size": 2}).json()
    while True:
        seen += [r["id"] for r in page["results"]]
        if not page["next"]:
            break
        page = api.get(page["next"]).json()
    assert seen == [r.pk for r in sorted(rows, key=lambda r: r.pk, reverse=True)]


# --- idempotency -----------------------------------------------------------------


def test_a_retried_create_is_one_referral(api, person, service, consent):
    headers = {"HTTP_IDEMPOTENCY_KEY": "create-1"}
    first = api.post(URL, body(person, service, send=True), format="json", **headers)
    again = api.post(URL, body(person, service, send=True), format="json", **headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["id"] == again.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert Referral.objects.count() == 1
    other = api.post(
        URL, body(person, service, reason="Other"), format="json", **headers
    )
    assert error(other, 409)["code"] == "idempotency_key_reused"


def test_a_retried_move_is_one_move(api, navigator_a, person, agency):
    referral = referral_for(person, agency, by=navigator_a, status=S.REQUESTED)
    path = f"{URL}{referral.pk}/accept/"
    headers = {"HTTP_IDEMPOTENCY_KEY": "accept-1"}
    first = api.post(path, {}, format="json", **headers)
    again = api.post(path, {}, format="json", **headers)
    assert (first.status_code, again.status_code) == (200, 200)
    assert first.json() == again.json()
    assert referral.history.count() == 1
    # Without the key the retry is a second move: refused, as illegal.
    assert error(api.post(path, {}, format="json"), 409)["code"] == (
        "invalid_transition"
    )


def test_a_retried_note_is_one_note(api, navigator_a, person, agency):
    referral = referral_for(person, agency, by=navigator_a, status=S.REQUESTED)
    path = f"{URL}{referral.pk}/notes/"
    for _ in range(2):
        response = api.post(
            path, {"text": "Called"}, format="json", HTTP_IDEMPOTENCY_KEY="note-1"
        )
        assert response.status_code == 201
    assert ReferralNote.objects.count() == 1


# --- the schema ---------------------------------------------------------------------


@pytest.fixture
def schema(api):
    return api.get("/api/schema/", {"format": "json"}).json()


@pytest.mark.parametrize(
    "action, fields",
    [
        ("request", {"consent_override_reason", "note", "followup_due_at"}),
        ("accept", {"note", "followup_due_at"}),
        ("reject", {"reason_code", "declined_by", "note", "followup_due_at"}),
        ("start", {"note", "followup_due_at"}),
        ("hold", {"note", "followup_due_at"}),
        ("resume", {"note", "followup_due_at"}),
        ("complete", {"outcome", "note", "followup_due_at"}),
        ("cancel", {"reason_code", "declined_by", "note", "followup_due_at"}),
        ("enter-in-error", {"note", "followup_due_at"}),
    ],
)
def test_the_schema_documents_each_action(schema, action, fields):
    operation = schema["paths"][f"/api/v1/referrals/{{id}}/{action}/"]["post"]
    assert operation["summary"]
    assert {"200", "400", "404", "409"} <= set(operation["responses"])
    assert operation["responses"]["409"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    component = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert set(component["properties"]) == fields
    assert component["additionalProperties"] is False
    assert any(p["name"] == "Idempotency-Key" for p in operation["parameters"])


def test_the_schema_documents_the_collection(schema):
    paths = schema["paths"]
    listing = paths["/api/v1/referrals/"]["get"]
    names = {p["name"] for p in listing["parameters"]}
    assert {"status", "agency", "urgency", "overdue", "assigned", "person"} <= names
    create = paths["/api/v1/referrals/"]["post"]
    assert {"201", "400", "409"} <= set(create["responses"])
    assert {"201", "400", "409"} <= set(
        paths["/api/v1/referrals/groups/"]["post"]["responses"]
    )
    patch = paths["/api/v1/referrals/{id}/"]["patch"]
    ref = patch["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    component = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert set(component["properties"]) == {
        "reason",
        "urgency",
        "respond_by",
        "assigned_to",
        "is_involuntary",
    }
    status_enum = schema["components"]["schemas"]["ReferralStatusEnum"]["enum"]
    assert status_enum == [s.value for s in ReferralStatus]
