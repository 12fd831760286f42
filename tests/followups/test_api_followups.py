"""/api/v1/followups/: wiring, scoping, filters, transitions, audit, queries."""

from __future__ import annotations

import datetime
import json
import zoneinfo
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from cases.models import FamilyContact
from followups import services
from followups.models import Followup, Reminder, ReminderStatus, Status
from navigator.models import AuditAction, AuditEvent, Membership, Role
from navigator.services import api_token_create
from tests.factories import EncounterFactory, PersonFactory, member, request_fields
from tests.followups.helpers import schedule

pytestmark = pytest.mark.django_db

# Token, memberships, COUNT, page (person, program, assignee, contact,
# encounter and completer joined), the audit insert. Not one more for a
# bigger page.
FOLLOWUPS_MAX_QUERIES = 5


def client_for(user) -> APIClient:
    _, key = api_token_create(user=user, name="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def api(navigator_a):
    return client_for(navigator_a)


def url(pk=None, action=""):
    return (
        "/api/v1/followups/"
        + (f"{pk}/" if pk else "")
        + (f"{action}/" if action else "")
    )


def assert_error(response, status: int, field: str | None = None, code=None):
    """The one error shape; ``field`` is named, ``code`` matches."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"detail", "code", "fields"}, body
    assert body["detail"]
    if field is not None:
        assert field in body["fields"], body
    if code is not None:
        assert body["code"] == code, body
    return body


def in_hours(hours: float) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(hours=hours)


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def events(followup: Followup):
    return AuditEvent.objects.filter(
        object_type="followups.followup", object_id=str(followup.pk)
    ).order_by("id")


# --- list and detail ---------------------------------------------------------


def test_list_is_scoped_to_the_callers_programs(
    api, navigator_a, navigator_b, program_a
):
    mine = schedule(navigator_a)
    schedule(navigator_b)
    gone = schedule(navigator_a)
    gone.person.deleted_at = timezone.now()
    gone.person.save(update_fields=["deleted_at"])
    assert ids(api.get(url())) == [mine.pk]


def test_list_row_has_the_read_side(api, navigator_a, program_a):
    person = PersonFactory(program=program_a, first_name="Ana", last_name="Lee")
    contact = FamilyContact.objects.create(
        person=person, name="Rosa Lee", relationship="mother", may_contact=True
    )
    encounter = EncounterFactory(person=person)
    followup = schedule(
        navigator_a,
        person=person,
        contact=contact,
        encounter=encounter,
        purpose="Check the shelter bed",
        priority="urgent",
    )
    row = api.get(url()).json()["results"][0]
    assert row["id"] == followup.pk
    assert row["program"] == program_a.pk
    assert (row["person"], row["person_display_name"]) == (person.pk, "Ana Lee")
    assert row["encounter"] == encounter.pk
    assert row["assigned_to"] == navigator_a.pk
    assert row["assigned_to_name"] == navigator_a.get_full_name()
    assert (row["contact"], row["contact_name"], row["contact_relationship"]) == (
        contact.pk,
        "Rosa Lee",
        "mother",
    )
    assert (row["method"], row["priority"], row["status"]) == (
        "phone",
        "urgent",
        "scheduled",
    )
    assert row["purpose"] == "Check the shelter bed"
    assert row["is_overdue"] is False
    assert row["completed_by"] is None and row["completed_by_name"] is None
    assert datetime.datetime.fromisoformat(row["due_at"]) == followup.due_at
    for key in ("outcome", "notes", "cancelled_reason", "created_at", "updated_at"):
        assert key in row


def test_detail_is_audited_as_a_view_of_the_persons_record(api, navigator_a):
    followup = schedule(navigator_a)
    response = api.get(url(followup.pk))
    assert response.status_code == 200
    assert response.json()["id"] == followup.pk
    view = AuditEvent.objects.get(action=AuditAction.VIEW)
    assert (view.object_type, view.person_id, view.actor) == (
        "cases.person",
        followup.person_id,
        navigator_a,
    )
    assert view.source == "api"


def test_another_programs_followup_is_404_everywhere(api, navigator_b):
    theirs = schedule(navigator_b)
    assert_error(api.get(url(theirs.pk)), 404, code="not_found")
    assert_error(api.patch(url(theirs.pk), {"purpose": "x"}, format="json"), 404)
    assert_error(
        api.post(url(theirs.pk, "complete"), {"outcome": "reached"}, format="json"),
        404,
    )
    assert_error(
        api.post(url(theirs.pk, "cancel"), {"reason": "x"}, format="json"), 404
    )
    assert_error(api.post(url(theirs.pk, "missed"), {}, format="json"), 404)
    theirs.refresh_from_db()
    assert (theirs.status, theirs.purpose) == (Status.SCHEDULED, "")
    assert not AuditEvent.objects.filter(actor__username="nav-a").exists()


@pytest.mark.parametrize("role", [Role.ADMIN, Role.PARTNER])
def test_admins_and_partners_see_no_followups(navigator_a, program_a, role):
    followup = schedule(navigator_a)
    client = client_for(member(program_a, role))
    assert ids(client.get(url())) == []
    assert_error(client.get(url(followup.pk)), 404)
    body = assert_error(
        client.post(
            url(),
            {"person": followup.person_id, "due_at": in_hours(3), "method": "phone"},
            format="json",
        ),
        400,
        "person",
    )
    assert body["code"] == "not_found"


def test_anonymous_is_401():
    assert_error(APIClient().get(url()), 401)


def test_unknown_methods_are_405_in_the_error_shape(api, navigator_a):
    followup = schedule(navigator_a)
    assert_error(api.put(url(followup.pk), {}, format="json"), 405)
    assert_error(api.delete(url(followup.pk)), 405)
    assert_error(api.get(url(followup.pk, "complete")), 405)


# --- filters -----------------------------------------------------------------


def test_filters(api, navigator_a, program_a):
    colleague = member(program_a, Role.NAVIGATOR)
    person = PersonFactory(program=program_a)
    overdue = schedule(navigator_a, person=person, in_minutes=-30)
    urgent = schedule(navigator_a, in_minutes=60, priority="urgent", method="text")
    theirs = schedule(navigator_a, in_minutes=24 * 60, assigned_to=colleague)
    done = schedule(navigator_a, person=person, in_minutes=120)
    services.followup_complete(by=navigator_a, followup=done, outcome="reached")

    def found(**params) -> list[int]:
        return sorted(ids(api.get(url(), params)))

    assert found(status="completed") == [done.pk]
    assert found(status="scheduled") == sorted([overdue.pk, urgent.pk, theirs.pk])
    assert found(assigned_to=colleague.pk) == [theirs.pk]
    assert found(person=person.pk) == sorted([overdue.pk, done.pk])
    assert found(program=program_a.pk) == sorted(
        [overdue.pk, urgent.pk, theirs.pk, done.pk]
    )
    assert found(priority="urgent") == [urgent.pk]
    assert found(method="text") == [urgent.pk]
    assert found(overdue="true") == [overdue.pk]
    assert found(overdue="false") == sorted([urgent.pk, theirs.pk, done.pk])
    assert found(due_after=in_hours(10).isoformat()) == [theirs.pk]
    assert found(due_before=timezone.now().isoformat()) == [overdue.pk]
    assert found(
        due_after=timezone.now().isoformat(), due_before=in_hours(1.5).isoformat()
    ) == [urgent.pk]
    # The list's own flag agrees with the filter.
    flags = {r["id"]: r["is_overdue"] for r in api.get(url()).json()["results"]}
    assert [pk for pk, late in flags.items() if late] == [overdue.pk]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"status": "done"}, "status"),
        ({"priority": "asap"}, "priority"),
        ({"method": "pigeon"}, "method"),
        ({"due_after": "yesterday"}, "due_after"),
        ({"due_before": "2024-13-01T00:00"}, "due_before"),
        ({"due_after": "0001-01-01T00:00:00+14:00"}, "due_after"),
        ({"due_before": "9999-12-31T23:59:59-14:00"}, "due_before"),
        ({"due_before": "9999-12-31T23:59:59"}, "due_before"),
        ({"person": "abc"}, "person"),
        ({"person": "1.5"}, "person"),
        ({"person": 10**30}, "person"),
        ({"assigned_to": "me"}, "assigned_to"),
    ],
)
def test_bad_filters_are_400_naming_the_filter(api, params, field):
    assert_error(api.get(url(), params), 400, field)


def test_filters_do_not_confirm_other_programs(api, navigator_b, program_b):
    # Another program's navigator or program is not a valid choice: the same
    # answer as an id that does not exist.
    assert_error(api.get(url(), {"assigned_to": navigator_b.pk}), 400, "assigned_to")
    assert_error(api.get(url(), {"program": program_b.pk}), 400, "program")
    assert_error(api.get(url(), {"assigned_to": 10**30}), 400, "assigned_to")


# --- create ------------------------------------------------------------------


def test_schedule_with_defaults(api, navigator_a, program_a):
    person = PersonFactory(program=program_a)
    due = in_hours(3).replace(microsecond=0)
    response = api.post(
        url(),
        {"person": person.pk, "due_at": due.isoformat(), "method": "phone"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    followup = Followup.objects.get()
    assert body["id"] == followup.pk
    assert (followup.assigned_to, followup.priority, followup.due_at) == (
        navigator_a,
        "routine",
        due,
    )
    assert (body["assigned_to"], body["status"]) == (navigator_a.pk, "scheduled")
    assert Reminder.objects.filter(followup=followup).count() == 1
    created = events(followup).get()
    assert (created.action, created.actor, created.source) == (
        AuditAction.CREATE,
        navigator_a,
        "api",
    )


def test_schedule_with_everything(api, navigator_a, program_a):
    colleague = member(program_a, Role.CASEWORKER)
    person = PersonFactory(program=program_a, sms_consent=True, phone="5550101234")
    contact = FamilyContact.objects.create(
        person=person, name="Sam", relationship="brother", may_contact=True
    )
    encounter = EncounterFactory(person=person)
    response = api.post(
        url(),
        {
            "person": person.pk,
            "due_at": in_hours(48).isoformat(),
            "method": "in_person",
            "assigned_to": colleague.pk,
            "contact": contact.pk,
            "purpose": "Bring the housing forms",
            "priority": "urgent",
            "encounter": encounter.pk,
            "remind_person": True,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["assigned_to"] == colleague.pk
    assert (body["contact"], body["contact_relationship"]) == (contact.pk, "brother")
    assert (body["encounter"], body["priority"], body["remind_person"]) == (
        encounter.pk,
        "urgent",
        True,
    )
    followup = Followup.objects.get()
    assert (followup.assigned_to, followup.contact, followup.encounter) == (
        colleague,
        contact,
        encounter,
    )
    assert followup.created_by == navigator_a
    # The navigator's reminder and, with consent, the person's.
    assert Reminder.objects.filter(followup=followup).count() == 2


def test_person_of_another_program_is_400_naming_person(api, program_b):
    theirs = PersonFactory(program=program_b)
    body = assert_error(
        api.post(
            url(),
            {"person": theirs.pk, "due_at": in_hours(3), "method": "phone"},
            format="json",
        ),
        400,
        "person",
        code="not_found",
    )
    assert "No such person" in body["detail"]
    assert not Followup.objects.exists()


def test_deleted_person_is_400_naming_person(api, program_a):
    person = PersonFactory(program=program_a, deleted_at=timezone.now())
    assert_error(
        api.post(
            url(),
            {"person": person.pk, "due_at": in_hours(3), "method": "phone"},
            format="json",
        ),
        400,
        "person",
    )
    assert not Followup.objects.exists()


def test_ids_in_the_body_must_be_the_callers(api, program_a, program_b, navigator_b):
    person = PersonFactory(program=program_a)
    someone_else = PersonFactory(program=program_a)
    cases = {
        "contact": FamilyContact.objects.create(
            person=someone_else, name="X", relationship="aunt"
        ).pk,
        "encounter": EncounterFactory(person=someone_else).pk,
        "assigned_to": navigator_b.pk,
    }
    theirs = PersonFactory(program=program_b)
    other_program = {
        "contact": FamilyContact.objects.create(
            person=theirs, name="Y", relationship="aunt"
        ).pk,
        "encounter": EncounterFactory(person=theirs).pk,
    }
    base = {"person": person.pk, "due_at": in_hours(3), "method": "phone"}
    for field, pk in [*cases.items(), *other_program.items()]:
        response = api.post(url(), {**base, field: pk}, format="json")
        assert_error(response, 400, field)
    assert not Followup.objects.exists()


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"method": "pigeon"}, "method"),
        ({"method": None}, "method"),
        ({"priority": "asap"}, "priority"),
        ({"due_at": "tomorrow"}, "due_at"),
        ({"due_at": "2024-02-30T10:00:00Z"}, "due_at"),
        ({"due_at": 1700000000}, "due_at"),
        ({"due_at": "9999-12-31T23:59:59-12:00"}, "due_at"),
        ({"due_at": "0001-01-01T00:00:00+14:00"}, "due_at"),
        ({"due_at": "2999-01-01T00:00:00Z"}, "due_at"),
        ({"person": "Ana"}, "person"),
        ({"person": 10**30}, "person"),
        ({"person": 0}, "person"),
        ({"assigned_to": "me"}, "assigned_to"),
        ({"assigned_to": 10**30}, "assigned_to"),
        ({"contact": [1]}, "contact"),
        ({"encounter": 10**30}, "encounter"),
        ({"remind_person": "perhaps"}, "remind_person"),
        ({"purpose": "x" * 201}, "purpose"),
        ({"purpose": "nul \x00 byte"}, "purpose"),
        ({"purpose": ["a", "list"]}, "purpose"),
        ({"stauts": "completed"}, "stauts"),
        ({"reason": "not on create"}, "reason"),
    ],
)
def test_bad_input_is_400_naming_the_field(api, program_a, overrides, field):
    person = PersonFactory(program=program_a)
    data = {"person": person.pk, "due_at": in_hours(3).isoformat(), "method": "phone"}
    data.update(overrides)
    assert_error(api.post(url(), data, format="json"), 400, field)
    assert not Followup.objects.exists()


def test_required_fields_are_named(api):
    body = assert_error(api.post(url(), {}, format="json"), 400)
    assert {"person", "due_at", "method"} <= set(body["fields"])


@pytest.mark.parametrize("body", ['["a"]', "null", "{", '"text"'])
def test_bodies_that_are_not_an_object_are_400(api, body):
    response = api.post(url(), body, content_type="application/json")
    assert_error(response, 400)


def test_form_bodies_are_refused(api, program_a):
    person = PersonFactory(program=program_a)
    response = api.post(url(), {"person": person.pk, "method": "phone"})
    assert_error(response, 415)


def test_a_time_without_offset_is_read_in_the_program_time_zone(api, program_a):
    # Program A is in America/Los_Angeles.
    person = PersonFactory(program=program_a)
    local = (
        timezone.now().astimezone(program_a.tz) + datetime.timedelta(days=3)
    ).replace(hour=9, minute=0, second=0, microsecond=0, tzinfo=None)
    response = api.post(
        url(),
        {"person": person.pk, "due_at": local.isoformat(), "method": "phone"},
        format="json",
    )
    assert response.status_code == 201, response.content
    stored = Followup.objects.get().due_at
    assert stored == local.replace(tzinfo=program_a.tz)


def test_a_time_without_offset_uses_the_persons_program_not_the_first(
    program_a, program_b
):
    # A user of two programs: A (first, Los Angeles) and B (New York). A
    # follow-up for B's person at 09:00 means 09:00 in New York.
    program_b.time_zone = "America/New_York"
    program_b.save(update_fields=["time_zone"])
    user = member(program_a, Role.NAVIGATOR)
    Membership.objects.create(user=user, program=program_b, role=Role.NAVIGATOR)
    person = PersonFactory(program=program_b)
    local = datetime.datetime(timezone.now().year + 1, 6, 1, 9, 0)
    client = client_for(user)
    response = client.post(
        url(),
        {"person": person.pk, "due_at": local.isoformat(), "method": "phone"},
        format="json",
    )
    assert response.status_code == 201, response.content
    followup = Followup.objects.get()
    assert followup.due_at == local.replace(
        tzinfo=zoneinfo.ZoneInfo("America/New_York")
    )
    assert followup.program == program_b
    # And so does a reschedule.
    later = local + datetime.timedelta(days=1)
    client.patch(url(followup.pk), {"due_at": later.isoformat()}, format="json")
    followup.refresh_from_db()
    assert followup.due_at == later.replace(
        tzinfo=zoneinfo.ZoneInfo("America/New_York")
    )


# --- update ------------------------------------------------------------------


def test_patch_due_at_reschedules_with_a_reason(api, navigator_a):
    followup = schedule(navigator_a, in_minutes=180)
    new_due = (followup.due_at + datetime.timedelta(days=1)).replace(microsecond=0)
    response = api.patch(
        url(followup.pk),
        {"due_at": new_due.isoformat(), "reason": "They asked for tomorrow"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert datetime.datetime.fromisoformat(response.json()["due_at"]) == new_due
    followup.refresh_from_db()
    assert followup.due_at == new_due
    pending = Reminder.objects.get(followup=followup, status=ReminderStatus.PENDING)
    assert pending.send_after == new_due - datetime.timedelta(minutes=60)
    update = events(followup).get(action=AuditAction.UPDATE)
    assert update.reason == "They asked for tomorrow"
    assert "due_at" in update.changes


def test_patch_assigned_to_reassigns(api, navigator_a, program_a):
    colleague = member(program_a, Role.NAVIGATOR)
    followup = schedule(navigator_a, in_minutes=180)
    response = api.patch(url(followup.pk), {"assigned_to": colleague.pk}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["assigned_to"] == colleague.pk
    pending = Reminder.objects.get(followup=followup, status=ReminderStatus.PENDING)
    assert pending.recipient_user == colleague


def test_patch_details_and_clear_the_contact(api, navigator_a, program_a):
    person = PersonFactory(program=program_a)
    contact = FamilyContact.objects.create(
        person=person, name="Kim", relationship="partner", may_contact=True
    )
    followup = schedule(navigator_a, person=person)
    response = api.patch(
        url(followup.pk),
        {
            "method": "email",
            "contact": contact.pk,
            "purpose": "Send the clinic hours",
            "priority": "urgent",
            "remind_person": True,
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    followup.refresh_from_db()
    assert (
        followup.method,
        followup.contact,
        followup.purpose,
        followup.priority,
        followup.remind_person,
    ) == ("email", contact, "Send the clinic hours", "urgent", True)
    response = api.patch(url(followup.pk), {"contact": None}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["contact_name"] is None
    followup.refresh_from_db()
    assert followup.contact is None


def test_patch_round_trips_what_get_returned(api, navigator_a):
    followup = schedule(navigator_a)
    writable = request_fields(api, "PatchedFollowupUpdateRequest")
    body = {k: v for k, v in api.get(url(followup.pk)).json().items() if k in writable}
    response = api.patch(url(followup.pk), body, format="json")
    assert response.status_code == 200, response.content
    assert not events(followup).filter(action=AuditAction.UPDATE).exists()


def test_person_and_encounter_cannot_be_changed(api, navigator_a, program_a):
    followup = schedule(navigator_a)
    other = PersonFactory(program=program_a)
    assert_error(
        api.patch(url(followup.pk), {"person": other.pk}, format="json"), 400, "person"
    )
    encounter = EncounterFactory(person=followup.person)
    assert_error(
        api.patch(url(followup.pk), {"encounter": encounter.pk}, format="json"),
        400,
        "encounter",
    )
    followup.refresh_from_db()
    assert (followup.person_id, followup.encounter) != (other.pk, encounter)


@pytest.mark.parametrize(
    "data, field",
    [
        ({"method": "pigeon"}, "method"),
        ({"priority": "asap"}, "priority"),
        ({"due_at": "soon"}, "due_at"),
        ({"assigned_to": 10**6}, "assigned_to"),
        ({"contact": 10**6}, "contact"),
        ({"status": "completed", "colour": "red"}, "colour"),
        ({"reason": "x" * 2001}, "reason"),
    ],
)
def test_invalid_patch_is_400_and_loses_nothing(api, navigator_a, data, field):
    followup = schedule(navigator_a, purpose="Call back")
    before = Followup.objects.values().get(pk=followup.pk)
    assert_error(api.patch(url(followup.pk), data, format="json"), 400, field)
    assert Followup.objects.values().get(pk=followup.pk) == before


@pytest.mark.parametrize(
    "field, value",
    [
        ("status", "completed"),
        ("outcome", "reached"),
        ("notes", "Done."),
        ("completed_at", "2026-01-01T10:00:00Z"),
        ("cancelled_reason", "No longer needed"),
    ],
)
def test_patch_of_a_read_only_field_is_refused_naming_the_action(
    api, navigator_a, field, value
):
    # It used to answer 200 and change nothing: the client believed it done.
    followup = schedule(navigator_a)
    response = api.patch(url(followup.pk), {field: value}, format="json")
    body = assert_error(response, 400, field)
    assert body["fields"][field] == [
        "Read-only field; use the complete, missed or cancel action."
    ]
    followup.refresh_from_db()
    assert followup.status == Status.SCHEDULED


# --- actions -----------------------------------------------------------------


def test_complete_records_outcome_and_is_audited(api, navigator_a):
    followup = schedule(navigator_a, in_minutes=180)
    response = api.post(
        url(followup.pk, "complete"),
        {"outcome": "reached_needs_help", "notes": "Wants a peer navigator."},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["outcome"], body["notes"]) == (
        "completed",
        "reached_needs_help",
        "Wants a peer navigator.",
    )
    assert body["completed_by"] == navigator_a.pk
    assert body["completed_by_name"] == navigator_a.get_full_name()
    assert body["completed_at"] and body["is_overdue"] is False
    assert not Reminder.objects.filter(
        followup=followup, status=ReminderStatus.PENDING
    ).exists()
    event = events(followup).get(action=AuditAction.UPDATE)
    assert (event.actor, event.source, event.person_id) == (
        navigator_a,
        "api",
        followup.person_id,
    )
    assert event.changes["status"] == ["scheduled", "completed"]
    assert event.changes["outcome"] == ["", "reached_needs_help"]


def test_complete_written_up_later_keeps_when_it_happened(api, navigator_a):
    followup = schedule(navigator_a, in_minutes=-24 * 60)
    zone = followup.program.tz
    yesterday = timezone.localtime(timezone.now(), zone) - datetime.timedelta(days=1)
    wall = yesterday.replace(hour=17, minute=30, second=0, microsecond=0)
    response = api.post(
        url(followup.pk, "complete"),
        # No offset: the wall clock of the follow-up's program.
        {"outcome": "reached", "completed_at": wall.strftime("%Y-%m-%dT%H:%M")},
        format="json",
    )
    assert response.status_code == 200, response.content
    followup.refresh_from_db()
    assert followup.completed_at == wall
    missed = schedule(navigator_a, in_minutes=-120)
    earlier = timezone.now() - datetime.timedelta(hours=1)
    response = api.post(
        url(missed.pk, "missed"), {"completed_at": earlier.isoformat()}, format="json"
    )
    assert response.status_code == 200, response.content
    missed.refresh_from_db()
    assert missed.completed_at == earlier


def test_cancel_needs_a_reason_and_is_audited(api, navigator_a):
    followup = schedule(navigator_a)
    assert_error(api.post(url(followup.pk, "cancel"), {}, format="json"), 400, "reason")
    assert_error(
        api.post(url(followup.pk, "cancel"), {"reason": "   "}, format="json"),
        400,
        "reason",
    )
    followup.refresh_from_db()
    assert followup.status == Status.SCHEDULED
    response = api.post(
        url(followup.pk, "cancel"), {"reason": "Moved out of county"}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["cancelled_reason"]) == (
        "cancelled",
        "Moved out of county",
    )
    event = events(followup).get(action=AuditAction.UPDATE)
    assert event.reason == "Moved out of county"
    assert event.changes["status"] == ["scheduled", "cancelled"]
    assert event.actor == navigator_a


def test_mark_missed(api, navigator_a):
    followup = schedule(navigator_a, in_minutes=-60)
    assert api.get(url(followup.pk)).json()["is_overdue"] is True
    response = api.post(
        url(followup.pk, "missed"), {"notes": "Not at the shelter."}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["notes"], body["is_overdue"]) == (
        "missed",
        "Not at the shelter.",
        False,
    )
    # An empty body is fine too (notes are optional) -- but not twice.
    other = schedule(navigator_a)
    assert api.post(url(other.pk, "missed"), format="json").status_code == 200
    assert_error(
        api.post(url(other.pk, "missed"), format="json"),
        409,
        code="invalid_transition",
    )


SIXTY_DAYS_AGO = (timezone.now() - datetime.timedelta(days=60)).isoformat()


@pytest.mark.parametrize(
    "data, field",
    [
        ({}, "outcome"),
        ({"outcome": "great"}, "outcome"),
        ({"outcome": None}, "outcome"),
        ({"outcome": "reached", "notes": ["x"]}, "notes"),
        ({"outcome": "reached", "status": "completed"}, "status"),
        ({"outcome": "reached", "completed_at": "yesterday"}, "completed_at"),
        ({"outcome": "reached", "completed_at": "2999-01-01T10:00"}, "completed_at"),
        ({"outcome": "reached", "completed_at": "0001-01-01T00:00"}, "completed_at"),
        ({"outcome": "reached", "completed_at": "2020-01-01T10:00"}, "completed_at"),
        # Within the years an instant can be, but older than 30 days.
        ({"outcome": "reached", "completed_at": SIXTY_DAYS_AGO}, "completed_at"),
    ],
)
def test_complete_with_bad_input_is_400(api, navigator_a, data, field):
    followup = schedule(navigator_a)
    assert_error(
        api.post(url(followup.pk, "complete"), data, format="json"), 400, field
    )
    followup.refresh_from_db()
    assert followup.status == Status.SCHEDULED


def close(followup, by, how: str):
    if how == "completed":
        services.followup_complete(by=by, followup=followup, outcome="reached")
    elif how == "cancelled":
        services.followup_cancel(by=by, followup=followup, reason="duplicate")
    else:
        services.followup_mark_missed(by=by, followup=followup)


@pytest.mark.parametrize("closed", ["completed", "cancelled", "missed"])
@pytest.mark.parametrize(
    "action, data",
    [
        ("complete", {"outcome": "reached"}),
        ("cancel", {"reason": "no longer needed"}),
        ("missed", {}),
        ("patch", {"due_at": "__tomorrow__"}),
        ("patch", {"purpose": "changed"}),
    ],
)
def test_a_closed_followup_is_409_invalid_transition(
    api, navigator_a, closed, action, data
):
    followup = schedule(navigator_a)
    close(followup, navigator_a, closed)
    followup.refresh_from_db()
    before = Followup.objects.values().get(pk=followup.pk)
    if data.get("due_at") == "__tomorrow__":
        data = {"due_at": in_hours(24).isoformat()}
    if action == "patch":
        response = api.patch(url(followup.pk), data, format="json")
    else:
        response = api.post(url(followup.pk, action), data, format="json")
    body = assert_error(response, 409, code="invalid_transition")
    assert f"follow-up that is {closed}" in body["detail"]
    assert Followup.objects.values().get(pk=followup.pk) == before


def test_complete_a_cancelled_followup_says_why(api, navigator_a):
    followup = schedule(navigator_a)
    close(followup, navigator_a, "cancelled")
    body = assert_error(
        api.post(url(followup.pk, "complete"), {"outcome": "reached"}, format="json"),
        409,
        code="invalid_transition",
    )
    assert body["detail"] == "Cannot complete a follow-up that is cancelled."


# --- query counts ------------------------------------------------------------


@pytest.fixture
def many_followups(navigator_a, program_a):
    colleague = member(program_a, Role.NAVIGATOR)
    people = PersonFactory.create_batch(30, program=program_a)
    contacts = FamilyContact.objects.bulk_create(
        FamilyContact(person=p, name="Kin", relationship="sibling", may_contact=True)
        for p in people
    )
    rows = []
    for i in range(110):
        person = people[i % 30]
        followup = schedule(
            navigator_a,
            person=person,
            in_minutes=(i - 20) * 60,
            assigned_to=colleague if i % 2 else None,
            contact=contacts[i % 30] if i % 3 else None,
            encounter=EncounterFactory(person=person) if i % 5 == 0 else None,
        )
        if i % 4 == 0:
            close(followup, colleague, "completed")
        rows.append(followup)
    return rows


@pytest.mark.parametrize("page_size", [10, 100])
def test_list_query_count(
    navigator_a, many_followups, page_size, django_assert_max_num_queries
):
    api = client_for(navigator_a)
    api.get(url(), {"page_size": 1})  # stamps the token's last_used_at once
    with django_assert_max_num_queries(FOLLOWUPS_MAX_QUERIES):
        response = api.get(url(), {"page_size": page_size})
    rows = response.json()["results"]
    assert len(rows) == page_size
    assert any(r["contact_name"] for r in rows)
    assert any(r["completed_by_name"] for r in rows)
    assert any(r["encounter"] for r in rows)
    with django_assert_max_num_queries(FOLLOWUPS_MAX_QUERIES):
        response = api.get(
            url(), {"page_size": page_size, "status": "scheduled", "person": 1}
        )
    assert response.status_code == 200


def test_ids_beyond_bigint_are_404_not_500(api):
    huge = 10**23
    assert_error(api.get(url(huge)), 404)
    assert_error(
        api.post(url(huge, "complete"), {"outcome": "reached"}, format="json"), 404
    )


# --- schema ------------------------------------------------------------------


def test_schema_documents_the_endpoints_without_warnings(tmp_path):
    out = tmp_path / "schema.yml"
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--format",
        "openapi-json",
        "--file",
        str(out),
        stdout=StringIO(),
        stderr=StringIO(),
    )
    paths = json.loads(out.read_text())["paths"]
    expected = {
        "/api/v1/followups/": {"get", "post"},
        "/api/v1/followups/{id}/": {"get", "patch"},
        "/api/v1/followups/{id}/complete/": {"post"},
        "/api/v1/followups/{id}/missed/": {"post"},
        "/api/v1/followups/{id}/cancel/": {"post"},
        "/api/v1/followups/deliveries/": {"get"},
    }
    for path, methods in expected.items():
        operations = {m: op for m, op in paths[path].items() if m != "parameters"}
        assert set(operations) == methods, path
        for op in operations.values():
            assert op["tags"] == ["followups"], path
            if "{id}" in path:
                assert "404" in op["responses"], path
    cancel = paths["/api/v1/followups/{id}/cancel/"]["post"]["responses"]
    assert "409" in cancel


def test_moving_a_followup_to_another_person_is_a_field_error(api, navigator_a):
    followup = schedule(navigator_a)
    other = PersonFactory(program=followup.program)
    response = api.patch(url(followup.pk), {"person": other.pk}, format="json")
    body = assert_error(response, 400, "person")
    assert body["fields"]["person"] == ["A follow-up cannot move to another person."]
    assert Followup.objects.get(pk=followup.pk).person_id == followup.person_id
