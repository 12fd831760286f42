"""The person page, family contacts, soft delete / restore and the audit trail."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import FamilyContact, Person
from cases.services import family_contact_add, person_update
from followups.services import followup_schedule
from navigator.models import AuditAction, AuditEvent, Role
from tests.factories import EncounterFactory, PersonFactory, member

pytestmark = pytest.mark.django_db

# Session, user, memberships, the view audit insert, contacts, timeline rows,
# their navigators and authors, the follow-ups on the timeline, the manager
# check, the session save (with savepoints): fixed, whatever the size of the
# timeline. (Issue 9: +1 the consents panel, +1 the referrals on the timeline, which
# the referrals panel reads too.)
PERSON_PAGE_MAX_QUERIES = 15
# (+1: the people in the trail, to filter it by who.)
AUDIT_PAGE_MAX_QUERIES = 12
# With the audit insert of the people listed.
DELETED_LIST_MAX_QUERIES = 10


@pytest.fixture
def person(program_a):
    return PersonFactory(
        program=program_a,
        first_name="Dana",
        last_name="Whitfield",
        safety_notes="Has a large dog. Knock, then step back.",
        phone="555-0199",
    )


def views_of(person) -> int:
    return AuditEvent.objects.filter(
        object_type="cases.person", object_id=str(person.pk), action=AuditAction.VIEW
    ).count()


# --- the page ----------------------------------------------------------------


def test_person_page_requires_login(client, person):
    response = client.get(reverse("person-detail", args=[person.pk]))
    assert response.status_code == 302
    assert views_of(person) == 0


def test_person_page_shows_record_and_logs_the_view(client, navigator_a, person):
    EncounterFactory(person=person, narrative="Talked on the porch for an hour.")
    family_contact_add(
        by=navigator_a,
        person=person,
        data={"name": "Rita Whitfield", "relationship": "mother", "may_contact": True},
    )
    client.force_login(navigator_a)
    response = client.get(reverse("person-detail", args=[person.pk]))
    assert response.status_code == 200
    html = response.text
    assert "Dana Whitfield" in html
    assert 'class="alert alert-warning safety-notes"' in html
    assert "Has a large dog" in html
    assert "Rita Whitfield" in html and "May contact" in html
    assert "Talked on the porch" in html
    assert f"{reverse('encounter-create')}?person={person.pk}" in html
    event = AuditEvent.objects.get(action=AuditAction.VIEW)
    assert (event.actor, event.person_id, event.object_type) == (
        navigator_a,
        person.pk,
        "cases.person",
    )


def test_person_of_another_program_is_404_and_not_logged(client, navigator_b, person):
    client.force_login(navigator_b)
    response = client.get(reverse("person-detail", args=[person.pk]))
    assert response.status_code == 404
    assert "Not found" in response.text  # the custom 404 page
    assert views_of(person) == 0


def test_deleted_person_is_404_even_for_manager(client, manager_a, person):
    person.deleted_at = timezone.now()
    person.save()
    client.force_login(manager_a)
    assert client.get(reverse("person-detail", args=[person.pk])).status_code == 404


@pytest.mark.parametrize("rows", [3, 30])
def test_person_page_query_count_is_flat(
    client, navigator_a, person, django_assert_max_num_queries, rows
):
    for _ in range(rows):
        encounter = EncounterFactory(person=person, created_by=navigator_a)
        encounter.navigators.add(navigator_a)
    for i in range(rows // 3):
        contact = family_contact_add(
            by=navigator_a,
            person=person,
            data={
                "name": f"Contact {i}",
                "relationship": "friend",
                "may_contact": True,
            },
        )
        followup_schedule(
            by=navigator_a,
            person=person,
            contact=contact,
            due_at=timezone.now() + datetime.timedelta(days=i + 1),
            method="phone",
        )
    client.force_login(navigator_a)
    with django_assert_max_num_queries(PERSON_PAGE_MAX_QUERIES):
        response = client.get(reverse("person-detail", args=[person.pk]))
    assert len(response.context["timeline"].object_list) == rows + rows // 3


def test_timeline_renders_unknown_kinds_with_fallback(
    client, navigator_a, person, monkeypatch
):
    from cases.workspace import selectors

    monkeypatch.setattr(
        selectors,
        "person_timeline",
        lambda *, person: [
            {"kind": "screening", "at": timezone.now(), "object": "PHQ-9: 12"}
        ],
    )
    client.force_login(navigator_a)
    response = client.get(reverse("person-detail", args=[person.pk]))
    assert "Screening: PHQ-9: 12" in response.text
    # Audited all the same, until the kind says what it is.
    event = AuditEvent.objects.get(person_id=person.pk, action=AuditAction.VIEW)
    assert event.disclosed == {"person": [person.pk], "timeline": []}


# --- family / caregiver contacts ---------------------------------------------


def test_add_edit_remove_family_contact(client, navigator_a, person):
    client.force_login(navigator_a)
    add_url = reverse("family-contact-add", args=[person.pk])
    assert client.get(add_url).status_code == 200
    response = client.post(
        add_url,
        {"name": "Leo", "relationship": "brother", "phone": "555-0111", "notes": ""},
    )
    assert response.status_code == 302
    contact = FamilyContact.objects.get(person=person)
    assert contact.may_contact is False

    edit_url = reverse("family-contact-edit", args=[person.pk, contact.pk])
    assert 'value="Leo"' in client.get(edit_url).text
    client.post(
        edit_url,
        {
            "name": "Leo",
            "relationship": "brother",
            "phone": "555-0111",
            "may_contact": "on",
        },
    )
    contact.refresh_from_db()
    assert contact.may_contact is True

    remove_url = reverse("family-contact-remove", args=[person.pk, contact.pk])
    assert client.get(remove_url).status_code == 200
    client.post(remove_url, {"reason": "Entered twice"})
    contact.refresh_from_db()
    assert contact.is_deleted
    page = client.get(reverse("person-detail", args=[person.pk]))
    assert list(page.context["contacts"]) == []
    actions = list(
        AuditEvent.objects.filter(object_type="cases.familycontact")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "update", "delete"]


def test_family_contact_errors_land_on_the_field(client, navigator_a, person):
    client.force_login(navigator_a)
    response = client.post(
        reverse("family-contact-add", args=[person.pk]),
        {"name": "Leo", "relationship": "", "email": "not-an-email"},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "relationship" in errors and "email" in errors
    assert 'value="Leo"' in response.text


def test_family_contact_scoping(client, navigator_a, navigator_b, person, program_a):
    contact = family_contact_add(
        by=navigator_a, person=person, data={"name": "Leo", "relationship": "brother"}
    )
    other_person = PersonFactory(program=program_a)
    client.force_login(navigator_b)
    for url in (
        reverse("family-contact-add", args=[person.pk]),
        reverse("family-contact-edit", args=[person.pk, contact.pk]),
        reverse("family-contact-remove", args=[person.pk, contact.pk]),
    ):
        assert client.get(url).status_code == 404
    client.force_login(navigator_a)
    # The contact id under another person's URL is not found either.
    url = reverse("family-contact-edit", args=[other_person.pk, contact.pk])
    assert client.get(url).status_code == 404


# --- soft delete and restore -------------------------------------------------


def test_delete_needs_a_reason_then_hides_the_record(client, navigator_a, person):
    client.force_login(navigator_a)
    url = reverse("person-delete", args=[person.pk])
    assert "Delete Dana Whitfield" in client.get(url).text
    missing = client.post(url, {"reason": "  "})
    assert missing.status_code == 200
    assert missing.context["form"].errors["reason"]
    person.refresh_from_db()
    assert not person.is_deleted

    response = client.post(url, {"reason": "Duplicate of another record"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.is_deleted and person.deleted_by == navigator_a
    event = AuditEvent.objects.get(action=AuditAction.DELETE)
    assert event.reason == "Duplicate of another record"
    assert client.get(reverse("person-detail", args=[person.pk])).status_code == 404


def test_delete_other_program_person_is_404(client, navigator_b, person):
    client.force_login(navigator_b)
    response = client.post(
        reverse("person-delete", args=[person.pk]), {"reason": "mine now"}
    )
    assert response.status_code == 404
    person.refresh_from_db()
    assert not person.is_deleted


def test_restore_is_for_program_managers(
    client, navigator_a, manager_a, navigator_b, person, program_b
):
    person.deleted_at = timezone.now()
    person.deleted_by = navigator_a
    person.deleted_reason = "Mistake"
    person.save()
    url = reverse("person-restore", args=[person.pk])
    manager_b = member(program_b, Role.PROGRAM_MANAGER)
    # The program's navigator: in scope, not for the role (403, saying why);
    # another program's staff: out of scope (404), as from the API.
    client.force_login(navigator_a)
    refused = client.get(url)
    assert refused.status_code == 403
    assert "Only a program manager can restore" in refused.text
    assert client.post(url, {"reason": ""}).status_code == 403
    for outsider in (navigator_b, manager_b):
        client.force_login(outsider)
        assert client.get(url).status_code == 404
        assert client.post(url, {"reason": ""}).status_code == 404
    person.refresh_from_db()
    assert person.is_deleted

    client.force_login(manager_a)
    page = client.get(url)
    assert page.status_code == 200
    assert "Mistake" in page.text
    response = client.post(url, {"reason": "Deleted by mistake"})
    assert response.status_code == 302
    assert response.url == reverse("person-detail", args=[person.pk])
    person.refresh_from_db()
    assert not person.is_deleted
    assert AuditEvent.objects.get(action=AuditAction.RESTORE).actor == manager_a


def test_restore_of_a_live_record_goes_to_the_page(client, manager_a, person):
    client.force_login(manager_a)
    response = client.get(reverse("person-restore", args=[person.pk]))
    assert response.status_code == 302
    assert response.url == reverse("person-detail", args=[person.pk])


@pytest.mark.parametrize("rows", [3, 30])
def test_deleted_list_for_managers(
    client, manager_a, navigator_a, program_a, django_assert_max_num_queries, rows
):
    for i in range(rows):
        PersonFactory(
            program=program_a,
            last_name=f"Deleted{i}",
            deleted_at=timezone.now(),
            deleted_by=navigator_a,
            deleted_reason="dup",
        )
    PersonFactory(program=program_a, last_name="Alive")
    client.force_login(navigator_a)
    assert client.get(reverse("person-deleted-list")).status_code == 403
    client.force_login(manager_a)
    with django_assert_max_num_queries(DELETED_LIST_MAX_QUERIES):
        response = client.get(reverse("person-deleted-list"))
    names = [p.last_name for p in response.context["page_obj"].object_list]
    assert len(names) == min(rows, 25)
    assert "Alive" not in names


# --- audit trail -------------------------------------------------------------


def test_audit_trail_is_for_managers_of_the_program(
    client, navigator_a, manager_a, program_b, person
):
    person_update(by=navigator_a, person=person, data={"city": "Shelbyville"})
    url = reverse("person-audit", args=[person.pk])
    manager_b = member(program_b, Role.PROGRAM_MANAGER)
    client.force_login(manager_b)  # another program's: out of scope
    assert client.get(url).status_code == 404
    client.force_login(navigator_a)  # the program's navigator: told why not
    refused = client.get(url)
    assert refused.status_code == 403
    assert "Only a program manager can read a record's audit trail" in (
        refused.content.decode().replace("&#x27;", "'")
    )
    client.force_login(manager_a)
    response = client.get(url)
    assert response.status_code == 200
    assert "Shelbyville" in response.text
    assert "Audit trail" in client.get(reverse("person-detail", args=[person.pk])).text
    client.force_login(navigator_a)
    assert (
        "Audit trail" not in client.get(reverse("person-detail", args=[person.pk])).text
    )


def test_audit_trail_folds_list_appearances(client, manager_a, navigator_a, person):
    # Shown in the people list three times, opened, then listed twice more.
    for _ in range(3):
        client.force_login(navigator_a)
        client.get(reverse("person-list"))
    client.get(reverse("person-detail", args=[person.pk]))
    client.get(reverse("person-list"))
    client.get(reverse("encounter-person-options"), {"person_q": person.last_name})
    client.force_login(manager_a)
    response = client.get(reverse("person-audit", args=[person.pk]))
    entries = response.context["entries"]
    assert [len(e.listed) if e.listed else e.row.action for e in entries] == [
        2,
        AuditAction.VIEW,
        3,
    ]
    html = response.text
    assert "Listed 2 times" in html and "Listed 3 times" in html
    assert "<code>encounter-person-options</code>" in html
    assert "name, aliases, age / date of birth, housing" in html
    assert "Shown: the record (identity" in html


def test_audit_trail_of_a_deleted_person(client, manager_a, navigator_a, person):
    from cases.services import person_soft_delete

    person_soft_delete(by=navigator_a, person=person, reason="dup")
    client.force_login(manager_a)
    response = client.get(reverse("person-audit", args=[person.pk]))
    assert response.status_code == 200
    assert "dup" in response.text


@pytest.mark.parametrize("rows", [3, 30])
def test_audit_trail_query_count_is_flat(
    client, manager_a, navigator_a, person, django_assert_max_num_queries, rows
):
    for i in range(rows):
        person_update(by=navigator_a, person=person, data={"city": f"City {i}"})
    client.force_login(manager_a)
    with django_assert_max_num_queries(AUDIT_PAGE_MAX_QUERIES):
        response = client.get(reverse("person-audit", args=[person.pk]))
    assert len(response.context["page_obj"].object_list) == rows
    # This view is written once the page has gone out: the next one shows it.
    assert AuditEvent.objects.filter(
        person_id=person.pk, action=AuditAction.VIEW, actor=manager_a
    ).exists()


def test_person_model_is_untouched_by_a_view(client, navigator_a, person):
    before = Person.objects.filter(pk=person.pk).values().get()
    client.force_login(navigator_a)
    client.get(reverse("person-detail", args=[person.pk]))
    assert Person.objects.filter(pk=person.pk).values().get() == before
