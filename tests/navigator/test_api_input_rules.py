"""The API takes what its schema says, in the type it says, and nothing else.

Found by schemathesis: ``"narrative": 0`` was stored as "0", an officer
``{"name": 5}`` as "5", ``"remind_person": "yes"`` as true, and
``PATCH {"status": "completed"}`` on a follow-up answered 200 and changed
nothing. The rules (docs/decisions/0007-api-input-rules.md): a wrong JSON type
is a 400 naming the field; so is any field the request schema does not list,
read-only ones included.
"""

from __future__ import annotations

import datetime
import importlib
from typing import cast

import pytest
from django.utils import timezone
from rest_framework import serializers

from followups.models import Followup
from navigator.api import fields as strict
from navigator.api.serializers import READ_ONLY_MESSAGE, StrictFieldsMixin
from tests.factories import EncounterFactory, PersonFactory, token_client
from tests.followups.helpers import schedule

pytestmark = pytest.mark.django_db

API_MODULES = (
    "cases.api.serializers",
    "cases.familiar.api",
    "followups.api.serializers",
    "navigator.api.serializers",
    "referrals.api.serializers",
)

STRICT_TYPES = (
    strict.StrictCharField,
    strict.StrictEmailField,
    strict.StrictChoiceField,
    strict.StrictIntegerField,
    strict.StrictDecimalField,
    strict.StrictBooleanField,
    serializers.DateTimeField,  # DRF parses strings only
    serializers.DateField,
    serializers.ListField,  # refuses strings and objects; its child is checked
)


def request_serializers() -> list[type]:
    found = []
    for name in API_MODULES:
        module = importlib.import_module(name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, StrictFieldsMixin)
                and issubclass(value, serializers.BaseSerializer)
                and value.__module__ == name
                # The bases themselves, with no model to describe.
                and not (
                    issubclass(value, serializers.ModelSerializer)
                    and not hasattr(value, "Meta")
                )
            ):
                found.append(value)
    return found


def writable_fields(serializer, prefix: str = ""):
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        yield prefix + name, field
        child = getattr(field, "child", None)
        if isinstance(child, serializers.Serializer):
            yield from writable_fields(child, f"{prefix}{name}[].")
        elif child is not None:
            yield f"{prefix}{name}[]", child


@pytest.mark.parametrize("serializer_class", request_serializers())
def test_every_writable_field_takes_its_own_json_type_only(serializer_class):
    loose = [
        f"{name}: {type(field).__name__}"
        for name, field in writable_fields(serializer_class())
        if not isinstance(field, STRICT_TYPES + (StrictFieldsMixin,))
    ]
    assert not loose, loose


def test_every_request_body_in_the_schema_is_strict(client, navigator_a):
    schemas = token_client(navigator_a).get("/api/schema/", {"format": "json"})
    components = schemas.json()["components"]["schemas"]
    requests = {k: v for k, v in components.items() if k.endswith("Request")}
    assert requests
    for name, component in requests.items():
        assert component.get("additionalProperties") is False, name
        read_only = [k for k, v in component["properties"].items() if "readOnly" in v]
        assert not read_only, (name, read_only)


@pytest.mark.parametrize("serializer_class", request_serializers())
def test_every_read_only_field_sent_is_refused_naming_it(serializer_class):
    serializer = serializer_class()
    for name, field in serializer.fields.items():
        if not field.read_only:
            continue
        with pytest.raises(serializers.ValidationError) as caught:
            serializer.to_internal_value({name: "anything"})
        # A serializer's errors are a dict of lists of messages.
        message = cast(dict[str, list[str]], caught.value.detail)[name][0]
        assert message.startswith("Read-only field;"), (name, message)


# --- the findings, over HTTP --------------------------------------------------


@pytest.fixture
def api(navigator_a):
    return token_client(navigator_a)


def assert_400_naming(response, field: str) -> None:
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"], response.json()


def encounter_body(person, **more) -> dict:
    return {
        "person": person.pk,
        "started_at": (timezone.now() - datetime.timedelta(hours=1)).isoformat(),
        "source": "officer_request",
        "disposition": "resources_provided",
        **more,
    }


@pytest.mark.parametrize(
    "more, field",
    [
        ({"narrative": 0}, "narrative"),
        ({"narrative": True}, "narrative"),
        ({"officers": [{"name": 5}]}, "officers[0].name"),
        ({"minutes_engaged": "25"}, "minutes_engaged"),
        ({"minutes_engaged": 25.5}, "minutes_engaged"),
        ({"minutes_engaged": True}, "minutes_engaged"),
        ({"latitude": "47.6"}, "latitude"),
        ({"diverted": "yes"}, "diverted"),
        ({"diverted": 1}, "diverted"),
        ({"source": 1}, "source"),
        ({"concerns": [1]}, "concerns"),
        ({"navigators": ["1"]}, "navigators[0]"),
        ({"program": "1"}, "program"),
        ({"cad_number": 123}, "cad_number"),
        # Spellings the parser took but the schema's pattern does not give.
        ({"started_at": "20260101T1000"}, "started_at"),
        ({"started_at": "2026-01-01"}, "started_at"),
        ({"started_at": "2026-01-01T10"}, "started_at"),
        ({"started_at": "\u0662\u0660\u0662\u0666-01-01T10:00"}, "started_at"),
    ],
)
def test_encounter_wrong_types_are_refused(api, program_a, more, field):
    person = PersonFactory(program=program_a)
    response = api.post(
        "/api/v1/encounters/", encounter_body(person, **more), format="json"
    )
    assert_400_naming(response, field)


def test_a_whole_float_is_an_integer(api, program_a):
    # JSON Schema's "integer" includes 25.0; only a fraction is refused.
    person = PersonFactory(program=program_a)
    response = api.post(
        "/api/v1/encounters/",
        encounter_body(person, minutes_engaged=25.0),
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["minutes_engaged"] == 25


@pytest.mark.parametrize(
    "body, field",
    [
        ({"first_name": 5}, "first_name"),
        ({"first_name": "Ana", "estimated_age": "40"}, "estimated_age"),
        ({"first_name": "Ana", "estimated_age": True}, "estimated_age"),
        ({"first_name": "Ana", "aliases": [5]}, "aliases[0]"),
        ({"first_name": "Ana", "email": 5}, "email"),
        ({"first_name": "Ana", "sms_consent": "true"}, "sms_consent"),
        ({"first_name": "Ana", "gender": "woman"}, "gender"),
        ({"first_name": "Ana", "date_of_birth": "19800102"}, "date_of_birth"),
        # The schema's maxLength counts what was sent, before trimming.
        ({"preferred_name": "\x1d" + "b" * 100}, "preferred_name"),
    ],
)
def test_person_wrong_types_are_refused(api, body, field):
    assert_400_naming(api.post("/api/v1/people/", body, format="json"), field)


def test_followup_remind_person_yes_is_refused(api, navigator_a, program_a):
    person = PersonFactory(program=program_a)
    response = api.post(
        "/api/v1/followups/",
        {
            "person": person.pk,
            "due_at": (timezone.now() + datetime.timedelta(days=1)).isoformat(),
            "method": "phone",
            "remind_person": "yes",
        },
        format="json",
    )
    assert_400_naming(response, "remind_person")
    assert not Followup.objects.exists()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"outcome": 1}, "outcome"),
        ({"outcome": "reached", "notes": 0}, "notes"),
    ],
)
def test_followup_action_wrong_types(api, navigator_a, body, field):
    followup = schedule(navigator_a)
    response = api.post(
        f"/api/v1/followups/{followup.pk}/complete/", body, format="json"
    )
    assert_400_naming(response, field)


def test_encounter_read_only_field_is_refused(api, program_a):
    encounter = EncounterFactory(person=PersonFactory(program=program_a))
    response = api.patch(
        f"/api/v1/encounters/{encounter.pk}/", {"created_by": 1}, format="json"
    )
    assert_400_naming(response, "created_by")
    assert response.json()["fields"]["created_by"] == [READ_ONLY_MESSAGE]


# --- what comes back matches the schema -------------------------------------


def test_an_open_followups_outcome_is_null_as_the_schema_says(api, navigator_a):
    followup = schedule(navigator_a)
    body = api.get(f"/api/v1/followups/{followup.pk}/").json()
    assert body["outcome"] is None
    schema = api.get("/api/schema/", {"format": "json"}).json()
    outcome = schema["components"]["schemas"]["Followup"]["properties"]["outcome"]
    assert outcome["nullable"] is True
    done = api.post(
        f"/api/v1/followups/{followup.pk}/complete/",
        {"outcome": "reached"},
        format="json",
    )
    assert done.json()["outcome"] == "reached"
