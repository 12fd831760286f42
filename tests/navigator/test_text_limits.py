"""Free text is bounded once, where it is stored, and every front door agrees.

Found by probing: a 2.4 MB narrative was stored and wrote a 3.5 MB audit
row. Each limit lives on the model field (navigator.fields.BoundedTextField)
or beside a list's validator; the services enforce it (validate_model /
clean_reason), so a service called directly, the page, the API and the import
refuse the same input; forms and serializers are derived from the same field.
"""

from __future__ import annotations

import datetime
import io
from pathlib import Path
from typing import Unpack

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models
from django.utils import timezone

from cases import services as cases_services
from cases.api.serializers import (
    EncounterSerializer,
    FamilyContactSerializer,
    PersonSerializer,
)
from cases.familiar import services as familiar_services
from cases.forms import EncounterForm, FamilyContactForm, PersonForm, ReasonForm
from cases.models import (
    MAX_ALIASES,
    MAX_RESPONDERS,
    Encounter,
    FamiliarFaceEnrollment,
    FamilyContact,
    Person,
)
from cases.models.validators import MAX_OFFICERS, UNPARSED_VALUE_MAX_LENGTH
from cases.services.inputs import EncounterData, Officer
from followups import services as followup_services
from followups.api.serializers import FollowupCompleteSerializer
from followups.forms import FollowupCompleteForm
from followups.models import Followup
from navigator.api.serializers import ReasonSerializer
from navigator.errors import DomainError
from navigator.fields import REASON_MAX_LENGTH, BoundedTextField
from navigator.models import AuditEvent
from tests.cases.familiar_world import flag_of, flagged
from tests.factories import EncounterFactory, PersonFactory, token_client
from tests.followups.helpers import schedule

pytestmark = pytest.mark.django_db

NARRATIVE = Encounter._meta.get_field("narrative").max_length

# TextFields left unbounded, and why: none of them is typed by a user.
UNBOUNDED = {
    ("cases", "person", "search_text"): "derived from bounded names",
    ("cases", "person", "search_phonetic"): "derived from search_text",
    ("followups", "reminder", "last_error"): "provider errors, cut to 2000",
    ("followups", "delivery", "error"): "provider errors, cut to 2000",
    ("navigator", "auditevent", "reason"): "written from bounded reasons",
}


def test_every_text_field_is_bounded():
    found = []
    for model in apps.get_models():
        if model._meta.app_label not in {"cases", "followups", "navigator"}:
            continue
        for field in model._meta.concrete_fields:
            key = (model._meta.app_label, model._meta.model_name, field.name)
            if (
                isinstance(field, models.TextField)
                and not isinstance(field, BoundedTextField)
                and key not in UNBOUNDED
            ):
                found.append(key)
    assert not found, f"unbounded free text: {found}"


def test_the_limits_are_a_few_thousand_words_at_most():
    assert NARRATIVE == 20_000
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, BoundedTextField):
                assert field.max_length <= NARRATIVE, field


@pytest.mark.parametrize(
    "shape, name, model_field",
    [
        (EncounterForm, "narrative", Encounter._meta.get_field("narrative")),
        (PersonForm, "safety_notes", Person._meta.get_field("safety_notes")),
        (FamilyContactForm, "notes", FamilyContact._meta.get_field("notes")),
        (FollowupCompleteForm, "notes", Followup._meta.get_field("notes")),
        (ReasonForm, "reason", Person._meta.get_field("deleted_reason")),
        (EncounterSerializer, "narrative", Encounter._meta.get_field("narrative")),
        (PersonSerializer, "safety_notes", Person._meta.get_field("safety_notes")),
        (FamilyContactSerializer, "notes", FamilyContact._meta.get_field("notes")),
        (FollowupCompleteSerializer, "notes", Followup._meta.get_field("notes")),
        (ReasonSerializer, "reason", Person._meta.get_field("deleted_reason")),
    ],
)
def test_forms_and_serializers_show_the_models_limit(shape, name, model_field):
    fields = shape.base_fields if hasattr(shape, "base_fields") else shape().fields
    assert fields[name].max_length == model_field.max_length


# --- services, called directly -------------------------------------------------


def too_long(field) -> str:
    return "x" * (field.max_length + 1)


def assert_refused(field: str, call) -> None:
    with pytest.raises(DomainError) as caught:
        call()
    assert field in caught.value.fields, caught.value.fields


def test_encounter_narrative(navigator_a, program_a):
    person = PersonFactory(program=program_a)
    data: EncounterData = {
        "started_at": timezone.now() - datetime.timedelta(hours=1),
        "source": "officer_request",
        "disposition": "resources_provided",
    }

    def log(**more: Unpack[EncounterData]) -> Encounter:
        return cases_services.encounter_log(
            by=navigator_a, person=person, data={**data, **more}
        )

    assert_refused("narrative", lambda: log(narrative="x" * (NARRATIVE + 1)))
    assert_refused("narrative", lambda: log(narrative="nul \x00 byte"))
    assert not Encounter.objects.exists()
    assert not AuditEvent.objects.exists()
    assert len(log(narrative="x" * NARRATIVE).narrative) == NARRATIVE


def test_encounter_lists(navigator_a, program_a):
    encounter = EncounterFactory(person=PersonFactory(program=program_a))
    officers: list[Officer] = [{"name": f"Ofc {i}"} for i in range(MAX_OFFICERS + 1)]
    assert_refused(
        "officers",
        lambda: cases_services.encounter_update(
            by=navigator_a, encounter=encounter, data={"officers": officers}
        ),
    )
    assert_refused(
        "navigators",
        lambda: cases_services.encounter_update(
            by=navigator_a,
            encounter=encounter,
            data={},
            navigators=list(range(1, MAX_RESPONDERS + 2)),
        ),
    )


def test_person_safety_notes_and_aliases(navigator_a):
    field = Person._meta.get_field("safety_notes")
    assert_refused(
        "safety_notes",
        lambda: cases_services.person_create(
            by=navigator_a, data={"first_name": "Ana", "safety_notes": too_long(field)}
        ),
    )
    assert_refused(
        "aliases",
        lambda: cases_services.person_create(
            by=navigator_a,
            data={"first_name": "Ana"},
            aliases=[f"alias {i}" for i in range(MAX_ALIASES + 1)],
        ),
    )
    assert not Person.objects.exists()


def test_family_contact_notes(navigator_a, program_a):
    person = PersonFactory(program=program_a)
    assert_refused(
        "notes",
        lambda: cases_services.family_contact_add(
            by=navigator_a,
            person=person,
            data={
                "name": "Rosa",
                "relationship": "mother",
                "notes": too_long(FamilyContact._meta.get_field("notes")),
            },
        ),
    )


REASON = "r" * (REASON_MAX_LENGTH + 1)


def test_every_reason_is_bounded(navigator_a, manager_a, program_a):
    person = PersonFactory(program=program_a)
    encounter = EncounterFactory(person=person)
    contact = cases_services.family_contact_add(
        by=navigator_a, person=person, data={"name": "Rosa", "relationship": "aunt"}
    )
    followup = schedule(navigator_a, person=person)
    for call in (
        lambda: cases_services.person_soft_delete(
            by=navigator_a, person=person, reason=REASON
        ),
        lambda: cases_services.encounter_soft_delete(
            by=navigator_a, encounter=encounter, reason=REASON
        ),
        lambda: cases_services.family_contact_remove(
            by=navigator_a, contact=contact, reason=REASON
        ),
        lambda: followup_services.followup_cancel(
            by=navigator_a, followup=followup, reason=REASON
        ),
        lambda: followup_services.followup_reschedule(
            by=navigator_a,
            followup=followup,
            due_at=timezone.now() + datetime.timedelta(days=2),
            reason=REASON,
        ),
    ):
        assert_refused("reason", call)
    cases_services.person_soft_delete(by=navigator_a, person=person, reason="dup")
    assert_refused(
        "reason",
        lambda: cases_services.person_restore(
            by=manager_a, person=person, reason=REASON
        ),
    )


def test_followup_notes(navigator_a):
    followup = schedule(navigator_a)
    notes = too_long(Followup._meta.get_field("notes"))
    assert_refused(
        "notes",
        lambda: followup_services.followup_complete(
            by=navigator_a, followup=followup, outcome="reached", notes=notes
        ),
    )
    assert_refused(
        "notes",
        lambda: followup_services.followup_mark_missed(
            by=navigator_a, followup=followup, notes=notes
        ),
    )
    followup.refresh_from_db()
    assert followup.status == "scheduled"


def test_familiar_plan_and_reasons(manager_a, navigator_a, program_a):
    person = flagged(program_a, n_people=1)[0]
    flag = flag_of(person)
    plan = too_long(FamiliarFaceEnrollment._meta.get_field("plan"))
    assert_refused(
        "plan",
        lambda: familiar_services.familiar_enroll(
            by=manager_a, person=person, navigator=navigator_a, plan=plan
        ),
    )
    assert not FamiliarFaceEnrollment.objects.exists()
    assert_refused(
        "reason",
        lambda: familiar_services.familiar_flag_dismiss(
            by=manager_a, flag=flag, reason=REASON
        ),
    )
    enrollment = familiar_services.familiar_enroll(
        by=manager_a, person=person, navigator=navigator_a, plan="Weekly calls"
    )
    assert_refused(
        "reason",
        lambda: familiar_services.familiar_enrollment_end(
            by=manager_a, enrollment=enrollment, reason=REASON
        ),
    )


# --- the page, the API, the import ------------------------------------------


def test_page_refuses_a_long_narrative(client, navigator_a, program_a):
    from tests.cases.test_pages_encounters import encounter_post

    person = PersonFactory(program=program_a)
    client.force_login(navigator_a)
    response = client.post(
        "/encounters/new/",
        encounter_post(person=str(person.pk), narrative="x" * (NARRATIVE + 1)),
    )
    assert response.status_code == 200
    assert f"at most {NARRATIVE} characters" in response.content.decode()
    assert not Encounter.objects.exists()


@pytest.fixture
def api(navigator_a):
    return token_client(navigator_a)


def post_encounter(api, person, **more):
    body = {
        "person": person.pk,
        "started_at": timezone.now().isoformat(),
        "source": "officer_request",
        "disposition": "resources_provided",
        **more,
    }
    return api.post("/api/v1/encounters/", body, format="json")


def test_api_refuses_a_long_narrative_and_says_so_in_the_schema(api, program_a):
    person = PersonFactory(program=program_a)
    response = post_encounter(api, person, narrative="x" * (NARRATIVE + 1))
    assert response.status_code == 400
    assert "narrative" in response.json()["fields"]
    schema = api.get("/api/schema/", {"format": "json"}).json()["components"]
    narrative = schema["schemas"]["EncounterRequest"]["properties"]["narrative"]
    assert narrative["maxLength"] == NARRATIVE
    officers = schema["schemas"]["EncounterRequest"]["properties"]["officers"]
    assert officers["maxItems"] == MAX_OFFICERS


def test_api_refuses_too_many_aliases(api, program_a):
    response = api.post(
        "/api/v1/people/",
        {"first_name": "Ana", "aliases": [f"a{i}" for i in range(MAX_ALIASES + 1)]},
        format="json",
    )
    assert response.status_code == 400
    assert "aliases" in response.json()["fields"]


def test_import_reports_an_overlong_value_and_keeps_going(tmp_path: Path, program_a):
    long_phone = "call me maybe " * 200
    path = tmp_path / "people.csv"
    path.write_text(
        "external_id,first_name,last_name,phone\n"
        f"A-1,Ana,Lee,{long_phone}\n"
        f"A-2,{'B' * 300},Okafor,\n"
        "A-3,Cy,Diaz,805-555-0100\n"
    )
    out = io.StringIO()
    call_command("import_people", str(path), "--program", program_a.slug, stdout=out)
    text = out.getvalue()
    assert "line 2: phone" in text
    assert f"kept its first {UNPARSED_VALUE_MAX_LENGTH} characters" in text
    assert "line 3: first_name" in text
    people = {p.external_id: p for p in Person.objects.all()}
    assert set(people) == {"A-1", "A-2", "A-3"}
    assert len(people["A-1"].unparsed["phone"]) == UNPARSED_VALUE_MAX_LENGTH
    assert (
        len(people["A-2"].first_name) == Person._meta.get_field("first_name").max_length
    )


def test_choice_lists_are_bounded_by_their_choices(api, program_a):
    from cases.models import Concern

    person = PersonFactory(program=program_a)
    response = post_encounter(api, person, concerns=["other"] * 1000)
    assert response.status_code == 400
    assert "concerns" in response.json()["fields"]
    schema = api.get("/api/schema/", {"format": "json"}).json()["components"]
    concerns = schema["schemas"]["EncounterRequest"]["properties"]["concerns"]
    assert concerns["uniqueItems"] is True
    assert concerns["maxItems"] == len(Concern.values)
