"""/api/v1/people/: wiring, scoping, audit of reads, soft delete and restore."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from cases.models import DobPrecision, FamilyContact, Person
from navigator.models import AuditAction, AuditEvent, Role
from navigator.services import api_token_create
from tests.factories import PersonFactory, member, request_fields

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
    return "/api/v1/people/" + (f"{pk}/" if pk else "") + suffix


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


# --- list, search, filters ---------------------------------------------------


def test_list_is_scoped_to_the_users_programs(api, program_a, program_b):
    mine = PersonFactory(program=program_a, first_name="Ana", last_name="Mine")
    PersonFactory(program=program_b, first_name="Bea", last_name="Theirs")
    response = api.get(url())
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert [p["id"] for p in body["results"]] == [mine.pk]
    assert body["results"][0]["display_name"] == "Ana Mine"
    assert "family_contacts" not in body["results"][0]  # detail only


def test_list_leaves_out_soft_deleted_people(api, program_a):
    PersonFactory(program=program_a, deleted_at=timezone.now())
    assert api.get(url()).json()["count"] == 0


def test_search_matches_aliases_accent_and_case_insensitively(
    api, navigator_a, program_a
):
    from cases.services import person_create

    person_create(
        by=navigator_a,
        data={"first_name": "Robert", "last_name": "Núñez"},
        aliases=["Bobby Tables"],
    )
    PersonFactory(program=program_a, first_name="Other", last_name="Person")
    for q in ("nunez", "NÚÑEZ", "bobby"):
        results = api.get(url(), {"q": q}).json()["results"]
        assert [p["last_name"] for p in results] == ["Núñez"], q
        assert results[0]["aliases"] == ["Bobby Tables"]


def test_filters_by_housing_and_age(api, program_a):
    today = timezone.localdate()
    young = PersonFactory(
        program=program_a,
        date_of_birth=today.replace(year=today.year - 20, month=1, day=1),
        housing_situation="unsheltered",
    )
    PersonFactory(
        program=program_a,
        date_of_birth=today.replace(year=today.year - 60, month=1, day=1),
        housing_situation="unsheltered",
    )
    PersonFactory(
        program=program_a,
        date_of_birth=today.replace(year=today.year - 20, month=1, day=1),
        housing_situation="housed",
    )
    response = api.get(
        url(), {"housing_situation": "unsheltered", "age_min": 18, "age_max": 30}
    )
    assert [p["id"] for p in response.json()["results"]] == [young.pk]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"housing_situation": "castle"}, "housing_situation"),
        ({"age_min": "old"}, "age_min"),
        # Unbounded ages used to reach a date before year 1 (a 500).
        ({"age_min": 100000}, "age_min"),
        ({"age_max": 99999999}, "age_max"),
        ({"date_of_birth": "1990-02-30"}, "date_of_birth"),
    ],
)
def test_bad_filters_are_400_naming_the_filter(api, params, field):
    assert_error(api.get(url(), params), 400, field)


def test_filter_by_another_programs_id_is_refused(api, program_b):
    assert_error(api.get(url(), {"program": program_b.pk}), 400, "program")


def test_page_size_is_honoured_and_capped(api, program_a):
    PersonFactory.create_batch(3, program=program_a)
    body = api.get(url(), {"page_size": 2}).json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
    assert api.get(url(), {"page": 99}).status_code == 404


# --- detail --------------------------------------------------------------------


def test_detail_logs_an_audited_view_and_nests_contacts(api, navigator_a, program_a):
    person = PersonFactory(program=program_a)
    FamilyContact.objects.create(person=person, name="Mum", relationship="mother")
    FamilyContact.objects.create(
        person=person, name="Gone", relationship="x", deleted_at=timezone.now()
    )
    response = api.get(url(person.pk))
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == person.pk
    assert [c["name"] for c in body["family_contacts"]] == ["Mum"]
    view = AuditEvent.objects.get(action=AuditAction.VIEW)
    assert (view.actor, view.person_id, view.source) == (navigator_a, person.pk, "api")
    assert view.request_id == response["X-Request-ID"]


def test_another_programs_person_is_404_and_not_audited(api, program_b):
    theirs = PersonFactory(program=program_b)
    assert_error(api.get(url(theirs.pk)), 404)
    assert_error(api.patch(url(theirs.pk), {"city": "x"}, format="json"), 404)
    assert_error(api.delete(url(theirs.pk), {"reason": "x"}, format="json"), 404)
    assert not RECORD_EVENTS.exists()


def test_missing_person_is_404_in_the_error_shape(api):
    body = assert_error(api.get(url(999999)), 404)
    assert body["code"] == "not_found"


@pytest.mark.parametrize("role", [Role.ADMIN, Role.PARTNER])
def test_admin_and_partner_users_see_no_people(program_a, role):
    person = PersonFactory(program=program_a)
    client = client_for(member(program_a, role))
    assert client.get(url()).json()["count"] == 0
    assert_error(client.get(url(person.pk)), 404)
    assert_error(client.post(url(), {"first_name": "X"}, format="json"), 400, "program")


# --- create ----------------------------------------------------------------


def test_create_in_the_users_only_program(api, navigator_a, program_a):
    response = api.post(
        url(),
        {
            "first_name": "Dana",
            "last_name": "Cruz",
            "aliases": ["DC", "Dee"],
            "estimated_age": 40,
            "gender": ["woman"],
            "housing_situation": "unsheltered",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    person = Person.objects.get(pk=body["id"])
    assert person.program == program_a
    assert person.created_by == navigator_a
    assert person.dob_precision == DobPrecision.ESTIMATED
    assert body["age"] in (39, 40)
    assert sorted(body["aliases"]) == ["DC", "Dee"]
    assert body["family_contacts"] == []
    assert "estimated_age" not in body
    event = RECORD_EVENTS.get(action=AuditAction.CREATE)
    assert event.source == "api" and event.person_id == person.pk


def test_create_needs_a_program_when_the_user_has_several(program_a, program_b):
    user = member(program_a, Role.NAVIGATOR)
    from navigator.models import Membership

    Membership.objects.create(user=user, program=program_b, role=Role.NAVIGATOR)
    client = client_for(user)
    assert_error(client.post(url(), {"first_name": "X"}, format="json"), 400, "program")
    response = client.post(
        url(), {"first_name": "X", "program": program_b.pk}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["program"] == program_b.pk


def test_create_in_another_program_is_refused(api, program_b):
    body = assert_error(
        api.post(url(), {"first_name": "X", "program": program_b.pk}, format="json"),
        400,
        "program",
    )
    assert not Person.objects.exists(), body


@pytest.mark.parametrize(
    "data, field",
    [
        ({"last_name": "X", "date_of_birth": "1990-02-30"}, "date_of_birth"),
        ({"last_name": "X", "date_of_birth": "next tuesday"}, "date_of_birth"),
        ({"last_name": "X", "date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({"last_name": "X", "veteran_status": "maybe"}, "veteran_status"),
        ({"last_name": "X", "gender": ["robot"]}, "gender"),
        ({"last_name": "X", "gender": "woman"}, "gender"),
        ({"last_name": "X", "email": "not-an-email"}, "email"),
        ({"last_name": "X", "estimated_age": 300}, "estimated_age"),
        ({"last_name": "X", "estimated_age": "forty"}, "estimated_age"),
        (
            {"last_name": "X", "estimated_age": 40, "date_of_birth": "1980-01-01"},
            "estimated_age",
        ),
        ({"last_name": "X", "sms_consent": True}, "sms_consent"),
        ({"last_name": "X", "sms_consent": "perhaps"}, "sms_consent"),
        ({"last_name": "X", "sms_consent": 1, "phone": "555"}, "sms_consent"),
        ({"last_name": "X", "aliases": "Bob"}, "aliases"),
        ({"last_name": "X", "aliases": ["x" * 201]}, "aliases[0]"),
        ({"last_name": {"nested": 1}}, "last_name"),
        ({"last_name": "X" * 101}, "last_name"),
        ({"last_name": "nul\x00byte"}, "last_name"),
        ({"middle_name": "only a middle name"}, "first_name"),
        ({"last_name": "X", "firstname": "typo"}, "firstname"),
    ],
)
def test_bad_person_input_is_400_naming_the_field(api, data, field):
    body = assert_error(api.post(url(), data, format="json"), 400, field)
    assert body["code"] in ("invalid", "required")
    assert not Person.objects.exists()


def test_duplicate_external_id_is_400(api, program_a):
    PersonFactory(program=program_a, external_id="EXT-1")
    assert_error(
        api.post(url(), {"last_name": "X", "external_id": "EXT-1"}, format="json"),
        400,
    )


# --- update --------------------------------------------------------------------


def test_patch_changes_only_what_is_sent_and_is_audited(api, program_a):
    person = PersonFactory(program=program_a, first_name="Ana", city="Salem")
    response = api.patch(
        url(person.pk), {"city": "Eugene", "aliases": ["Annie"]}, format="json"
    )
    assert response.status_code == 200, response.content
    person.refresh_from_db()
    assert (person.first_name, person.city) == ("Ana", "Eugene")
    assert list(person.aliases.values_list("name", flat=True)) == ["Annie"]
    event = AuditEvent.objects.get(action=AuditAction.UPDATE)
    assert event.changes["city"] == ["Salem", "Eugene"]


def test_put_round_trips_what_get_returned(api, program_a):
    """A client may GET, keep what the request schema lists, edit, PUT back."""
    person = PersonFactory(program=program_a, first_name="Ana")
    writable = request_fields(api, "PersonDetailRequest")
    body = {k: v for k, v in api.get(url(person.pk)).json().items() if k in writable}
    body["first_name"] = "Anna"
    response = api.put(url(person.pk), body, format="json")
    assert response.status_code == 200, response.content
    person.refresh_from_db()
    assert person.first_name == "Anna"


def test_read_only_fields_sent_back_are_refused_not_ignored(api, program_a):
    # docs/decisions/0007-api-input-rules.md: one rule for the whole API.
    person = PersonFactory(program=program_a, first_name="Ana")
    body = api.get(url(person.pk)).json()
    body["first_name"] = "Anna"
    response = api.put(url(person.pk), body, format="json")
    fields = assert_error(response, 400, "id")["fields"]
    assert set(fields) >= {"id", "display_name", "age", "created_at", "updated_at"}
    assert fields["age"] == ["Read-only field; it cannot be set."]
    person.refresh_from_db()
    assert person.first_name == "Ana"


def test_program_cannot_be_changed(api, program_a, program_b):
    person = PersonFactory(program=program_a)
    assert_error(
        api.patch(url(person.pk), {"program": program_b.pk}, format="json"),
        400,
        "program",
    )
    person.refresh_from_db()
    assert person.program == program_a


def test_invalid_patch_loses_nothing(api, navigator_a, program_a):
    from cases.services import person_create

    person = person_create(
        by=navigator_a,
        data={
            "first_name": "Ana",
            "last_name": "Lee",
            "date_of_birth": datetime.date(1980, 5, 1),
            "phone": "555-0100",
            "sms_consent": True,
            "safety_notes": "Dog on premises",
        },
        aliases=["Annie"],
    )
    before = api.get(url(person.pk)).json()
    for bad in (
        {"city": "Eugene", "date_of_birth": "1980-02-30"},
        {"city": "Eugene", "aliases": ["ok", "x" * 300]},
        {"city": "Eugene", "phone": ""},  # SMS consent needs a phone
        {"city": "Eugene", "first_name": "", "last_name": ""},
        {"aliases": [], "gender": ["robot"]},
        {"aliases": [], "date_of_birth": "2999-01-01"},
        {"aliases": [], "estimated_age": 40, "date_of_birth": "1980-05-01"},
    ):
        response = api.patch(url(person.pk), bad, format="json")
        assert response.status_code == 400, (bad, response.content)
    assert api.get(url(person.pk)).json() == before
    assert not AuditEvent.objects.filter(action=AuditAction.UPDATE).exists()


def test_update_of_a_deleted_person_is_404(api, program_a):
    person = PersonFactory(program=program_a, deleted_at=timezone.now())
    assert_error(api.patch(url(person.pk), {"city": "x"}, format="json"), 404)


# --- soft delete and restore ------------------------------------------------------


def test_delete_needs_a_reason(api, program_a):
    person = PersonFactory(program=program_a)
    body = assert_error(api.delete(url(person.pk)), 400, "reason")
    assert body["fields"]["reason"]
    assert_error(
        api.delete(url(person.pk), {"reason": "  "}, format="json"), 400, "reason"
    )
    person.refresh_from_db()
    assert not person.is_deleted


def test_delete_with_reason_in_body_then_restore(
    api, navigator_a, manager_a, program_a
):
    person = PersonFactory(program=program_a)
    response = api.delete(url(person.pk), {"reason": "duplicate"}, format="json")
    assert response.status_code == 204
    person.refresh_from_db()
    assert (person.deleted_by, person.deleted_reason) == (navigator_a, "duplicate")
    assert api.get(url(person.pk)).status_code == 404
    assert api.get(url()).json()["count"] == 0

    # Restoring is a manager's decision.
    assert_error(
        api.post(url(person.pk, "restore/"), {"reason": "x"}, format="json"), 403
    )
    manager = client_for(manager_a)
    response = manager.post(
        url(person.pk, "restore/"), {"reason": "oops"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["id"] == person.pk
    person.refresh_from_db()
    assert not person.is_deleted
    actions = list(RECORD_EVENTS.order_by("id").values_list("action", "reason"))
    assert actions == [
        (AuditAction.DELETE, "duplicate"),
        (AuditAction.RESTORE, "oops"),
    ]


def test_delete_with_reason_in_query(api, program_a):
    person = PersonFactory(program=program_a)
    assert api.delete(url(person.pk) + "?reason=entered+twice").status_code == 204
    person.refresh_from_db()
    assert person.deleted_reason == "entered twice"


def test_restoring_a_person_who_is_not_deleted_is_409(manager_a, program_a):
    # A manager's action (a navigator is refused first: 403, the role).
    person = PersonFactory(program=program_a)
    body = assert_error(client_for(manager_a).post(url(person.pk, "restore/")), 409)
    assert body["code"] == "conflict"


def test_deleting_twice_is_404(api, program_a):
    # A deleted record leaves the scoped lists, so a second DELETE finds nothing.
    person = PersonFactory(program=program_a)
    api.delete(url(person.pk), {"reason": "x"}, format="json")
    assert_error(api.delete(url(person.pk), {"reason": "x"}, format="json"), 404)


def test_restore_in_another_program_is_404(api, program_b):
    theirs = PersonFactory(program=program_b, deleted_at=timezone.now())
    assert_error(api.post(url(theirs.pk, "restore/")), 404)
    theirs.refresh_from_db()
    assert theirs.is_deleted


# --- family contacts -----------------------------------------------------------


def test_family_contacts_crud(api, program_a):
    person = PersonFactory(program=program_a)
    base = url(person.pk, "contacts/")
    response = api.post(
        base,
        {"name": "Rosa", "relationship": "sister", "phone": "555", "may_contact": True},
        format="json",
    )
    assert response.status_code == 201, response.content
    contact_id = response.json()["id"]
    assert response.json()["person"] == person.pk

    listed = api.get(base).json()
    assert [c["name"] for c in listed["results"]] == ["Rosa"]
    assert api.get(url(person.pk)).json()["family_contacts"][0]["id"] == contact_id

    response = api.patch(f"{base}{contact_id}/", {"phone": "556"}, format="json")
    assert response.status_code == 200 and response.json()["phone"] == "556"

    assert api.delete(f"{base}{contact_id}/?reason=moved+away").status_code == 204
    contact = FamilyContact.objects.get(pk=contact_id)
    assert contact.is_deleted and contact.deleted_reason == "moved away"
    assert api.get(base).json()["count"] == 0
    assert_error(api.get(f"{base}{contact_id}/"), 404)


def test_family_contact_errors(api, program_a, program_b):
    person = PersonFactory(program=program_a)
    other = PersonFactory(program=program_a)
    theirs = PersonFactory(program=program_b)
    contact = FamilyContact.objects.create(person=person, name="A", relationship="b")
    their_contact = FamilyContact.objects.create(
        person=theirs, name="C", relationship="d"
    )
    base = url(person.pk, "contacts/")
    assert_error(api.post(base, {"name": "x"}, format="json"), 400, "relationship")
    assert_error(
        api.post(base, {"name": "x", "relationship": "y", "age": 3}, format="json"),
        400,
        "age",
    )
    # Right id, wrong person in the URL: 404, not someone else's contact.
    assert_error(api.get(f"{url(other.pk, 'contacts/')}{contact.pk}/"), 404)
    assert_error(api.get(url(theirs.pk, "contacts/")), 404)
    assert_error(api.get(f"{url(theirs.pk, 'contacts/')}{their_contact.pk}/"), 404)
    assert_error(
        api.post(
            url(theirs.pk, "contacts/"),
            {"name": "x", "relationship": "y"},
            format="json",
        ),
        404,
    )


def test_reading_contacts_is_audited(api, program_a):
    person = PersonFactory(program=program_a)
    api.get(url(person.pk, "contacts/"))
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEW, person_id=person.pk
    ).exists()
