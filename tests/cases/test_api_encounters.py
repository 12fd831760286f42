"""/api/v1/encounters/: wiring, scoping, linking, soft delete and restore."""

from __future__ import annotations

import datetime
import decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from cases.models import Encounter
from navigator.models import AuditAction, AuditEvent, Membership, Role
from navigator.services import api_token_create
from tests.factories import EncounterFactory, PersonFactory, member, request_fields

pytestmark = pytest.mark.django_db

# The events about records: the test client's own API token is audited too.
RECORD_EVENTS = AuditEvent.objects.exclude(object_type="navigator.apitoken")


def client_for(user) -> APIClient:
    _, key = api_token_create(user=user, name="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def api(navigator_a):
    return client_for(navigator_a)


def url(pk=None, suffix=""):
    return "/api/v1/encounters/" + (f"{pk}/" if pk else "") + suffix


def assert_error(response, status: int, field: str | tuple | None = None):
    """The one error shape; ``field`` (or one of several) is named."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"detail", "code", "fields"}, body
    assert body["detail"]
    if field is not None:
        names = {field} if isinstance(field, str) else set(field)
        assert names & set(body["fields"]), body
    return body


def an_hour_ago() -> str:
    return (timezone.now() - datetime.timedelta(hours=1)).isoformat()


def valid(**overrides) -> dict:
    data = {
        "started_at": an_hour_ago(),
        "source": "911_call",
        "disposition": "resolved_on_scene",
        "unidentified_description": "male, 40s, downtown",
    }
    data.update(overrides)
    return data


# --- list and detail ---------------------------------------------------------


def test_list_is_scoped_and_shows_person_display_name(api, program_a, program_b):
    person = PersonFactory(program=program_a, first_name="Ana", last_name="Lee")
    mine = EncounterFactory(person=person)
    EncounterFactory(person=PersonFactory(program=program_b))
    EncounterFactory(person=person, deleted_at=timezone.now())
    body = api.get(url()).json()
    assert [e["id"] for e in body["results"]] == [mine.pk]
    row = body["results"][0]
    assert (row["person"], row["person_display_name"]) == (person.pk, "Ana Lee")


def test_list_filters(api, navigator_a, program_a):
    person = PersonFactory(program=program_a)
    match = EncounterFactory(
        person=person, source="outreach", concerns=["substance_use", "other"]
    )
    match.navigators.add(navigator_a)
    EncounterFactory(person=person, source="outreach", concerns=["mental_health"])
    EncounterFactory(person=person, source="self", concerns=["substance_use"])
    unidentified = EncounterFactory(
        person=None, program=program_a, unidentified_description="woman, 30s"
    )
    ids = lambda params: [e["id"] for e in api.get(url(), params).json()["results"]]  # noqa: E731
    assert ids({"source": "outreach", "concern": "substance_use"}) == [match.pk]
    assert ids({"navigator": navigator_a.pk}) == [match.pk]
    assert ids({"unidentified": "true"}) == [unidentified.pk]
    assert len(ids({"person": person.pk})) == 3


@pytest.mark.parametrize(
    "params, field",
    [
        ({"source": "pigeon"}, "source"),
        ({"concern": "boredom"}, "concern"),
        ({"started_after": "yesterday"}, "started_after"),
        ({"date_from": "2024-13-01"}, "date_from"),
        ({"person": "abc"}, "person"),
        # Ids are whole numbers: 1.5 used to match person 1, and 1e57
        # overflowed SQLite's integer (a 500).
        ({"person": "1.5"}, "person"),
        ({"person": "-2.38e+57"}, "person"),
        ({"navigator": "1e57"}, "navigator"),
        # Instants beyond year 1 / 9999 once in UTC: OverflowError (a 500)
        # on SQLite before they were checked.
        ({"started_after": "9999-12-31T23:59:59"}, "started_after"),
        ({"started_before": "0001-01-01T00:00:00+05:00"}, "started_before"),
    ],
)
def test_bad_filters_are_400_naming_the_filter(api, params, field):
    assert_error(api.get(url(), params), 400, field)


def test_huge_ids_in_filters_are_400(api, program_a):
    EncounterFactory(person=PersonFactory(program=program_a))
    for params in ({"person": 10**30}, {"navigator": 10**30}, {"person": 2**63}):
        assert_error(api.get(url(), params), 400, tuple(params))


def test_detail(api, program_a):
    person = PersonFactory(program=program_a)
    encounter = EncounterFactory(
        person=person,
        officers=[{"name": "Ofc. Diaz", "badge": "1234"}],
        latitude=decimal.Decimal("44.050000"),
        longitude=decimal.Decimal("-123.090000"),
    )
    body = api.get(url(encounter.pk)).json()
    assert body["officers"] == [{"name": "Ofc. Diaz", "badge": "1234"}]
    assert body["concerns"] == ["mental_health"]
    assert (body["latitude"], body["longitude"]) == (44.05, -123.09)
    # Reading an identified person's encounter is a read of their record.
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEW, person_id=person.pk
    ).exists()


def test_another_programs_encounter_is_404(api, program_b):
    theirs = EncounterFactory(person=PersonFactory(program=program_b))
    assert_error(api.get(url(theirs.pk)), 404)
    assert_error(api.patch(url(theirs.pk), {"narrative": "x"}, format="json"), 404)
    assert_error(api.delete(url(theirs.pk) + "?reason=x"), 404)
    assert_error(api.post(url(theirs.pk, "restore/")), 404)
    theirs.refresh_from_db()
    assert theirs.narrative == "" and not theirs.is_deleted


@pytest.mark.parametrize("role", [Role.ADMIN, Role.PARTNER])
def test_admin_and_partner_users_see_no_encounters(program_a, role):
    encounter = EncounterFactory(person=PersonFactory(program=program_a))
    client = client_for(member(program_a, role))
    assert client.get(url()).json()["count"] == 0
    assert_error(client.get(url(encounter.pk)), 404)
    assert_error(client.post(url(), valid(), format="json"), 400, "program")


# --- create --------------------------------------------------------------------


def test_log_an_encounter_for_a_known_person(api, navigator_a, program_a):
    person = PersonFactory(program=program_a)
    colleague = member(program_a, Role.NAVIGATOR)
    response = api.post(
        url(),
        valid(
            person=person.pk,
            unidentified_description="",
            minutes_engaged=25,
            concerns=["mental_health", "homelessness"],
            officers=[{"name": "Ofc. Diaz", "badge": "1234"}, {"badge": "77"}],
            navigators=[navigator_a.pk, colleague.pk],
            latitude=44.0520691234567,  # phones send 15 decimals; we keep 6
            longitude=-123.0867532,
            diverted=True,
        ),
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    encounter = Encounter.objects.get(pk=body["id"])
    assert encounter.person == person
    assert encounter.program == program_a
    assert encounter.response_model == program_a.response_model
    assert sorted(body["navigators"]) == sorted([navigator_a.pk, colleague.pk])
    assert encounter.officers == [
        {"name": "Ofc. Diaz", "badge": "1234"},
        {"badge": "77"},
    ]
    assert encounter.latitude == decimal.Decimal("44.052069")
    assert body["person_display_name"] == person.display_name
    assert body["created_by"] == navigator_a.pk
    event = RECORD_EVENTS.get(action=AuditAction.CREATE)
    assert (event.person_id, event.source) == (person.pk, "api")


def test_log_an_unidentified_encounter_then_link_the_person(api, program_a):
    response = api.post(url(), valid(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["person"] is None and body["person_display_name"] is None
    assert body["navigators"]  # the logging user, by default

    person = PersonFactory(program=program_a)
    response = api.patch(url(body["id"]), {"person": person.pk}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["person"] == person.pk
    encounter = Encounter.objects.get(pk=body["id"])
    assert encounter.person == person
    assert encounter.unidentified_description == "male, 40s, downtown"
    update = AuditEvent.objects.get(action=AuditAction.UPDATE)
    assert update.person_id == person.pk
    assert update.changes["person_id"] == [None, person.pk]


def test_person_of_another_program_is_400_naming_person(api, program_b):
    theirs = PersonFactory(program=program_b)
    body = assert_error(
        api.post(url(), valid(person=theirs.pk), format="json"), 400, "person"
    )
    assert str(theirs.pk) not in body["detail"] or "No such person" in body["detail"]
    assert not Encounter.objects.exists()


def test_relinking_to_another_programs_person_is_400(api, program_a, program_b):
    encounter = EncounterFactory(person=PersonFactory(program=program_a))
    theirs = PersonFactory(program=program_b)
    assert_error(
        api.patch(url(encounter.pk), {"person": theirs.pk}, format="json"),
        400,
        "person",
    )
    encounter.refresh_from_db()
    assert encounter.person is not None
    assert encounter.person.program == program_a


def test_navigator_from_another_program_is_400(api, navigator_b):
    assert_error(
        api.post(url(), valid(navigators=[navigator_b.pk]), format="json"),
        400,
        "navigators",
    )


def test_program_is_chosen_by_users_with_several(program_a, program_b):
    user = member(program_a, Role.NAVIGATOR)
    Membership.objects.create(user=user, program=program_b, role=Role.NAVIGATOR)
    client = client_for(user)
    assert_error(client.post(url(), valid(), format="json"), 400, "program")
    response = client.post(url(), valid(program=program_b.pk), format="json")
    assert response.status_code == 201
    assert response.json()["program"] == program_b.pk


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"started_at": "2024-02-30T10:00:00Z"}, "started_at"),
        ({"started_at": "not a date"}, "started_at"),
        ({"started_at": 1700000000}, "started_at"),
        ({"started_at": "2999-01-01T00:00:00Z"}, "started_at"),  # future
        ({"started_at": "0871-11-30T00:16:17-01:24"}, "started_at"),  # a typo
        ({"source": "carrier pigeon"}, "source"),
        ({"disposition": "vanished"}, "disposition"),
        ({"response_model": "telepathy"}, "response_model"),
        ({"concerns": ["boredom"]}, "concerns"),
        ({"concerns": "mental_health"}, "concerns"),
        ({"concerns": [{"x": 1}]}, "concerns"),
        ({"concerns": ["other", "other"]}, "concerns"),
        ({"officers": [{"name": "A", "rank": "sgt"}]}, "officers[0].rank"),
        ({"officers": [{}]}, "officers"),
        ({"officers": "Diaz"}, "officers"),
        ({"officers": [{"name": "x" * 101}]}, "officers[0].name"),
        ({"navigators": "me"}, "navigators"),
        ({"navigators": ["me"]}, "navigators[0]"),
        ({"navigators": [10**30]}, "navigators[0]"),
        ({"person": "Ana"}, "person"),
        ({"person": 10**30}, "person"),
        ({"person": None, "unidentified_description": ""}, "person"),
        ({"minutes_engaged": -5}, "minutes_engaged"),
        ({"minutes_engaged": 5000}, "minutes_engaged"),
        ({"minutes_engaged": "half an hour"}, "minutes_engaged"),
        ({"latitude": 95, "longitude": 0}, "latitude"),
        ({"latitude": "1e100", "longitude": 0}, "latitude"),
        ({"latitude": "NaN", "longitude": 0}, "latitude"),
        ({"latitude": 45}, ("latitude", "longitude")),  # both or neither
        ({"diverted": "perhaps"}, "diverted"),
        ({"police_backup_needed": 0}, "police_backup_needed"),  # JSON booleans only
        ({"diverted": "no"}, "diverted"),
        ({"narrative": ["a", "list"]}, "narrative"),
        ({"narrative": "nul \x00 byte"}, "narrative"),
        ({"cad_number": "x" * 61}, "cad_number"),
        ({"started": an_hour_ago()}, "started"),
    ],
)
def test_bad_encounter_input_is_400_naming_the_field(api, overrides, field):
    body = assert_error(api.post(url(), valid(**overrides), format="json"), 400, field)
    assert body["code"] in ("invalid", "required", "future", "not_found")
    assert not Encounter.objects.exists()


def test_required_fields_are_named(api):
    body = assert_error(api.post(url(), {}, format="json"), 400)
    assert {"started_at", "source", "disposition"} <= set(body["fields"])


def test_a_few_minutes_of_phone_clock_drift_is_accepted(api):
    soon = (timezone.now() + datetime.timedelta(minutes=2)).isoformat()
    assert api.post(url(), valid(started_at=soon), format="json").status_code == 201


def test_a_time_without_offset_is_read_in_the_program_time_zone(api, program_a):
    # Program A is in America/Los_Angeles; both token and session clients agree.
    local = (
        timezone.now().astimezone(program_a.tz) - datetime.timedelta(hours=3)
    ).replace(microsecond=0, tzinfo=None)
    response = api.post(url(), valid(started_at=local.isoformat()), format="json")
    assert response.status_code == 201, response.content
    stored = Encounter.objects.get().started_at
    assert stored == local.replace(tzinfo=program_a.tz)


# --- update ------------------------------------------------------------------


def test_patch_updates_navigators_and_is_audited(api, navigator_a, program_a):
    encounter = EncounterFactory(person=PersonFactory(program=program_a))
    encounter.navigators.add(navigator_a)
    colleague = member(program_a, Role.NAVIGATOR)
    response = api.patch(
        url(encounter.pk),
        {"navigators": [colleague.pk], "narrative": "Calm after 10 minutes."},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["navigators"] == [colleague.pk]
    event = AuditEvent.objects.get(action=AuditAction.UPDATE)
    assert event.changes["navigators"] == [[navigator_a.pk], [colleague.pk]]


def test_put_round_trips_what_get_returned(api, program_a):
    encounter = EncounterFactory(person=PersonFactory(program=program_a))
    writable = request_fields(api, "EncounterRequest")
    body = {k: v for k, v in api.get(url(encounter.pk)).json().items() if k in writable}
    body["narrative"] = "Edited."
    response = api.put(url(encounter.pk), body, format="json")
    assert response.status_code == 200, response.content
    encounter.refresh_from_db()
    assert encounter.narrative == "Edited."


def test_put_needs_the_required_fields(api, program_a):
    encounter = EncounterFactory(person=PersonFactory(program=program_a))
    assert_error(
        api.put(url(encounter.pk), {"narrative": "x"}, format="json"), 400, "started_at"
    )


def test_unlinking_needs_a_description(api, program_a):
    encounter = EncounterFactory(person=PersonFactory(program=program_a))
    assert_error(
        api.patch(url(encounter.pk), {"person": None}, format="json"), 400, "person"
    )
    response = api.patch(
        url(encounter.pk),
        {"person": None, "unidentified_description": "wrong person; woman, 50s"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["person"] is None


def test_program_cannot_be_changed(api, program_a, program_b):
    encounter = EncounterFactory(person=PersonFactory(program=program_a))
    assert_error(
        api.patch(url(encounter.pk), {"program": program_b.pk}, format="json"),
        400,
        "program",
    )


def test_invalid_patch_loses_nothing(api, navigator_a, program_a, program_b):
    from cases.services import encounter_log

    person = PersonFactory(program=program_a)
    encounter = encounter_log(
        by=navigator_a,
        person=person,
        data={
            "started_at": timezone.now() - datetime.timedelta(hours=3),
            "source": "outreach",
            "disposition": "resources_provided",
            "concerns": ["homelessness"],
            "officers": [{"name": "Ofc. Diaz"}],
            "narrative": "Original narrative.",
            "latitude": decimal.Decimal("44.05"),
            "longitude": decimal.Decimal("-123.09"),
        },
    )
    other = PersonFactory(program=program_b)
    before = api.get(url(encounter.pk)).json()
    for bad in (
        {"narrative": "New", "started_at": "2024-02-30T10:00:00Z"},
        {"narrative": "New", "started_at": "2999-01-01T00:00:00Z"},
        {"narrative": "New", "concerns": ["boredom"]},
        {"narrative": "New", "source": "pigeon"},
        {"narrative": "New", "person": other.pk},
        {"narrative": "New", "person": None},  # no description to fall back on
        {"narrative": "New", "latitude": None},
        {"narrative": "New", "navigators": [999999]},
        {"narrative": "New", "officers": [{"rank": "sgt"}]},
        {"narrative": "New", "unknown": 1},
    ):
        response = api.patch(url(encounter.pk), bad, format="json")
        assert response.status_code == 400, (bad, response.content)
    assert api.get(url(encounter.pk)).json() == before
    assert not AuditEvent.objects.filter(action=AuditAction.UPDATE).exists()


# --- soft delete and restore ---------------------------------------------------


def test_delete_needs_a_reason_then_restore(api, navigator_a, manager_a, program_a):
    encounter = EncounterFactory(person=PersonFactory(program=program_a))
    assert_error(api.delete(url(encounter.pk)), 400, "reason")
    assert_error(
        api.delete(url(encounter.pk), {"reason": ""}, format="json"), 400, "reason"
    )
    assert_error(
        api.delete(url(encounter.pk), {"reason": "x", "why": "y"}, format="json"),
        400,
        "why",
    )
    response = api.delete(url(encounter.pk), {"reason": "wrong person"}, format="json")
    assert response.status_code == 204
    encounter.refresh_from_db()
    assert (encounter.deleted_by, encounter.deleted_reason) == (
        navigator_a,
        "wrong person",
    )
    assert api.get(url()).json()["count"] == 0
    assert_error(api.get(url(encounter.pk)), 404)
    assert_error(api.patch(url(encounter.pk), {"narrative": "x"}, format="json"), 404)

    # Restoring is a manager's decision.
    assert_error(api.post(url(encounter.pk, "restore/")), 403)
    manager = client_for(manager_a)
    response = manager.post(url(encounter.pk, "restore/"))
    assert response.status_code == 200, response.content
    encounter.refresh_from_db()
    assert not encounter.is_deleted
    body = assert_error(manager.post(url(encounter.pk, "restore/")), 409)
    assert body["code"] == "conflict"
