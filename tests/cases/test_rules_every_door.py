"""Rules that once lived in one front door only (issue 8), now in the services.

Each rule is met by a direct service call, and the page and the API show it
as an error on the field.
"""

from __future__ import annotations

import datetime
from typing import Unpack

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import DobPrecision, Encounter, Person
from cases.services import EncounterData
from navigator.errors import DomainError
from navigator.models import Membership, Role
from tests.cases.test_api_people import assert_error, client_for
from tests.cases.test_pages_encounters import encounter_post
from tests.factories import EncounterFactory, PersonFactory

pytestmark = pytest.mark.django_db

YEAR_871 = datetime.datetime(871, 11, 30, 0, 16, tzinfo=datetime.UTC)


def field_error(call) -> dict[str, list[str]]:
    with pytest.raises(DomainError) as exc:
        call()
    assert exc.value.status == 400
    return exc.value.fields


def encounter_data(**overrides: Unpack[EncounterData]) -> EncounterData:
    values: EncounterData = {
        "started_at": timezone.now() - datetime.timedelta(minutes=30),
        "source": "911_call",
        "disposition": "resolved_on_scene",
    }
    values.update(overrides)
    return values


@pytest.fixture
def person(program_a) -> Person:
    return PersonFactory(program=program_a, first_name="Rosa", last_name="Lind")


@pytest.fixture
def two_programs(program_a, program_b, navigator_a) -> None:
    # A user of both programs: the record is in scope either way, so only the
    # "no moving" rule can refuse.
    Membership.objects.create(user=navigator_a, program=program_b, role=Role.NAVIGATOR)


# --- an encounter cannot start before 1900 -----------------------------------


def test_log_before_1900_is_refused_on_started_at(navigator_a, person):
    fields = field_error(
        lambda: services.encounter_log(
            by=navigator_a, person=person, data=encounter_data(started_at=YEAR_871)
        )
    )
    assert fields["started_at"] == ["An encounter cannot start before 1900."]
    assert not Encounter.objects.exists()


def test_edit_to_before_1900_is_refused_on_started_at(navigator_a, person):
    encounter = EncounterFactory(program=person.program, person=person)
    fields = field_error(
        lambda: services.encounter_update(
            by=navigator_a, encounter=encounter, data={"started_at": YEAR_871}
        )
    )
    assert "started_at" in fields
    encounter.refresh_from_db()
    assert encounter.started_at.year > 1900


def test_1900_itself_is_accepted(navigator_a, person):
    when = datetime.datetime(1900, 1, 2, tzinfo=datetime.UTC)
    encounter = services.encounter_log(
        by=navigator_a, person=person, data=encounter_data(started_at=when)
    )
    assert encounter.started_at == when


def test_page_shows_the_1900_error_on_the_field(client, navigator_a, person):
    client.force_login(navigator_a)
    response = client.post(
        reverse("encounter-create"),
        encounter_post(person=person.pk, started_at="0871-11-30T00:16"),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["started_at"] == [
        "An encounter cannot start before 1900."
    ]
    assert not Encounter.objects.exists()


def test_api_shows_the_1900_error_on_the_field(navigator_a, person):
    response = client_for(navigator_a).post(
        "/api/v1/encounters/",
        {
            "person": person.pk,
            "started_at": "0871-11-30T00:16:17-01:24",
            "source": "911_call",
            "disposition": "resolved_on_scene",
        },
        format="json",
    )
    body = assert_error(response, 400, "started_at")
    assert body["fields"]["started_at"] == ["An encounter cannot start before 1900."]


# --- a record cannot move to another program / person ------------------------


def test_a_person_cannot_move_to_another_program(navigator_a, person, program_b):
    fields = field_error(
        lambda: services.person_update(
            by=navigator_a, person=person, data={}, program=program_b
        )
    )
    assert fields["program"] == ["A record cannot be moved to another program."]
    person.refresh_from_db()
    assert person.program_id != program_b.pk


def test_a_person_update_may_echo_its_own_program(navigator_a, person):
    person = services.person_update(
        by=navigator_a,
        person=person,
        data={"first_name": "Rosie"},
        program=person.program_id,
    )
    assert person.first_name == "Rosie"


def test_an_encounter_cannot_move_to_another_program(navigator_a, person, program_b):
    encounter = EncounterFactory(program=person.program, person=person)
    fields = field_error(
        lambda: services.encounter_update(
            by=navigator_a, encounter=encounter, data={}, program=program_b.pk
        )
    )
    assert "program" in fields
    encounter.refresh_from_db()
    assert encounter.program_id == person.program_id


def test_a_contact_cannot_move_to_another_person(navigator_a, person):
    other = PersonFactory(program=person.program)
    contact = services.family_contact_add(
        by=navigator_a,
        person=person,
        data={"name": "Ana", "relationship": "sister", "phone": "555-0100"},
    )
    fields = field_error(
        lambda: services.family_contact_update(
            by=navigator_a, contact=contact, data={"name": "Ana B"}, person=other
        )
    )
    assert fields["person"] == ["A contact cannot be moved to another person."]
    contact.refresh_from_db()
    assert (contact.person_id, contact.name) == (person.pk, "Ana")


def test_api_person_move_is_a_field_error(navigator_a, person, program_b, two_programs):
    response = client_for(navigator_a).patch(
        f"/api/v1/people/{person.pk}/", {"program": program_b.pk}, format="json"
    )
    body = assert_error(response, 400, "program")
    assert body["fields"]["program"] == ["A record cannot be moved to another program."]
    assert Person.objects.get(pk=person.pk).program_id == person.program_id


def test_api_encounter_move_is_a_field_error(
    navigator_a, person, program_b, two_programs
):
    encounter = EncounterFactory(program=person.program, person=person)
    response = client_for(navigator_a).patch(
        f"/api/v1/encounters/{encounter.pk}/",
        {"program": program_b.pk},
        format="json",
    )
    assert_error(response, 400, "program")
    assert Encounter.objects.get(pk=encounter.pk).program_id == person.program_id


# --- the estimated-age decision ----------------------------------------------


def test_service_keeps_an_untouched_estimate(navigator_a, person):
    person = services.person_update(
        by=navigator_a, person=person, data={"estimated_age": 40}
    )
    stored = person.date_of_birth
    person.date_of_birth = stored.replace(month=6)  # as stored years ago
    Person.objects.filter(pk=person.pk).update(date_of_birth=person.date_of_birth)
    again = services.person_update(
        by=navigator_a,
        person=person,
        data={"estimated_age": person.age_on(timezone.localdate())},
    )
    assert again.date_of_birth == person.date_of_birth
    assert again.dob_precision == DobPrecision.ESTIMATED


def test_service_reads_a_given_date_as_exact(navigator_a, person):
    person = services.person_update(
        by=navigator_a, person=person, data={"estimated_age": 40}
    )
    # The same date typed in as a real one (a page's date field, no precision).
    same = person.date_of_birth
    person = services.person_update(
        by=navigator_a, person=person, data={"date_of_birth": same}
    )
    assert (person.date_of_birth, person.dob_precision) == (same, DobPrecision.EXACT)


def test_service_clearing_the_date_clears_the_estimate(navigator_a, person):
    person = services.person_update(
        by=navigator_a, person=person, data={"estimated_age": 40}
    )
    person = services.person_update(
        by=navigator_a, person=person, data={"date_of_birth": None}
    )
    assert (person.date_of_birth, person.dob_precision) == (None, DobPrecision.EXACT)
