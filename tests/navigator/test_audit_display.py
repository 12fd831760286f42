"""The audit log in people's words (navigator/audit_display.py): kind of
record, field labels, names for ids, choice labels, program-local minutes."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest

from navigator.audit_display import AuditTrailFilterForm, audit_rows, trail_entries
from navigator.models import AuditAction, AuditEvent
from navigator.selectors import AuditTrailFilters
from tests.factories import PersonFactory, member

pytestmark = pytest.mark.django_db

LOS_ANGELES = zoneinfo.ZoneInfo("America/Los_Angeles")
# 20:30:59.000123 UTC on 15 January: 12:30 in Los Angeles (PST).
AT = datetime.datetime(2026, 1, 15, 20, 30, 59, 123, tzinfo=datetime.UTC)


def event(**fields) -> AuditEvent:
    # Not saved: the display reads rows, it does not need them stored.
    fields.setdefault("action", AuditAction.UPDATE)
    return AuditEvent(at=AT, object_id="4", **fields)


def changes_of(row) -> dict[str, tuple[str, str]]:
    return {c.field: (c.old, c.new) for c in row.changes}


def test_a_completed_followup_reads_as_people_say_it(program_a, navigator_a):
    (row,) = audit_rows(
        [
            event(
                actor=navigator_a,
                object_type="followups.followup",
                changes={
                    "completed_by_id": [None, navigator_a.pk],
                    "status": ["scheduled", "completed"],
                    "outcome": ["", "reached"],
                    # 17:05 UTC on 10 March: 10:05 in Los Angeles (PDT).
                    "completed_at": [None, "2026-03-10T17:05:42.123456+00:00"],
                    "remind_person": [False, True],
                    "encounter_id": [None, 12],
                },
            )
        ],
        tz=LOS_ANGELES,
    )
    assert row.action_label == "Updated"
    assert row.kind == "Followup"
    assert row.when == "15 Jan 2026, 12:30"
    assert row.actor == navigator_a.get_full_name()
    assert changes_of(row) == {
        "Completed by": ("—", navigator_a.get_full_name()),
        "Status": ("Scheduled", "Completed"),
        "Outcome": ("—", "Reached, doing OK"),
        "Completed at": ("—", "10 Mar 2026, 10:05"),
        "Remind person": ("No", "Yes"),
        # Not loaded by name (its name is its person's): kind and id.
        "Encounter": ("—", "Encounter #12"),
    }


def test_people_are_named_and_the_system_is_the_system(program_a):
    person = PersonFactory(program=program_a, first_name="Ada", last_name="Quill")
    (row,) = audit_rows(
        [
            event(
                actor=None,
                object_type="cases.encounter",
                changes={"person_id": [None, person.pk]},
            )
        ],
        tz=LOS_ANGELES,
    )
    assert row.actor == "system"
    assert row.kind == "Encounter"
    assert changes_of(row) == {"Person": ("—", person.display_name)}


def test_names_are_loaded_once_per_kind_of_record(program_a, django_assert_num_queries):
    users = [member(program_a) for _ in range(20)]
    people = [PersonFactory(program=program_a) for _ in range(20)]
    events = [
        event(
            actor=user,
            object_type="followups.followup",
            changes={"assigned_to_id": [None, user.pk], "person_id": [None, p.pk]},
        )
        for user, p in zip(users, people, strict=True)
    ]
    with django_assert_num_queries(2):
        rows = audit_rows(events, tz=LOS_ANGELES)
    assert [changes_of(r)["Assigned to"][1] for r in rows] == [
        u.get_full_name() for u in users
    ]


def test_what_the_models_do_not_describe_is_still_readable():
    rows = audit_rows(
        [
            event(object_type="navigator.user", changes={"mfa": "totp"}),
            event(object_type="gone.model", changes={"odd_field": [1, 2]}),
        ],
        tz=LOS_ANGELES,
    )
    assert rows[0].kind == "User"
    assert changes_of(rows[0]) == {"Mfa": ("—", "totp")}
    assert rows[1].kind == "gone.model"
    assert changes_of(rows[1]) == {"Odd field": ("1", "2")}


def test_list_events_are_folded_in_runs():
    listed = [event(action=AuditAction.LIST, object_type="cases.person")] * 2
    viewed = event(action=AuditAction.VIEW, object_type="cases.person")
    rows = audit_rows([*listed, viewed, listed[0]], tz=LOS_ANGELES)
    entries = trail_entries(rows)
    assert [
        len(e.listed) if e.listed else e.row.action if e.row else None for e in entries
    ] == [
        2,
        AuditAction.VIEW,
        1,
    ]


def test_the_filter_form_reads_the_query_string(program_a, navigator_a):
    def filters(data):
        return AuditTrailFilterForm(data, actors=[navigator_a]).filters()

    assert filters(None) == AuditTrailFilters()
    assert filters({"action": "update", "actor": str(navigator_a.pk)}) == (
        AuditTrailFilters(action="update", actor_id=navigator_a.pk)
    )
    assert filters({"actor": "system"}) == AuditTrailFilters(by_system=True)
    # Someone not in the trail, or a made-up kind: not applied, and said so.
    bad = AuditTrailFilterForm({"action": "hack", "actor": "999999"}, actors=[])
    assert bad.filters() == AuditTrailFilters()
    assert set(bad.errors) == {"action", "actor"}
