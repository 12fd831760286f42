"""Encounter pages: log, detail, edit, link, delete / restore, program list."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Encounter
from cases.services import encounter_soft_delete
from followups.services import followup_schedule
from navigator.models import AuditAction, AuditEvent, Membership, Role
from tests.factories import EncounterFactory, PersonFactory, ProgramFactory, member

pytestmark = pytest.mark.django_db

# Session, user, memberships, the page count and rows, their navigators, the
# follow-ups panel, the referrals awaiting an answer (issue 9), the audit
# insert, the session save (with savepoints).
TODAY_MAX_QUERIES = 12
PROGRAM_LIST_MAX_QUERIES = 11
LA = zoneinfo.ZoneInfo("America/Los_Angeles")


@pytest.fixture
def person(program_a):
    return PersonFactory(program=program_a, first_name="Rae", last_name="Okafor")


def local_input(when: datetime.datetime) -> str:
    """What a datetime-local input sends, in the program's zone (Los Angeles)."""
    return when.astimezone(LA).strftime("%Y-%m-%dT%H:%M")


def encounter_post(**overrides) -> dict:
    data = {
        "person": "",
        "person_q": "",
        "unidentified_description": "",
        "started_at": local_input(timezone.now() - datetime.timedelta(minutes=30)),
        "minutes_engaged": "25",
        "location_text": "5th and Main",
        "latitude": "",
        "longitude": "",
        "source": "officer_request",
        "concerns": ["mental_health", "homelessness"],
        "narrative": "Calm after 10 minutes; accepted shelter info.",
        "disposition": "resources_provided",
        "diverted": "on",
        "officers": "Ofc. Diaz, 4411\nSgt. Lee",
        "response_model": "",
        "cad_number": "CAD-2025-001",
    }
    data.update(overrides)
    return data


# --- log an encounter --------------------------------------------------------


def test_new_encounter_requires_login(client):
    response = client.get(reverse("encounter-create"))
    assert response.status_code == 302


def test_new_encounter_form_defaults(client, navigator_a, person, program_a):
    client.force_login(navigator_a)
    response = client.get(reverse("encounter-create"), {"person": person.pk})
    assert response.status_code == 200
    form = response.context["form"]
    # The wall clock of the person's program (Los Angeles), to the minute.
    started = form.initial["started_at"]
    assert started.tzinfo is None
    assert abs(timezone.now() - started.replace(tzinfo=LA)) < datetime.timedelta(
        minutes=2
    )
    assert "Local time, America/Los_Angeles." in response.text
    assert form.initial["navigators"] == [navigator_a.pk]
    assert form.initial["response_model"] == program_a.response_model
    assert "program" not in form.fields  # one program: nothing to choose
    assert response.context["picker"]["chosen"] == person
    assert f'name="person" value="{person.pk}" checked' in response.text
    assert 'type="datetime-local"' in response.text


def test_new_encounter_for_another_programs_person_is_404(client, navigator_b, person):
    client.force_login(navigator_b)
    response = client.get(reverse("encounter-create"), {"person": person.pk})
    assert response.status_code == 404


def test_log_encounter_for_known_person(client, navigator_a, person, program_a):
    partner = member(program_a, Role.NAVIGATOR, first_name="Pat", last_name="Ng")
    client.force_login(navigator_a)
    response = client.post(
        reverse("encounter-create"),
        encounter_post(
            person=str(person.pk), navigators=[str(navigator_a.pk), str(partner.pk)]
        ),
    )
    assert response.status_code == 302
    assert response.url == reverse("person-detail", args=[person.pk])
    encounter = Encounter.objects.get()
    assert encounter.person == person
    assert encounter.program == program_a
    assert encounter.created_by == navigator_a
    assert set(encounter.navigators.all()) == {navigator_a, partner}
    assert encounter.officers == [
        {"name": "Ofc. Diaz", "badge": "4411"},
        {"name": "Sgt. Lee", "badge": ""},
    ]
    assert encounter.concerns == ["mental_health", "homelessness"]
    assert encounter.diverted is True and encounter.police_backup_needed is False
    assert encounter.response_model == program_a.response_model
    event = AuditEvent.objects.get(object_type="cases.encounter")
    assert (event.action, event.actor, event.person_id) == (
        AuditAction.CREATE,
        navigator_a,
        person.pk,
    )
    page = client.get(response.url)
    assert "Encounter logged." in page.text
    assert "Calm after 10 minutes" in page.text  # on the person's timeline


def test_started_at_is_read_in_the_program_time_zone(client, navigator_a, person):
    client.force_login(navigator_a)
    client.post(
        reverse("encounter-create"),
        encounter_post(person=str(person.pk), started_at="2024-01-10T10:00"),
    )
    started = Encounter.objects.get().started_at
    assert started == datetime.datetime(2024, 1, 10, 18, 0, tzinfo=datetime.UTC)


def test_started_at_is_read_in_the_chosen_programs_zone(client, program_a):
    """A user of programs in two zones: the time is the encounter program's."""
    east = ProgramFactory(slug="east", time_zone="America/New_York")
    user = member(program_a, Role.NAVIGATOR)  # primary program: Los Angeles
    Membership.objects.create(user=user, program=east, role=Role.NAVIGATOR)
    client.force_login(user)
    client.post(
        reverse("encounter-create"),
        encounter_post(
            unidentified_description="man, 60s",
            started_at="2024-01-10T10:00",
            program=str(east.pk),
        ),
    )
    started = Encounter.objects.get().started_at
    assert started == datetime.datetime(2024, 1, 10, 15, 0, tzinfo=datetime.UTC)


def test_log_unidentified_encounter_goes_to_encounter_page(client, navigator_a):
    client.force_login(navigator_a)
    response = client.post(
        reverse("encounter-create"),
        encounter_post(unidentified_description="male, 40s, downtown"),
    )
    encounter = Encounter.objects.get()
    assert encounter.person is None
    assert response.url == reverse("encounter-detail", args=[encounter.pk])
    assert encounter.navigators.get() == navigator_a


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"started_at": local_input(timezone.now() + datetime.timedelta(hours=2))},
            "started_at",
            "future",
        ),
        ({}, "person", "Choose the person, or describe them"),
        (
            {"unidentified_description": "woman, 30s", "latitude": "45.5"},
            "longitude",
            "both latitude and longitude",
        ),
        ({"unidentified_description": "x", "source": ""}, "source", "required"),
        # The message is the model validator's to fix (reported): today Django
        # swaps it for JSONField's "invalid" text; the field is what matters.
        ({"unidentified_description": "x", "officers": "x" * 120}, "officers", ""),
    ],
)
def test_log_errors_land_on_the_field(client, navigator_a, overrides, field, message):
    client.force_login(navigator_a)
    response = client.post(reverse("encounter-create"), encounter_post(**overrides))
    assert response.status_code == 200
    errors = response.context["form"].errors[field]
    assert any(message in error for error in errors), errors
    assert "Calm after 10 minutes; accepted shelter info." in response.text
    assert 'value="CAD-2025-001"' in response.text
    assert not Encounter.objects.exists()


def test_another_programs_person_is_a_field_error(client, navigator_a, program_b):
    theirs = PersonFactory(program=program_b, last_name="Elsewhereton")
    client.force_login(navigator_a)
    response = client.post(
        reverse("encounter-create"), encounter_post(person=str(theirs.pk))
    )
    assert response.status_code == 200
    assert response.context["form"].errors["person"] == [
        "No such person in this program."
    ]
    assert response.context["picker"]["chosen"] is None
    assert theirs.last_name not in response.text
    assert not Encounter.objects.exists()


def test_typed_name_without_choice_shows_matches_instead_of_saving(
    client, navigator_a, person, program_b
):
    PersonFactory(program=program_b, first_name="Rae", last_name="Elsewhere")
    client.force_login(navigator_a)
    response = client.post(reverse("encounter-create"), encounter_post(person_q="rae"))
    assert response.status_code == 200
    assert [p.pk for p in response.context["picker"]["candidates"]] == [person.pk]
    assert "Elsewhere" not in response.text
    assert not Encounter.objects.exists()


def test_person_options_fragment_is_scoped(client, navigator_a, person, program_b):
    PersonFactory(program=program_b, first_name="Rae", last_name="Elsewhere")
    client.force_login(navigator_a)
    response = client.get(reverse("encounter-person-options"), {"person_q": "rae"})
    assert response.status_code == 200
    assert "Rae Okafor" in response.text
    assert "Elsewhere" not in response.text
    assert "<html" not in response.text  # a fragment for htmx


def test_multi_program_user_picks_the_program(client, program_a, person):
    other = ProgramFactory(slug="crisis-unit", time_zone="America/Los_Angeles")
    user = member(program_a, Role.NAVIGATOR)
    Membership.objects.create(user=user, program=other, role=Role.NAVIGATOR)
    client.force_login(user)
    page = client.get(reverse("encounter-create"), {"person": person.pk})
    assert page.context["form"].initial["program"] == program_a.pk
    missing = client.post(
        reverse("encounter-create"), encounter_post(person=str(person.pk))
    )
    assert "program" in missing.context["form"].errors
    wrong = client.post(
        reverse("encounter-create"),
        encounter_post(person=str(person.pk), program=str(other.pk)),
    )
    assert wrong.context["form"].errors["person"]  # not a person of that program
    client.post(
        reverse("encounter-create"),
        encounter_post(person=str(person.pk), program=str(program_a.pk)),
    )
    assert Encounter.objects.get().program == program_a


# --- detail, edit, link ------------------------------------------------------


def test_encounter_page_scoping_and_audited_read(
    client, navigator_a, navigator_b, person
):
    encounter = EncounterFactory(person=person, narrative="Spoke with neighbour")
    url = reverse("encounter-detail", args=[encounter.pk])
    client.force_login(navigator_b)
    assert client.get(url).status_code == 404
    assert not AuditEvent.objects.exists()
    client.force_login(navigator_a)
    response = client.get(url)
    assert response.status_code == 200
    assert "Spoke with neighbour" in response.text
    assert AuditEvent.objects.get(action=AuditAction.VIEW).person_id == person.pk


def test_edit_encounter(client, navigator_a, person):
    encounter = EncounterFactory(
        person=person,
        officers=[{"name": "Ofc. Diaz", "badge": "4411"}],
        created_by=navigator_a,
    )
    encounter.navigators.add(navigator_a)
    client.force_login(navigator_a)
    url = reverse("encounter-edit", args=[encounter.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "Ofc. Diaz, 4411" in page.text
    response = client.post(
        url,
        encounter_post(
            person=str(person.pk),
            started_at=local_input(encounter.started_at),
            disposition="transport_crisis_center",
            navigators=[str(navigator_a.pk)],
        ),
    )
    assert response.status_code == 302, response.context["form"].errors
    encounter.refresh_from_db()
    assert encounter.disposition == "transport_crisis_center"
    event = AuditEvent.objects.get(action=AuditAction.UPDATE)
    assert "disposition" in event.changes
    assert "person_id" not in event.changes


def test_edit_shows_time_in_the_encounters_program_zone(client, program_a, person):
    east = ProgramFactory(slug="east", time_zone="America/New_York")
    user = member(east, Role.NAVIGATOR)
    encounter = EncounterFactory(
        person=PersonFactory(program=east),
        started_at=datetime.datetime(2024, 1, 10, 15, 0, tzinfo=datetime.UTC),
    )
    client.force_login(user)
    page = client.get(reverse("encounter-edit", args=[encounter.pk]))
    assert 'value="2024-01-10T10:00"' in page.text
    assert "Local time, America/New_York." in page.text


def test_edit_after_someone_elses_save_is_refused_and_keeps_input(
    client, navigator_a, person
):
    from cases.services import encounter_update

    encounter = EncounterFactory(person=person, narrative="First version")
    client.force_login(navigator_a)
    url = reverse("encounter-edit", args=[encounter.pk])
    token = client.get(url).context["form"].initial["updated_at"]
    encounter_update(
        by=navigator_a, encounter=encounter, data={"narrative": "Colleague's edit"}
    )
    response = client.post(
        url,
        encounter_post(
            person=str(person.pk),
            started_at=local_input(encounter.started_at),
            narrative="My late edit",
            updated_at=token,
        ),
    )
    assert response.status_code == 200
    assert "Someone else changed this record" in response.text
    assert "My late edit" in response.text
    encounter.refresh_from_db()
    assert encounter.narrative == "Colleague's edit"


def test_edit_error_lands_on_the_field(client, navigator_a, person):
    encounter = EncounterFactory(person=person)
    client.force_login(navigator_a)
    response = client.post(
        reverse("encounter-edit", args=[encounter.pk]),
        encounter_post(
            person=str(person.pk),
            started_at=local_input(timezone.now() + datetime.timedelta(days=1)),
        ),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["started_at"]


def test_edit_other_program_encounter_is_404(client, navigator_b, person):
    encounter = EncounterFactory(person=person)
    client.force_login(navigator_b)
    url = reverse("encounter-edit", args=[encounter.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, encounter_post()).status_code == 404


def test_link_unidentified_encounter_to_person(
    client, navigator_a, person, program_a, program_b
):
    encounter = EncounterFactory(
        person=None, program=program_a, unidentified_description="woman, 20s, park"
    )
    theirs = PersonFactory(program=program_b)
    client.force_login(navigator_a)
    url = reverse("encounter-link", args=[encounter.pk])
    page = client.get(url, {"person_q": "okafor"})
    assert [p.pk for p in page.context["picker"]["candidates"]] == [person.pk]
    nobody = client.post(url, {})
    assert nobody.context["form"].errors["person"]
    wrong = client.post(url, {"person": str(theirs.pk)})
    assert wrong.context["form"].errors["person"] == ["No such person in this program."]
    response = client.post(url, {"person": str(person.pk)})
    assert response.url == reverse("person-detail", args=[person.pk])
    encounter.refresh_from_db()
    assert encounter.person == person
    assert AuditEvent.objects.get(action=AuditAction.UPDATE).person_id == person.pk


# --- delete and restore ------------------------------------------------------


def test_delete_and_restore_encounter(client, navigator_a, manager_a, person):
    encounter = EncounterFactory(person=person)
    client.force_login(navigator_a)
    url = reverse("encounter-delete", args=[encounter.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"reason": ""}).context["form"].errors["reason"]
    response = client.post(url, {"reason": "Logged twice"})
    assert response.url == reverse("person-detail", args=[person.pk])
    assert (
        client.get(reverse("encounter-detail", args=[encounter.pk])).status_code == 404
    )

    restore_url = reverse("encounter-restore", args=[encounter.pk])
    refused = client.get(restore_url)  # navigators cannot restore; told why
    assert refused.status_code == 403
    assert "Only a program manager can restore" in refused.text
    client.force_login(manager_a)
    page = client.get(restore_url)
    assert "Logged twice" in page.text
    response = client.post(restore_url, {"reason": ""})
    assert response.url == reverse("encounter-detail", args=[encounter.pk])
    encounter.refresh_from_db()
    assert not encounter.is_deleted
    actions = set(
        AuditEvent.objects.filter(object_type="cases.encounter").values_list(
            "action", flat=True
        )
    )
    assert {AuditAction.DELETE, AuditAction.RESTORE} <= actions


def test_delete_other_program_encounter_is_404(client, navigator_b, person):
    encounter = EncounterFactory(person=person)
    client.force_login(navigator_b)
    response = client.post(
        reverse("encounter-delete", args=[encounter.pk]), {"reason": "x"}
    )
    assert response.status_code == 404
    encounter.refresh_from_db()
    assert not encounter.is_deleted


# --- Today -------------------------------------------------------------------


def test_today_lists_my_recent_encounters_only(client, navigator_a, program_a, person):
    colleague = member(program_a, Role.NAVIGATOR)
    mine = EncounterFactory(person=person, created_by=navigator_a)
    with_me = EncounterFactory(person=person, created_by=colleague)
    with_me.navigators.add(navigator_a)
    EncounterFactory(person=person, created_by=colleague)  # not mine
    EncounterFactory(
        person=person,
        created_by=navigator_a,
        started_at=timezone.now() - datetime.timedelta(days=30),
    )
    client.force_login(navigator_a)
    response = client.get(reverse("today"))
    assert response.status_code == 200
    assert {e.pk for e in response.context["page_obj"].object_list} == {
        mine.pk,
        with_me.pk,
    }
    assert "Log encounter" in response.text and "Find person" in response.text
    assert 'id="today-followups"' in response.text


def test_today_requires_login(client):
    response = client.get(reverse("today"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("rows", [3, 30])
def test_today_query_count_is_flat(
    client, navigator_a, program_a, django_assert_max_num_queries, rows
):
    for _ in range(rows):
        person = PersonFactory(program=program_a)
        encounter = EncounterFactory(person=person, created_by=navigator_a)
        encounter.navigators.add(navigator_a)
        followup_schedule(
            by=navigator_a,
            person=person,
            due_at=timezone.now() + datetime.timedelta(days=1),
            method="phone",
        )
    client.force_login(navigator_a)
    with django_assert_max_num_queries(TODAY_MAX_QUERIES):
        response = client.get(reverse("today"))
    assert len(response.context["page_obj"].object_list) == min(rows, 25)
    assert response.text.count('followup-item"') == rows


# --- program encounters (managers) -------------------------------------------


def test_program_encounters_is_for_managers(client, navigator_a, manager_a, person):
    EncounterFactory(person=person, cad_number="CAD-77")
    client.force_login(navigator_a)
    refused = client.get(reverse("encounter-list"))
    assert refused.status_code == 403
    assert "Only a program manager" in refused.text
    assert "Program encounters" not in client.get(reverse("today")).text
    client.force_login(manager_a)
    assert "Program encounters" in client.get(reverse("today")).text
    response = client.get(reverse("encounter-list"))
    assert response.status_code == 200
    assert "Rae Okafor" in response.text


def test_program_encounters_only_managed_programs(
    client, manager_a, program_a, program_b
):
    Membership.objects.create(user=manager_a, program=program_b, role=Role.NAVIGATOR)
    EncounterFactory(person=PersonFactory(program=program_a, last_name="Managed"))
    EncounterFactory(person=PersonFactory(program=program_b, last_name="NotManaged"))
    client.force_login(manager_a)
    response = client.get(reverse("encounter-list"))
    names = [e.person.last_name for e in response.context["page_obj"].object_list]
    assert names == ["Managed"]


def test_program_encounters_filters_and_deleted(client, manager_a, navigator_a, person):
    keep = EncounterFactory(person=person, disposition="arrested")
    EncounterFactory(person=person, disposition="resolved_on_scene")
    gone = EncounterFactory(person=person)
    encounter_soft_delete(by=navigator_a, encounter=gone, reason="dup")
    client.force_login(manager_a)
    filtered = client.get(reverse("encounter-list"), {"disposition": "arrested"})
    assert [e.pk for e in filtered.context["page_obj"].object_list] == [keep.pk]
    deleted = client.get(reverse("encounter-list"), {"deleted": "1"})
    assert [e.pk for e in deleted.context["page_obj"].object_list] == [gone.pk]
    assert reverse("encounter-restore", args=[gone.pk]) in deleted.text


@pytest.mark.parametrize("rows", [3, 30])
def test_program_encounters_query_count_is_flat(
    client, manager_a, navigator_a, program_a, django_assert_max_num_queries, rows
):
    for i in range(rows):
        encounter = EncounterFactory(
            person=PersonFactory(program=program_a) if i % 3 else None,
            program=program_a,
            unidentified_description="" if i % 3 else "man, 50s",
            created_by=navigator_a,
        )
        encounter.navigators.add(navigator_a, manager_a)
    client.force_login(manager_a)
    with django_assert_max_num_queries(PROGRAM_LIST_MAX_QUERIES):
        response = client.get(reverse("encounter-list"), {"source": "911_call"})
    assert len(response.context["page_obj"].object_list) == min(rows, 25)
