"""The audit log: what it records, that it cannot be rewritten, who reads it."""

from __future__ import annotations

import datetime
import decimal
import zoneinfo
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError, connection, transaction

from cases import services
from cases.models import Person
from navigator.audit import audit_record, diff, snapshot
from navigator.context import audit_context, request_id_var, source_var
from navigator.errors import DomainError
from navigator.models import AuditAction, AuditEvent, Membership, Role, User
from navigator.selectors import audit_trail_for_person
from tests.factories import PersonFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(program_a, navigator_a):
    person = PersonFactory(program=program_a)
    return audit_record(
        actor=navigator_a,
        action=AuditAction.UPDATE,
        obj=person,
        person_id=person.pk,
        program_id=program_a.pk,
        changes={"phone": ["1", "2"]},
    )


class TestDiff:
    def test_only_changed_fields_old_to_new(self):
        assert diff({"a": 1, "b": "x"}, {"a": 2, "b": "x"}) == {"a": [1, 2]}
        assert diff({}, {"a": 1}) == {"a": [None, 1]}

    def test_the_same_instant_in_two_zones_is_no_change(self):
        utc = datetime.datetime(2024, 1, 15, 18, 0, tzinfo=datetime.UTC)
        local = utc.astimezone(zoneinfo.ZoneInfo("America/Los_Angeles"))
        before = {"at": snapshot(_row(at=utc), ["at"])["at"]}
        after = snapshot(_row(at=local), ["at"])
        assert diff(before, after) == {}
        assert after["at"] == "2024-01-15T18:00:00+00:00"

    def test_the_same_number_with_more_places_is_no_change(self):
        before = snapshot(_row(lat=decimal.Decimal("47.600000")), ["lat"])
        after = snapshot(_row(lat=decimal.Decimal("47.6")), ["lat"])
        assert diff(before, after) == {}
        assert after["lat"] == "47.6"
        # Whole numbers stay plain, not 1E+2.
        assert snapshot(_row(n=decimal.Decimal("100.00")), ["n"])["n"] == "100"

    def test_snapshot_is_json_ready(self, program_a):
        person = PersonFactory(
            program=program_a, date_of_birth=datetime.date(1990, 1, 2)
        )
        shot = snapshot(person)
        assert shot["date_of_birth"] == "1990-01-02"
        assert shot["program_id"] == program_a.pk
        assert "id" not in shot


def _row(**values: object) -> Any:
    """A stand-in for a model row: snapshot() of named fields reads only them."""
    return SimpleNamespace(**values)


class TestRecord:
    def test_records_the_context(self, program_a, navigator_a):
        person = PersonFactory(program=program_a)
        with audit_context(request_id="rid-1", source="task"):
            event = audit_record(
                actor=navigator_a,
                action=AuditAction.VIEW,
                obj=person,
                person_id=person.pk,
                program_id=program_a.pk,
            )
        assert (event.request_id, event.source) == ("rid-1", "task")
        assert event.object_type == "cases.person"
        assert event.object_id == str(person.pk)
        assert event.object_label == f"cases.person#{person.pk}"
        # The context ends with the block.
        assert (request_id_var.get(), source_var.get()) == ("", "")

    def test_nested_contexts_restore_the_outer_one(self):
        with audit_context(request_id="outer", source="web"):
            with audit_context(request_id="inner", source="task"):
                assert request_id_var.get() == "inner"
            assert (request_id_var.get(), source_var.get()) == ("outer", "web")

    def test_an_anonymous_actor_is_recorded_as_none(self, program_a):
        person = PersonFactory(program=program_a)
        event = audit_record(
            actor=AnonymousUser(),
            action=AuditAction.VIEW,
            obj=person,
            person_id=person.pk,
            program_id=program_a.pk,
        )
        assert event.actor is None

    def test_a_failed_write_leaves_no_audit_row(self, navigator_a):
        person = services.person_create(by=navigator_a, data={"first_name": "Ana"})
        count = AuditEvent.objects.count()
        with pytest.raises(DomainError):
            services.person_update(
                by=navigator_a,
                person=person,
                data={
                    "first_name": "Anita",
                    "date_of_birth": datetime.date(2999, 1, 1),
                },
            )
        with pytest.raises(DomainError):
            services.encounter_log(
                by=navigator_a,
                person=person,
                # deliberately wrong type: a missing start time is refused.
                data={"started_at": None},  # type: ignore[typeddict-item]
            )
        assert AuditEvent.objects.count() == count
        assert Person.objects.get(pk=person.pk).first_name == "Ana"


class TestAppendOnly:
    def test_an_event_cannot_be_saved_again(self, event):
        event.reason = "rewritten"
        with pytest.raises(RuntimeError):
            event.save()
        assert AuditEvent.objects.get(pk=event.pk).reason == ""

    def test_an_event_cannot_be_deleted(self, event):
        with pytest.raises(RuntimeError):
            event.delete()
        assert AuditEvent.objects.filter(pk=event.pk).exists()

    @pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="The append-only trigger (migration navigator 0002) is "
        "PostgreSQL-only; SQLite has only the model's Python guard.",
    )
    def test_the_database_refuses_bulk_update_and_delete(self, event):
        refused = pytest.raises(DatabaseError, match="append-only")
        with refused, transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).update(reason="rewritten")
        with refused, transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).delete()
        with refused, transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM navigator_auditevent")
        kept = AuditEvent.objects.get(pk=event.pk)
        assert (kept.reason, kept.changes) == ("", {"phone": ["1", "2"]})


class TestTrail:
    @pytest.fixture
    def person(self, navigator_a):
        person = services.person_create(by=navigator_a, data={"first_name": "Ana"})
        services.person_record_viewed(by=navigator_a, person=person)
        services.person_update(by=navigator_a, person=person, data={"city": "X"})
        return person

    def test_a_manager_of_the_program_reads_it_newest_first(
        self, person, manager_a, navigator_a
    ):
        trail = list(audit_trail_for_person(user=manager_a, person_id=person.pk))
        assert [e.action for e in trail] == ["update", "view", "create"]
        assert {e.actor for e in trail} == {navigator_a}

    def test_nobody_else_reads_it(self, person, navigator_a, program_a, program_b):
        other_manager = member(program_b, Role.PROGRAM_MANAGER)
        admin = member(program_a, Role.ADMIN)
        for user in (navigator_a, other_manager, admin, AnonymousUser()):
            assert not audit_trail_for_person(user=user, person_id=person.pk).exists()

    def test_an_inactive_manager_reads_nothing(self, person, manager_a):
        Membership.objects.filter(user=manager_a).update(is_active=False)
        user = User.objects.get(pk=manager_a.pk)
        assert not audit_trail_for_person(user=user, person_id=person.pk).exists()

    def test_only_that_persons_events(self, person, manager_a, navigator_a):
        other = services.person_create(by=navigator_a, data={"first_name": "Bo"})
        trail = audit_trail_for_person(user=manager_a, person_id=person.pk)
        assert {e.person_id for e in trail} == {person.pk}
        assert other.pk not in {e.person_id for e in trail}
