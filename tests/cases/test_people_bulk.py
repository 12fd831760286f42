"""The people bulk write path (cases.services.people_bulk), called directly."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import DobPrecision, Person
from cases.services import people_bulk
from cases.services.people_bulk import PersonRow, people_upsert_bulk
from navigator.context import audit_context
from navigator.errors import DomainError
from navigator.models import AuditAction, AuditEvent
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def person_events(person: Person) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            object_type="cases.person", object_id=str(person.pk)
        ).order_by("id")
    )


def test_creates_updates_and_leaves_unchanged_in_order(program_a):
    kept = PersonFactory(program=program_a, external_id="H-1", first_name="Ana")
    same = PersonFactory(program=program_a, external_id="H-2", first_name="Bo")
    results = people_upsert_bulk(
        program=program_a,
        rows=[
            PersonRow(ref=1, data={"first_name": "Cleo", "last_name": "Diaz"}),
            PersonRow(ref=2, external_id="H-1", data={"city": "Tacoma"}),
            PersonRow(ref=3, external_id="H-2", data={"first_name": "Bo"}),
        ],
        by=None,
    )
    assert [(r.ref, r.outcome) for r in results] == [
        (1, "created"),
        (2, "updated"),
        (3, "unchanged"),
    ]
    kept.refresh_from_db()
    # Only the fields given change: an absent one is left alone.
    assert (kept.first_name, kept.city) == ("Ana", "Tacoma")
    assert "tacoma" not in kept.search_text  # names only
    assert [e.action for e in person_events(same)] == []  # nothing to audit
    assert [e.action for e in person_events(kept)] == [AuditAction.UPDATE]
    created = results[0].person
    assert created is not None and created.pk
    assert "cleo" in created.search_text


def test_rejected_rows_say_why_and_write_nothing(program_a, manager_a):
    deleted = PersonFactory(program=program_a, external_id="GONE")
    deleted.deleted_at = deleted.updated_at
    deleted.save()
    results = people_upsert_bulk(
        program=program_a,
        rows=[
            PersonRow(ref=1, data={"city": "Nowhere"}),  # no name
            PersonRow(ref=2, external_id="GONE", data={"first_name": "X"}),
            PersonRow(
                ref=3,
                data={"first_name": "Old", "date_of_birth": datetime.date(1850, 1, 1)},
            ),
            PersonRow(ref=4, data={"first_name": "Fine"}),
        ],
    )
    assert [r.outcome for r in results] == ["rejected"] * 3 + ["created"]
    assert "no first_name" in results[0].message
    assert "restore it first" in results[1].message
    assert "before 1900" in results[2].message
    assert set(Person.objects.values_list("first_name", flat=True)) >= {"Fine"}
    assert not Person.objects.filter(first_name__in=["Old", "X"]).exists()


def test_the_person_services_birth_rules_apply(program_a):
    [estimated, exact] = people_upsert_bulk(
        program=program_a,
        rows=[
            PersonRow(ref=1, data={"first_name": "A", "estimated_age": 40}),
            PersonRow(
                ref=2,
                data={"first_name": "B", "date_of_birth": datetime.date(1980, 5, 1)},
            ),
        ],
    )
    assert estimated.person is not None and exact.person is not None
    assert estimated.person.dob_precision == DobPrecision.ESTIMATED
    assert estimated.person.date_of_birth is not None
    assert estimated.person.date_of_birth.month == 1
    assert exact.person.dob_precision == DobPrecision.EXACT


def test_an_unknown_field_rejects_its_row(program_a):
    [result] = people_upsert_bulk(
        program=program_a,
        # deliberately wrong type: a key PersonData does not have.
        rows=[PersonRow(ref=1, data={"first_name": "A", "program_id": 9})],  # type: ignore[typeddict-unknown-key]
    )
    assert result.outcome == "rejected"
    assert "program_id" in result.message
    assert not Person.objects.exists()


def test_a_user_writes_only_into_their_program(navigator_a, program_b):
    with pytest.raises(DomainError):
        people_upsert_bulk(
            program=program_b,
            rows=[PersonRow(ref=1, data={"first_name": "A"})],
            by=navigator_a,
        )
    assert not Person.objects.filter(program=program_b).exists()


def test_audited_with_one_insert_per_batch(program_a, navigator_a, monkeypatch):
    monkeypatch.setattr(people_bulk, "BATCH", 50)
    rows = [
        PersonRow(ref=n, data={"first_name": f"P{n}"}, reason=f"r{n}")
        for n in range(120)
    ]
    with (
        audit_context(request_id="req-bulk", source="command"),
        CaptureQueriesContext(connection) as queries,
    ):
        results = people_upsert_bulk(program=program_a, rows=rows, by=navigator_a)
    assert {r.outcome for r in results} == {"created"}
    # COPY on PostgreSQL, an INSERT elsewhere (navigator.bulk).
    writes = ('INSERT INTO "navigator_auditevent"', 'COPY "navigator_auditevent"')
    audit_inserts = [q for q in queries if q["sql"].startswith(writes)]
    assert len(audit_inserts) == 3  # 50 + 50 + 20 rows
    events = AuditEvent.objects.filter(object_type="cases.person")
    assert events.count() == 120
    event = events.get(reason="r7")
    assert (event.action, event.actor, event.request_id, event.source) == (
        AuditAction.CREATE,
        navigator_a,
        "req-bulk",
        "command",
    )
    assert event.changes["first_name"] == [None, "P7"]
    person = results[7].person
    assert person is not None
    assert event.person_id == person.pk


def test_new_person_gets_aliases_history_and_consent_time(program_a):
    met = datetime.datetime(2024, 3, 1, 12, tzinfo=datetime.UTC)
    [result] = people_upsert_bulk(
        program=program_a,
        rows=[
            PersonRow(
                ref=1,
                external_id="S-1",
                data={"first_name": "Ana", "phone": "555-0100", "sms_consent": True},
                aliases=[
                    ("Annie", "nickname"),
                    ("annie", "alias"),
                    ("Ana B", "former"),
                ],
                created_at=met,
            )
        ],
    )
    assert result.person is not None
    person = Person.objects.get(pk=result.person.pk)
    assert sorted(person.aliases.values_list("name", "kind")) == [
        ("Ana B", "former"),
        ("Annie", "nickname"),
    ]
    assert (person.created_at, person.updated_at, person.sms_consent_at) == (
        met,
        met,
        met,
    )
    assert "annie" in person.search_text
    [event] = person_events(person)
    assert event.changes["aliases"] == [[], ["Ana B", "Annie"]]


def test_a_bad_alias_rejects_only_its_row(program_a):
    results = people_upsert_bulk(
        program=program_a,
        rows=[
            PersonRow(ref=1, data={"first_name": "A"}, aliases=[("x" * 500, "alias")]),
            PersonRow(ref=2, data={"first_name": "B"}),
        ],
    )
    assert [r.outcome for r in results] == ["rejected", "created"]
    assert "alias" in results[0].message
    assert list(
        Person.objects.filter(program=program_a).values_list("first_name", flat=True)
    ) == ["B"]
