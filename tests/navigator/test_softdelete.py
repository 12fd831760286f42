"""One soft delete / restore mechanism (navigator.softdelete), one set of rules,
for every record type that uses it: people, family contacts, encounters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.urls import reverse

from cases import services
from navigator.errors import Conflict, DomainError, PermissionDenied
from navigator.models import AuditAction, AuditEvent
from navigator.softdelete import SoftDeletable
from tests.cases.test_api_people import assert_error, client_for
from tests.factories import EncounterFactory, PersonFactory

pytestmark = pytest.mark.django_db


@dataclass
class Kind:
    name: str
    make: Callable  # (program, navigator) -> record
    delete: Callable
    restore: Callable


def _contact(program, navigator):
    person = PersonFactory(program=program)
    return services.family_contact_add(
        by=navigator, person=person, data={"name": "Leo", "relationship": "brother"}
    )


KINDS = [
    Kind(
        "person",
        lambda program, navigator: PersonFactory(program=program),
        lambda **kw: services.person_soft_delete(person=kw.pop("obj"), **kw),
        lambda **kw: services.person_restore(person=kw.pop("obj"), **kw),
    ),
    Kind(
        "contact",
        _contact,
        lambda **kw: services.family_contact_remove(contact=kw.pop("obj"), **kw),
        lambda **kw: services.family_contact_restore(contact=kw.pop("obj"), **kw),
    ),
    Kind(
        "encounter",
        lambda program, navigator: EncounterFactory(
            program=program, person=PersonFactory(program=program)
        ),
        lambda **kw: services.encounter_soft_delete(encounter=kw.pop("obj"), **kw),
        lambda **kw: services.encounter_restore(encounter=kw.pop("obj"), **kw),
    ),
]


@pytest.fixture(params=KINDS, ids=lambda k: k.name)
def kind(request) -> Kind:
    return request.param


def events(obj: SoftDeletable) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
            action__in=[AuditAction.DELETE, AuditAction.RESTORE],
        ).order_by("id")
    )


def test_delete_needs_a_reason(kind, program_a, navigator_a):
    obj = kind.make(program_a, navigator_a)
    for blank in ("", "   "):
        with pytest.raises(DomainError) as exc:
            kind.delete(by=navigator_a, obj=obj, reason=blank)
        assert "reason" in exc.value.fields
    obj.refresh_from_db()
    assert not obj.is_deleted and events(obj) == []


def test_delete_keeps_who_when_and_the_stripped_reason(kind, program_a, navigator_a):
    obj = kind.make(program_a, navigator_a)
    kind.delete(by=navigator_a, obj=obj, reason="  entered twice \n")
    obj.refresh_from_db()
    assert obj.deleted_at is not None
    assert (obj.deleted_by, obj.deleted_reason) == (navigator_a, "entered twice")
    [event] = events(obj)
    assert (event.action, event.actor, event.reason) == (
        AuditAction.DELETE,
        navigator_a,
        "entered twice",
    )


def test_a_second_delete_is_a_conflict(kind, program_a, navigator_a):
    obj = kind.make(program_a, navigator_a)
    kind.delete(by=navigator_a, obj=obj, reason="x")
    with pytest.raises(Conflict):
        kind.delete(by=navigator_a, obj=obj, reason="y")
    assert len(events(obj)) == 1


def test_only_a_manager_restores(kind, program_a, navigator_a, manager_a):
    obj = kind.make(program_a, navigator_a)
    kind.delete(by=navigator_a, obj=obj, reason="x")
    with pytest.raises(PermissionDenied):
        kind.restore(by=navigator_a, obj=obj, reason="mistake")
    obj.refresh_from_db()
    assert obj.is_deleted


def test_restore_strips_its_reason_and_audits_what_it_undoes(
    kind, program_a, navigator_a, manager_a
):
    obj = kind.make(program_a, navigator_a)
    kind.delete(by=navigator_a, obj=obj, reason="entered twice")
    kind.restore(by=manager_a, obj=obj, reason="  not a duplicate  ")
    obj.refresh_from_db()
    assert (obj.deleted_at, obj.deleted_by, obj.deleted_reason) == (None, None, "")
    restored = events(obj)[-1]
    assert (restored.action, restored.actor, restored.reason) == (
        AuditAction.RESTORE,
        manager_a,
        "not a duplicate",
    )
    assert restored.changes["deleted_reason"] == ["entered twice", ""]


def test_restoring_a_live_record_is_a_conflict(kind, program_a, navigator_a, manager_a):
    obj = kind.make(program_a, navigator_a)
    with pytest.raises(Conflict):
        kind.restore(by=manager_a, obj=obj)
    assert events(obj) == []


def test_a_restore_reason_is_bounded(kind, program_a, navigator_a, manager_a):
    obj = kind.make(program_a, navigator_a)
    kind.delete(by=navigator_a, obj=obj, reason="x")
    with pytest.raises(DomainError) as exc:
        kind.restore(by=manager_a, obj=obj, reason="r" * 5000)
    assert "reason" in exc.value.fields


# --- the contact restore's front doors ---------------------------------------


@pytest.fixture
def removed(program_a, navigator_a):
    contact = _contact(program_a, navigator_a)
    return services.family_contact_remove(
        by=navigator_a, contact=contact, reason="entered twice"
    )


def test_manager_restores_a_contact_from_the_person_page(client, manager_a, removed):
    client.force_login(manager_a)
    person_page = client.get(reverse("person-detail", args=[removed.person_id]))
    restore_url = reverse(
        "family-contact-restore", args=[removed.person_id, removed.pk]
    )
    assert restore_url in person_page.text
    confirm = client.get(restore_url)
    assert "Restore Leo" in confirm.text and "entered twice" in confirm.text
    response = client.post(restore_url, {"reason": " mistake "})
    assert response.status_code == 302
    removed.refresh_from_db()
    assert not removed.is_deleted
    assert events(removed)[-1].reason == "mistake"


def test_a_navigator_is_refused_the_contact_restore_page(client, navigator_a, removed):
    client.force_login(navigator_a)
    person_page = client.get(reverse("person-detail", args=[removed.person_id]))
    assert "Removed contacts" not in person_page.text
    url = reverse("family-contact-restore", args=[removed.person_id, removed.pk])
    # In scope, not allowed for the role: 403 with the reason, as on the API.
    assert client.get(url).status_code == 403
    assert client.post(url, {"reason": ""}).status_code == 403
    removed.refresh_from_db()
    assert removed.is_deleted


def test_the_page_asks_for_a_reason_to_remove_a_contact(client, navigator_a, program_a):
    contact = _contact(program_a, navigator_a)
    client.force_login(navigator_a)
    url = reverse("family-contact-remove", args=[contact.person_id, contact.pk])
    response = client.post(url, {"reason": "  "})
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    contact.refresh_from_db()
    assert not contact.is_deleted


def test_api_restores_a_contact_for_a_manager(manager_a, navigator_a, removed):
    url = f"/api/v1/people/{removed.person_id}/contacts/{removed.pk}/restore/"
    assert_error(client_for(navigator_a).post(url, {}, format="json"), 403)
    response = client_for(manager_a).post(url, {"reason": "mistake"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["id"] == removed.pk
    assert_error(client_for(manager_a).post(url, {}, format="json"), 409)


def test_api_asks_for_a_reason_to_remove_a_contact(navigator_a, program_a):
    contact = _contact(program_a, navigator_a)
    url = f"/api/v1/people/{contact.person_id}/contacts/{contact.pk}/"
    assert_error(client_for(navigator_a).delete(url), 400, "reason")
    contact.refresh_from_db()
    assert not contact.is_deleted
