"""People list, create and edit pages: wiring, scoping, field errors, queries."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Alias, DobPrecision, HousingSituation, Person
from navigator.models import AuditEvent, Role
from tests.factories import PersonFactory, ProgramFactory, member

pytestmark = pytest.mark.django_db


# Session, user, memberships, session save, the page's count and rows, the
# aliases prefetch and the program filter's choices, the audit insert (one
# LIST event per person shown): fixed, whatever the rows. A search adds one
# on PostgreSQL (the trigram threshold is set per search).
PEOPLE_LIST_MAX_QUERIES = 12


def person_post(**overrides) -> dict:
    data = {
        "first_name": "Maria",
        "last_name": "Lopez",
        "middle_name": "",
        "preferred_name": "",
        "aliases": "La Flaca\nMary L",
        "date_of_birth": "1980-04-02",
        "estimated_age": "",
        "veteran_status": "no",
        "primary_language": "Spanish",
        "phone": "555-0100",
        "email": "",
        "sms_consent": "on",
        "housing_situation": HousingSituation.UNSHELTERED,
        "street_address": "",
        "city": "Springfield",
        "state": "",
        "postal_code": "",
        "location_notes": "Under the 5th St bridge",
        "safety_notes": "Startles easily; approach from the front.",
        "external_id": "",
        "gender": ["woman"],
        "race_ethnicity": ["hispanic", "white"],
    }
    data.update(overrides)
    return data


def listed(response) -> list[str]:
    return [p.last_name for p in response.context["page_obj"].object_list]


# --- list --------------------------------------------------------------------


def test_people_list_requires_login(client):
    response = client.get(reverse("person-list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_people_list_shows_only_own_program(client, navigator_a, program_a, program_b):
    PersonFactory(program=program_a, first_name="Ana", last_name="Mine")
    PersonFactory(program=program_b, first_name="Bob", last_name="Theirs")
    client.force_login(navigator_a)
    response = client.get(reverse("person-list"))
    assert response.status_code == 200
    assert "Ana Mine" in response.text
    assert "Theirs" not in response.text


def test_people_list_hides_deleted(client, navigator_a, program_a):
    PersonFactory(program=program_a, last_name="Gone", deleted_at=timezone.now())
    client.force_login(navigator_a)
    assert "Gone" not in client.get(reverse("person-list")).text


def test_people_search_matches_alias_accent_insensitive(client, navigator_a, program_a):
    person = PersonFactory(program=program_a, first_name="José", last_name="Núñez")
    Alias.objects.create(person=person, name="Pepe")
    person.search_text = "jose | nunez | jose nunez | pepe"
    person.save()
    PersonFactory(program=program_a, first_name="Zed", last_name="Quinn")
    client.force_login(navigator_a)
    by_alias = client.get(reverse("person-list"), {"q": "PEPE"})
    assert "José Núñez" in by_alias.text
    assert listed(by_alias) == ["Núñez"]
    assert "aka Pepe" in by_alias.text
    by_accent = client.get(reverse("person-list"), {"q": "nunez"})
    assert "José Núñez" in by_accent.text


def test_people_filters_housing_and_age(client, navigator_a, program_a):
    today = timezone.localdate()
    PersonFactory(
        program=program_a,
        last_name="Young",
        date_of_birth=today.replace(year=today.year - 25),
        housing_situation=HousingSituation.UNSHELTERED,
    )
    PersonFactory(
        program=program_a,
        last_name="Older",
        date_of_birth=today.replace(year=today.year - 60) - datetime.timedelta(days=1),
        housing_situation=HousingSituation.UNSHELTERED,
    )
    PersonFactory(
        program=program_a,
        last_name="Housed",
        date_of_birth=today.replace(year=today.year - 26),
        housing_situation=HousingSituation.HOUSED,
    )
    client.force_login(navigator_a)
    response = client.get(
        reverse("person-list"),
        {"housing_situation": "unsheltered", "age_min": "20", "age_max": "40"},
    )
    assert listed(response) == ["Young"]


def test_people_list_paginates_25(client, navigator_a, program_a):
    for i in range(26):
        PersonFactory(program=program_a, first_name="P", last_name=f"Row{i:02d}")
    client.force_login(navigator_a)
    first = client.get(reverse("person-list"))
    assert len(first.context["page_obj"].object_list) == 25
    assert "Page 1 of 2" in first.text
    second = client.get(reverse("person-list"), {"page": "2"})
    assert [p.last_name for p in second.context["page_obj"].object_list] == ["Row25"]


@pytest.mark.parametrize("query", ["", "smith"])
@pytest.mark.parametrize("rows", [3, 30])
def test_people_list_query_count_is_flat(
    client, navigator_a, program_a, django_assert_max_num_queries, rows, query
):
    for _ in range(rows):
        person = PersonFactory(program=program_a, last_name="Smith")
        Alias.objects.create(person=person, name=f"alias of {person.pk}")
    client.force_login(navigator_a)
    with django_assert_max_num_queries(PEOPLE_LIST_MAX_QUERIES):
        response = client.get(reverse("person-list"), {"q": query})
    assert response.status_code == 200
    assert len(response.context["page_obj"].object_list) == min(rows, 25)


# --- create ------------------------------------------------------------------


def test_create_person_saves_through_service_and_audits(client, navigator_a, program_a):
    client.force_login(navigator_a)
    assert client.get(reverse("person-create")).status_code == 200
    response = client.post(reverse("person-create"), person_post())
    person = Person.objects.get(last_name="Lopez")
    assert response.status_code == 302
    assert response.url == reverse("person-detail", args=[person.pk])
    assert person.program == program_a
    assert person.created_by == navigator_a
    assert sorted(a.name for a in person.aliases.all()) == ["La Flaca", "Mary L"]
    assert person.gender == ["woman"]
    assert person.race_ethnicity == ["hispanic", "white"]
    assert person.sms_consent and person.sms_consent_at is not None
    assert person.date_of_birth == datetime.date(1980, 4, 2)
    assert person.dob_precision == DobPrecision.EXACT
    event = AuditEvent.objects.get(object_type="cases.person", action="create")
    assert event.actor == navigator_a
    assert event.person_id == person.pk
    assert event.source == "web"


def test_create_person_with_estimated_age(client, navigator_a):
    client.force_login(navigator_a)
    client.post(
        reverse("person-create"),
        person_post(date_of_birth="", estimated_age="40"),
    )
    person = Person.objects.get(last_name="Lopez")
    assert person.dob_precision == DobPrecision.ESTIMATED
    assert person.age_on(timezone.localdate()) in (39, 40)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"first_name": "", "last_name": "", "preferred_name": ""},
            "first_name",
            "Give at least a first, last or preferred name.",
        ),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth", "in the future"),
        ({"estimated_age": "40"}, "estimated_age", "not both"),
        ({"phone": ""}, "sms_consent", "SMS consent needs a phone number"),
        ({"date_of_birth": "31/02/1980"}, "date_of_birth", "Enter a valid date"),
        ({"gender": ["wizard"]}, "gender", "Select a valid choice"),
    ],
)
def test_create_person_errors_land_on_the_field(
    client, navigator_a, overrides, field, message
):
    client.force_login(navigator_a)
    response = client.post(
        reverse("person-create"), person_post(**overrides, city="Keep Me")
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert any(message in error for error in form.errors[field])
    # Nothing typed is lost: the page shows the values again.
    assert 'value="Keep Me"' in response.text
    assert "Startles easily" in response.text
    assert not Person.objects.exists()


def test_create_person_multi_program_user_chooses_program(client, program_a):
    other = ProgramFactory(slug="other")
    user = member(program_a, Role.NAVIGATOR)
    from navigator.models import Membership

    Membership.objects.create(user=user, program=other, role=Role.NAVIGATOR)
    client.force_login(user)
    missing = client.post(reverse("person-create"), person_post())
    assert "program" in missing.context["form"].errors
    client.post(reverse("person-create"), person_post(program=str(other.pk)))
    assert Person.objects.get(last_name="Lopez").program == other


def test_create_person_cannot_target_another_program(client, navigator_a, program_b):
    client.force_login(navigator_a)
    # A forged program field is ignored for a one-program user: the form has
    # no such field, and the record goes to the user's only program.
    client.post(reverse("person-create"), person_post(program=str(program_b.pk)))
    assert Person.objects.get(last_name="Lopez").program != program_b


# --- edit --------------------------------------------------------------------


def test_edit_person_shows_current_values_and_saves(client, navigator_a, program_a):
    person = PersonFactory(
        program=program_a,
        first_name="Sam",
        last_name="Reed",
        gender=["man"],
        safety_notes="Dog on premises",
    )
    Alias.objects.create(person=person, name="Sammy")
    client.force_login(navigator_a)
    page = client.get(reverse("person-edit", args=[person.pk]))
    assert page.status_code == 200
    assert 'value="Reed"' in page.text
    assert "Sammy" in page.text
    assert "Dog on premises" in page.text

    data = page.context["form"].initial | {
        "aliases": "Sammy\nS-Dog",
        "housing_situation": HousingSituation.EMERGENCY_SHELTER,
    }
    data = {
        k: ("" if v is None else v.isoformat() if hasattr(v, "isoformat") else v)
        for k, v in data.items()
        if not (isinstance(v, bool) and not v)
    }
    response = client.post(reverse("person-edit", args=[person.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    person.refresh_from_db()
    assert person.housing_situation == HousingSituation.EMERGENCY_SHELTER
    assert sorted(a.name for a in person.aliases.all()) == ["S-Dog", "Sammy"]
    event = AuditEvent.objects.get(object_type="cases.person", action="update")
    assert set(event.changes) == {"housing_situation", "aliases"}


def test_edit_keeps_untouched_estimated_birth_date(client, navigator_a, program_a):
    person = PersonFactory(
        program=program_a,
        date_of_birth=datetime.date(1970, 6, 15),
        dob_precision=DobPrecision.ESTIMATED,
    )
    client.force_login(navigator_a)
    form = client.get(reverse("person-edit", args=[person.pk])).context["form"]
    assert form.initial["estimated_age"] is not None
    data = person_post(
        first_name=person.first_name,
        last_name=person.last_name,
        date_of_birth="",
        estimated_age=str(form.initial["estimated_age"]),
        city="Elsewhere",
    )
    client.post(reverse("person-edit", args=[person.pk]), data)
    person.refresh_from_db()
    assert person.city == "Elsewhere"
    assert person.date_of_birth == datetime.date(1970, 6, 15)


def test_edit_after_someone_elses_save_is_refused(client, navigator_a, program_a):
    person = PersonFactory(program=program_a, first_name="Sam", last_name="Reed")
    client.force_login(navigator_a)
    url = reverse("person-edit", args=[person.pk])
    token = client.get(url).context["form"].initial["updated_at"]
    assert f'name="updated_at" value="{token}"' in client.get(url).text
    from cases.services import person_update

    person_update(by=navigator_a, person=person, data={"city": "Colleague's"})
    response = client.post(
        url,
        person_post(first_name="Sam", last_name="Reed", city="Mine", updated_at=token),
    )
    assert response.status_code == 200
    assert "Someone else changed this record" in response.text
    assert 'value="Mine"' in response.text
    person.refresh_from_db()
    assert person.city == "Colleague's"


def test_edit_error_lands_on_field(client, navigator_a, program_a):
    person = PersonFactory(program=program_a)
    client.force_login(navigator_a)
    response = client.post(
        reverse("person-edit", args=[person.pk]),
        person_post(first_name="", last_name="", preferred_name=""),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["first_name"]


def test_edit_other_program_or_deleted_person_is_404(
    client, navigator_a, program_b, program_a
):
    theirs = PersonFactory(program=program_b)
    deleted = PersonFactory(program=program_a, deleted_at=timezone.now())
    client.force_login(navigator_a)
    for person in (theirs, deleted):
        url = reverse("person-edit", args=[person.pk])
        assert client.get(url).status_code == 404
        assert client.post(url, person_post()).status_code == 404
    assert not AuditEvent.objects.exists()
