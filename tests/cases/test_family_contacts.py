"""Family and caregiver contacts of a person: audited, soft-deleted, scoped."""

from __future__ import annotations

from typing import Unpack

import pytest

from cases import selectors, services
from cases.models import FamilyContact
from cases.services import FamilyContactData
from navigator.context import audit_context
from navigator.errors import Conflict, DomainError, NotFound, PermissionDenied
from navigator.models import AuditAction, AuditEvent
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def events_for(obj) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            object_type=obj._meta.label_lower, object_id=str(obj.pk)
        ).order_by("id")
    )


def field_error(call) -> set[str]:
    with pytest.raises(DomainError) as exc:
        call()
    assert exc.value.status == 400
    return set(exc.value.fields)


@pytest.fixture
def person(program_a):
    return PersonFactory(program=program_a)


@pytest.fixture
def add(navigator_a, person):
    def _add(**data: Unpack[FamilyContactData]) -> FamilyContact:
        data.setdefault("name", "Carla Diaz")
        data.setdefault("relationship", "mother")
        return services.family_contact_add(by=navigator_a, person=person, data=data)

    return _add


def test_add_is_stored_and_audited(add, navigator_a, person, program_a):
    with audit_context(request_id="req-fc", source="web"):
        contact = add(phone="555-0100", may_contact=True)
    contact.refresh_from_db()
    assert (contact.person, contact.phone, contact.may_contact) == (
        person,
        "555-0100",
        True,
    )
    (event,) = events_for(contact)
    assert event.action == AuditAction.CREATE
    assert event.actor == navigator_a
    assert event.person_id == person.pk
    assert event.program == program_a
    assert (event.request_id, event.source) == ("req-fc", "web")
    assert event.changes == {
        "name": [None, "Carla Diaz"],
        "relationship": [None, "mother"],
        "phone": [None, "555-0100"],
        "may_contact": [None, True],
    }
    assert list(selectors.family_contacts_for(person=person)) == [contact]


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({"name": ""}, {"name"}),
        ({"relationship": ""}, {"relationship"}),
        ({"email": "nope"}, {"email"}),
        ({"ssn": "123"}, {"ssn"}),
        ({"name": "x" * 201}, {"name"}),
    ],
)
def test_bad_input_names_the_field(add, data, fields):
    assert field_error(lambda: add(**data)) == fields
    assert FamilyContact.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_update_records_old_and_new(add, navigator_a):
    contact = add(phone="555-0100")
    services.family_contact_update(
        by=navigator_a,
        contact=contact,
        data={"phone": "555-0199", "name": "Carla Diaz"},
    )
    event = events_for(contact)[-1]
    assert event.action == AuditAction.UPDATE
    assert event.changes == {"phone": ["555-0100", "555-0199"]}


def test_an_update_that_changes_nothing_writes_no_event(add, navigator_a):
    contact = add(phone="555-0100")
    services.family_contact_update(
        by=navigator_a, contact=contact, data={"phone": "555-0100"}
    )
    assert len(events_for(contact)) == 1


def test_a_failed_update_changes_nothing(add, navigator_a):
    contact = add(phone="555-0100")
    with pytest.raises(DomainError):
        services.family_contact_update(
            by=navigator_a,
            contact=contact,
            data={"phone": "555-0199", "email": "bad"},
        )
    contact.refresh_from_db()
    assert contact.phone == "555-0100"
    assert len(events_for(contact)) == 1


def test_remove_and_restore(add, navigator_a, manager_a, person):
    contact = add()
    with audit_context(request_id="req-rm", source="web"):
        services.family_contact_remove(
            by=navigator_a, contact=contact, reason="asked us not to call"
        )
    assert list(selectors.family_contacts_for(person=person)) == []
    with pytest.raises(NotFound):
        selectors.family_contact_get_for(user=navigator_a, contact_id=contact.pk)
    kept = FamilyContact.objects.get(pk=contact.pk)
    assert (kept.deleted_by, kept.deleted_reason) == (
        navigator_a,
        "asked us not to call",
    )
    with pytest.raises(Conflict):
        services.family_contact_remove(by=navigator_a, contact=contact, reason="x")
    with pytest.raises(Conflict):
        services.family_contact_update(
            by=navigator_a, contact=contact, data={"phone": "1"}
        )

    # Bringing a removed record back is a manager's decision (as for people
    # and encounters: navigator.softdelete).
    with pytest.raises(PermissionDenied):
        services.family_contact_restore(by=navigator_a, contact=contact, reason="x")
    services.family_contact_restore(by=manager_a, contact=contact, reason=" oops ")
    assert list(selectors.family_contacts_for(person=person)) == [contact]
    with pytest.raises(Conflict):
        services.family_contact_restore(by=manager_a, contact=contact)

    events = events_for(contact)
    assert [(e.action, e.reason) for e in events] == [
        ("create", ""),
        ("delete", "asked us not to call"),
        ("restore", "oops"),
    ]
    assert events[1].request_id == "req-rm"
    assert {e.person_id for e in events} == {person.pk}
    assert events[2].changes["deleted_reason"] == ["asked us not to call", ""]


def test_contacts_of_a_deleted_person_are_frozen(add, navigator_a, person):
    contact = add()
    services.person_soft_delete(by=navigator_a, person=person, reason="dup")
    # The caller's copy of the person predates the delete: still refused.
    with pytest.raises(Conflict):
        add(name="Other")
    with pytest.raises(Conflict):
        services.family_contact_update(
            by=navigator_a, contact=contact, data={"phone": "1"}
        )
    with pytest.raises(Conflict):
        services.family_contact_remove(by=navigator_a, contact=contact, reason="x")
    assert FamilyContact.objects.filter(person=person).count() == 1


def test_contacts_are_on_the_persons_audit_trail(add, navigator_a, manager_a, person):
    from navigator.selectors import audit_trail_for_person

    contact = add()
    services.family_contact_update(by=navigator_a, contact=contact, data={"notes": "x"})
    trail = audit_trail_for_person(user=manager_a, person_id=person.pk)
    assert [(e.object_type, e.action) for e in trail] == [
        ("cases.familycontact", "update"),
        ("cases.familycontact", "create"),
    ]
