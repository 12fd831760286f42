"""People: create, update, soft delete and restore; every write audited."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Iterable
from typing import Unpack

import pytest
from django.db import connection, transaction
from django.utils import timezone

from cases import selectors, services
from cases.models import Alias, DobPrecision, Person
from cases.services import PersonData
from navigator.context import audit_context
from navigator.errors import Conflict, DomainError, NotFound, PermissionDenied
from navigator.models import AuditAction, AuditEvent, Role, User
from tests.factories import PersonFactory, member

pytestmark = pytest.mark.django_db


def events_for(obj) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            object_type=obj._meta.label_lower, object_id=str(obj.pk)
        ).order_by("id")
    )


def create(by: User, aliases: Iterable[str] = (), **data: Unpack[PersonData]) -> Person:
    data.setdefault("first_name", "Ana")
    data.setdefault("last_name", "Ruiz")
    return services.person_create(by=by, data=data, aliases=aliases)


def field_error(call) -> set[str]:
    """The fields a DomainError names (asserting that one is raised)."""
    with pytest.raises(DomainError) as exc:
        call()
    assert exc.value.status == 400
    return set(exc.value.fields)


class TestCreate:
    def test_stores_the_record_in_the_users_program(self, navigator_a, program_a):
        person = create(
            navigator_a,
            preferred_name="Annie",
            date_of_birth=datetime.date(1980, 5, 17),
            gender=["woman"],
            phone="555-0101",
            sms_consent=True,
            aliases=["La Flaca", " la  flaca ", "Annie R"],
        )
        person.refresh_from_db()
        assert person.program == program_a
        assert person.created_by == navigator_a
        assert person.dob_precision == DobPrecision.EXACT
        assert person.sms_consent_at is not None
        # Aliases are cleaned and de-duplicated case-insensitively.
        assert sorted(person.aliases.values_list("name", flat=True)) == [
            "Annie R",
            "La Flaca",
        ]
        assert "la flaca" in person.search_text
        assert "annie" in person.search_text

    def test_writes_one_create_event_with_context(self, navigator_a, program_a):
        with audit_context(request_id="req-create-1", source="api"):
            person = create(navigator_a, phone="555-0101", aliases=["Bird"])
        (event,) = events_for(person)
        assert event.action == AuditAction.CREATE
        assert event.actor == navigator_a
        assert event.person_id == person.pk
        assert event.program == program_a
        assert event.request_id == "req-create-1"
        assert event.source == "api"
        assert event.changes["first_name"] == [None, "Ana"]
        assert event.changes["phone"] == [None, "555-0101"]
        assert event.changes["aliases"] == [[], ["Bird"]]
        # Nothing empty is reported as "set".
        assert "middle_name" not in event.changes
        assert AuditEvent.objects.count() == 1

    def test_without_context_the_source_is_command(self, navigator_a):
        person = create(navigator_a)
        (event,) = events_for(person)
        assert event.source == "command"
        assert event.request_id == ""

    def test_none_for_an_optional_text_field_means_empty(self, navigator_a):
        # API clients send JSON null for fields they leave out.
        # deliberately wrong type: PersonData does not admit the nulls the
        # service accepts (cases/services/inputs.py).
        person = create(navigator_a, middle_name=None, gender=None, email=None)  # type: ignore[arg-type]
        person.refresh_from_db()
        assert person.middle_name == ""
        assert person.gender == []
        assert person.email == ""

    def test_a_date_of_birth_given_as_text_is_parsed(self, navigator_a):
        # deliberately wrong type: the text a client sends, parsed.
        person = create(navigator_a, date_of_birth="1975-03-09")  # type: ignore[arg-type]
        person.refresh_from_db()
        assert person.date_of_birth == datetime.date(1975, 3, 9)


class TestValidation:
    def test_a_name_is_required(self, navigator_a):
        assert field_error(
            lambda: services.person_create(by=navigator_a, data={"phone": "1"})
        ) == {"first_name"}

    def test_preferred_name_alone_is_enough(self, navigator_a):
        person = services.person_create(
            by=navigator_a, data={"preferred_name": "Smokey"}
        )
        assert person.display_name == "Smokey"

    def test_date_of_birth_in_the_future(self, navigator_a):
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        assert field_error(lambda: create(navigator_a, date_of_birth=tomorrow)) == {
            "date_of_birth"
        }
        # Today is a valid date of birth (a newborn).
        assert create(navigator_a, date_of_birth=timezone.localdate()).pk

    def test_date_of_birth_before_1900(self, navigator_a):
        assert field_error(
            lambda: create(navigator_a, date_of_birth=datetime.date(1899, 12, 31))
        ) == {"date_of_birth"}

    @pytest.mark.parametrize("value", ["1980-02-30", "13/45/80", "yesterday"])
    def test_an_invalid_date_of_birth_names_the_field(self, navigator_a, value):
        assert field_error(lambda: create(navigator_a, date_of_birth=value)) == {
            "date_of_birth"
        }

    def test_estimated_age_becomes_an_estimated_date_of_birth(self, navigator_a):
        person = create(navigator_a, estimated_age=40)
        person.refresh_from_db()
        assert person.dob_precision == DobPrecision.ESTIMATED
        assert person.age_on(timezone.localdate()) == 40
        (event,) = events_for(person)
        assert event.changes["dob_precision"] == [None, "estimated"]

    def test_estimated_age_and_date_of_birth_together(self, navigator_a):
        assert field_error(
            lambda: create(
                navigator_a,
                estimated_age=40,
                date_of_birth=datetime.date(1980, 1, 1),
            )
        ) == {"estimated_age"}

    @pytest.mark.parametrize("age", ["forty", -1, 121])
    def test_estimated_age_out_of_range(self, navigator_a, age):
        assert field_error(lambda: create(navigator_a, estimated_age=age)) == {
            "estimated_age"
        }

    def test_sms_consent_needs_a_phone(self, navigator_a):
        assert field_error(lambda: create(navigator_a, sms_consent=True)) == {
            "sms_consent"
        }

    def test_unknown_field_names_are_refused(self, navigator_a):
        # deliberately wrong type: keys PersonData does not have.
        assert field_error(lambda: create(navigator_a, shoe_size=44, ssn="x")) == {  # type: ignore[call-arg]
            "shoe_size",
            "ssn",
        }

    def test_fields_users_may_not_set_are_unknown(self, navigator_a, program_b):
        # The program, search text and audit columns are not input.
        assert field_error(
            # deliberately wrong type: keys PersonData does not have.
            lambda: create(navigator_a, search_text="x", deleted_at=timezone.now())  # type: ignore[call-arg]
        ) == {"search_text", "deleted_at"}

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("gender", ["man", "wizard"]),
            ("race_ethnicity", ["martian"]),
            ("gender", "man"),
            ("veteran_status", "maybe"),
            ("housing_situation", "castle"),
            ("email", "not-an-email"),
        ],
    )
    def test_unknown_choices_name_the_field(self, navigator_a, field, value):
        assert field_error(lambda: create(navigator_a, **{field: value})) == {field}

    def test_external_id_is_unique_per_program(self, navigator_a, navigator_b):
        first = create(navigator_a, external_id="HMIS-1")
        assert field_error(lambda: create(navigator_a, external_id="HMIS-1")) == {
            "external_id"
        }
        # Another program may use the same id for its own person.
        assert create(navigator_b, external_id="HMIS-1").pk != first.pk
        # ...and a deleted record still holds its id (the constraint does).
        services.person_soft_delete(by=navigator_a, person=first, reason="dup")
        assert field_error(lambda: create(navigator_a, external_id="HMIS-1")) == {
            "external_id"
        }

    def test_external_id_clash_on_update(self, navigator_a):
        create(navigator_a, external_id="A-1")
        other = create(navigator_a, external_id="A-2")
        assert field_error(
            lambda: services.person_update(
                by=navigator_a, person=other, data={"external_id": "A-1"}
            )
        ) == {"external_id"}
        # Keeping one's own id is not a clash.
        services.person_update(
            by=navigator_a, person=other, data={"external_id": "A-2", "city": "X"}
        )

    def test_surrounding_spaces_do_not_make_a_new_external_id(self, navigator_a):
        create(navigator_a, external_id="HMIS-1")
        assert field_error(lambda: create(navigator_a, external_id=" HMIS-1 ")) == {
            "external_id"
        }
        person = create(navigator_a, first_name="  Ana ", external_id="x")
        assert (person.first_name, person.display_name) == ("Ana", "Ana Ruiz")

    def test_empty_external_ids_do_not_clash(self, navigator_a):
        create(navigator_a, external_id="")
        assert create(navigator_a, external_id="").pk

    def test_a_failed_create_leaves_nothing(self, navigator_a):
        with pytest.raises(DomainError):
            create(navigator_a, aliases=["ok"], sms_consent=True)
        assert Person.objects.count() == 0
        assert Alias.objects.count() == 0
        assert AuditEvent.objects.count() == 0


class TestUpdate:
    def test_records_changed_fields_old_and_new(self, navigator_a, program_a):
        person = create(navigator_a, phone="555-0101", city="Springfield")
        with audit_context(request_id="req-upd", source="web"):
            updated = services.person_update(
                by=navigator_a,
                person=person,
                data={"phone": "555-0199", "city": "Springfield", "state": "OR"},
            )
        assert updated.phone == "555-0199"
        create_event, update_event = events_for(person)
        assert update_event.action == AuditAction.UPDATE
        assert update_event.actor == navigator_a
        assert update_event.program == program_a
        assert update_event.request_id == "req-upd"
        assert update_event.source == "web"
        assert update_event.changes == {
            "phone": ["555-0101", "555-0199"],
            "state": ["", "OR"],
        }

    def test_an_update_that_changes_nothing_writes_no_event(self, navigator_a):
        person = create(
            navigator_a,
            phone="555-0101",
            date_of_birth=datetime.date(1980, 1, 2),
            aliases=["Bird"],
        )
        before = Person.objects.get(pk=person.pk).updated_at
        services.person_update(
            by=navigator_a,
            person=person,
            # The same values, as a form would send them back (text dates).
            # deliberately wrong type: the text a form sends, parsed.
            data={"phone": "555-0101", "date_of_birth": "1980-01-02"},  # type: ignore[typeddict-item]
            aliases=["Bird"],
        )
        assert len(events_for(person)) == 1
        assert Person.objects.get(pk=person.pk).updated_at == before

    def test_alias_changes_are_audited_and_searchable(self, navigator_a):
        person = create(navigator_a, aliases=["Bird", "Shorty"])
        services.person_update(
            by=navigator_a, person=person, data={}, aliases=["Shorty", "Junebug"]
        )
        event = events_for(person)[-1]
        assert event.changes == {
            "aliases": [["Bird", "Shorty"], ["Junebug", "Shorty"]],
        }
        person.refresh_from_db()
        assert "junebug" in person.search_text
        assert "bird" not in person.search_text
        assert sorted(person.aliases.values_list("name", flat=True)) == [
            "Junebug",
            "Shorty",
        ]

    def test_aliases_none_leaves_them(self, navigator_a):
        person = create(navigator_a, aliases=["Bird"])
        services.person_update(by=navigator_a, person=person, data={"city": "X"})
        assert list(person.aliases.values_list("name", flat=True)) == ["Bird"]
        assert "aliases" not in events_for(person)[-1].changes

    def test_a_name_change_updates_search(self, navigator_a):
        person = create(navigator_a, first_name="Jon")
        services.person_update(
            by=navigator_a, person=person, data={"first_name": "Jonathan"}
        )
        qs = selectors.person_list_for(user=navigator_a)
        assert list(selectors.person_search(qs, "jonathan")) == [person]

    def test_an_exact_date_replaces_an_estimate(self, navigator_a):
        person = create(navigator_a, estimated_age=40)
        services.person_update(
            by=navigator_a,
            person=person,
            data={"date_of_birth": datetime.date(1984, 7, 4)},
        )
        person.refresh_from_db()
        assert person.dob_precision == DobPrecision.EXACT
        assert events_for(person)[-1].changes["dob_precision"] == [
            "estimated",
            "exact",
        ]

    def test_an_estimate_replaces_an_exact_date(self, navigator_a):
        person = create(navigator_a, date_of_birth=datetime.date(1984, 7, 4))
        services.person_update(
            by=navigator_a, person=person, data={"estimated_age": 30}
        )
        person.refresh_from_db()
        assert person.dob_precision == DobPrecision.ESTIMATED
        assert person.age_on(timezone.localdate()) == 30

    def test_sms_consent_time_is_kept_and_cleared(self, navigator_a):
        person = create(navigator_a, phone="555-0101", sms_consent=True)
        consent_at = Person.objects.get(pk=person.pk).sms_consent_at
        services.person_update(by=navigator_a, person=person, data={"city": "X"})
        assert Person.objects.get(pk=person.pk).sms_consent_at == consent_at
        services.person_update(
            by=navigator_a, person=person, data={"sms_consent": False}
        )
        assert Person.objects.get(pk=person.pk).sms_consent_at is None
        # Removing the phone while consent stands is refused.
        services.person_update(
            by=navigator_a, person=person, data={"sms_consent": True}
        )
        assert field_error(
            lambda: services.person_update(
                by=navigator_a, person=person, data={"phone": ""}
            )
        ) == {"sms_consent"}

    def test_a_failed_update_changes_nothing(self, navigator_a):
        person = create(navigator_a, phone="555-0101", aliases=["Bird"])
        with pytest.raises(DomainError):
            services.person_update(
                by=navigator_a,
                person=person,
                data={"phone": "555-0199", "gender": ["wizard"]},
                aliases=["Other"],
            )
        person.refresh_from_db()
        assert person.phone == "555-0101"
        assert list(person.aliases.values_list("name", flat=True)) == ["Bird"]
        assert "other" not in person.search_text
        assert len(events_for(person)) == 1

    def test_the_program_cannot_be_changed_by_update(self, navigator_a, program_b):
        person = create(navigator_a)
        assert field_error(
            lambda: services.person_update(
                by=navigator_a,
                person=person,
                # deliberately wrong type: PersonData has no program.
                data={"program": program_b},  # type: ignore[typeddict-unknown-key]
            )
        ) == {"program"}

    def test_a_stale_form_is_a_conflict(self, navigator_a):
        person = create(navigator_a, phone="555-0101")
        shown = Person.objects.get(pk=person.pk).updated_at
        # Someone else saves in between.
        services.person_update(by=navigator_a, person=person, data={"city": "X"})
        with pytest.raises(Conflict) as exc:
            services.person_update(
                by=navigator_a,
                person=person,
                data={"phone": "555-0199"},
                expected_updated_at=shown,
            )
        assert exc.value.code == "stale"
        assert Person.objects.get(pk=person.pk).phone == "555-0101"
        # The current timestamp (also as ISO text from a hidden field) passes.
        current = Person.objects.get(pk=person.pk).updated_at
        services.person_update(
            by=navigator_a,
            person=person,
            data={"phone": "555-0199"},
            expected_updated_at=current.isoformat(),
        )
        assert Person.objects.get(pk=person.pk).phone == "555-0199"

    def test_a_caseworker_and_a_manager_may_edit(self, program_a, navigator_a):
        person = create(navigator_a)
        editors = []
        for role in (Role.CASEWORKER, Role.PROGRAM_MANAGER):
            editors.append(member(program_a, role))
            services.person_update(by=editors[-1], person=person, data={"city": role})
        assert [e.actor for e in events_for(person)] == [navigator_a, *editors]
        assert Person.objects.get(pk=person.pk).city == Role.PROGRAM_MANAGER


class TestSoftDelete:
    def test_a_reason_is_required(self, navigator_a):
        person = create(navigator_a)
        for reason in ("", "   "):
            assert field_error(
                lambda r=reason: services.person_soft_delete(
                    by=navigator_a, person=person, reason=r
                )
            ) == {"reason"}
        assert not Person.objects.get(pk=person.pk).is_deleted
        assert len(events_for(person)) == 1

    def test_hidden_but_kept_with_who_and_why(self, navigator_a, program_a):
        person = create(navigator_a, first_name="Zelda")
        with audit_context(request_id="req-del", source="web"):
            services.person_soft_delete(
                by=navigator_a, person=person, reason="  duplicate of #12 "
            )
        qs = selectors.person_list_for(user=navigator_a)
        assert person not in qs
        assert list(selectors.person_search(qs, "zelda")) == []
        with pytest.raises(NotFound):
            selectors.person_get_for(user=navigator_a, person_id=person.pk)
        kept = Person.objects.get(pk=person.pk)
        assert kept.deleted_by == navigator_a
        assert kept.deleted_reason == "duplicate of #12"
        assert kept.deleted_at is not None
        event = events_for(person)[-1]
        assert event.action == AuditAction.DELETE
        assert event.reason == "duplicate of #12"
        assert event.request_id == "req-del"
        assert event.program == program_a
        # Still reachable on purpose, e.g. to restore it.
        assert (
            selectors.person_get_for(
                user=navigator_a, person_id=person.pk, include_deleted=True
            )
            == person
        )

    def test_double_delete_is_a_conflict(self, navigator_a):
        person = create(navigator_a)
        services.person_soft_delete(by=navigator_a, person=person, reason="dup")
        with pytest.raises(Conflict):
            services.person_soft_delete(by=navigator_a, person=person, reason="dup")
        assert len(events_for(person)) == 2

    def test_a_deleted_record_cannot_be_edited(self, navigator_a):
        person = create(navigator_a)
        services.person_soft_delete(by=navigator_a, person=person, reason="dup")
        with pytest.raises(Conflict):
            services.person_update(by=navigator_a, person=person, data={"city": "X"})
        with pytest.raises(Conflict):
            services.family_contact_add(
                by=navigator_a,
                person=person,
                data={"name": "Mo", "relationship": "mother"},
            )

    def test_restore_brings_it_back(self, navigator_a, manager_a, program_a):
        person = create(navigator_a, first_name="Zelda")
        services.person_soft_delete(by=navigator_a, person=person, reason="oops")
        with pytest.raises(PermissionDenied):
            services.person_restore(by=navigator_a, person=person, reason="mistake")
        with audit_context(request_id="req-res", source="web"):
            services.person_restore(by=manager_a, person=person, reason="mistake")
        qs = selectors.person_list_for(user=navigator_a)
        assert list(selectors.person_search(qs, "zelda")) == [person]
        restored = Person.objects.get(pk=person.pk)
        assert restored.deleted_at is None
        assert restored.deleted_by is None
        assert restored.deleted_reason == ""
        event = events_for(person)[-1]
        assert event.action == AuditAction.RESTORE
        assert event.reason == "mistake"
        assert event.request_id == "req-res"
        assert event.changes["deleted_reason"] == ["oops", ""]
        assert [e.action for e in events_for(person)] == [
            "create",
            "delete",
            "restore",
        ]

    def test_restoring_a_live_record_is_a_conflict(self, navigator_a, manager_a):
        person = create(navigator_a)
        with pytest.raises(Conflict):
            services.person_restore(by=manager_a, person=person)
        assert len(events_for(person)) == 1

    def test_nothing_is_hard_deleted(self, navigator_a, manager_a):
        person = create(navigator_a, aliases=["Bird"])
        for _ in range(2):
            services.person_soft_delete(by=navigator_a, person=person, reason="x")
            services.person_restore(by=manager_a, person=person)
        assert Person.objects.filter(pk=person.pk).exists()
        assert person.aliases.count() == 1


class TestViews:
    def test_a_view_writes_a_view_event(self, navigator_a, program_a):
        person = create(navigator_a)
        with audit_context(request_id="req-view", source="web"):
            services.person_record_viewed(by=navigator_a, person=person)
        event = events_for(person)[-1]
        assert event.action == AuditAction.VIEW
        assert event.actor == navigator_a
        assert event.person_id == person.pk
        assert event.program == program_a
        assert event.request_id == "req-view"
        assert event.changes == {}


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="Row locks need PostgreSQL; SQLite serialises whole-database writes.",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_edits_of_different_fields_both_survive(program_a):
    """An edit that waits for another one reads the row after it, not before.

    The main thread holds the row lock (as a slower concurrent edit would)
    and changes the phone; the service in the other thread must wait and
    then apply its city change on top, not write back the old phone.
    """
    user = member(program_a, Role.NAVIGATOR)
    person = PersonFactory(program=program_a, phone="555-0000")
    errors: list[BaseException] = []

    def edit_city():
        try:
            services.person_update(by=user, person=person, data={"city": "Salem"})
        except BaseException as exc:  # reported to the main thread below
            errors.append(exc)
        finally:
            connection.close()

    with transaction.atomic():
        locked = Person.objects.select_for_update().get(pk=person.pk)
        worker = threading.Thread(target=edit_city)
        worker.start()
        worker.join(timeout=1.0)
        assert worker.is_alive(), "the second edit must wait for the row lock"
        locked.phone = "555-1111"
        locked.save()
    worker.join(timeout=10)
    assert not errors
    person.refresh_from_db()
    assert (person.phone, person.city) == ("555-1111", "Salem")
