"""The familiar-faces list as CSV: columns, no narrative, audit, filters."""

from __future__ import annotations

import csv
import io

import pytest

from cases.familiar import services as ff
from navigator.models import AuditAction, AuditEvent, Membership, Role
from tests.cases.familiar_world import (
    EXPORT_URL,
    LIST_URL,
    flagged,
)

pytestmark = pytest.mark.django_db

# Session, user, memberships, the flags, enrollments, encounters, previous
# window, the export's audit insert (+ program), the people's audit insert,
# session save: fixed per 500 rows.
EXPORT_MAX_QUERIES = 13


# --- CSV ---------------------------------------------------------------------


def read_csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_export_has_the_list_columns_no_narrative_and_is_audited(
    client, program_a, manager_a, navigator_a
):
    people = flagged(program_a, n_people=2)
    ff.familiar_enroll(
        by=manager_a, person=people[1], navigator=navigator_a, plan="Private plan"
    )
    client.force_login(manager_a)
    response = client.get(EXPORT_URL)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    assert response["Cache-Control"] == "no-store"
    body = response.content.decode()
    assert "Secret narrative" not in body and "Private plan" not in body
    rows = read_csv(response)
    assert list(rows[0]) == [
        "person_id",
        "external_id",
        "name",
        "program",
        "rule",
        "contacts",
        "window_start",
        "window_end",
        "previous_contacts",
        "trend",
        "last_contact",
        "top_concerns",
        "dispositions",
        "overdue_followups",
        "navigator",
        "enrollment_status",
    ]
    by_id = {int(r["person_id"]): r for r in rows}
    assert set(by_id) == {p.pk for p in people}
    second = by_id[people[1].pk]
    assert (second["contacts"], second["previous_contacts"], second["trend"]) == (
        "5",
        "1",
        "up",
    )
    assert second["enrollment_status"] == "enrolled"
    assert second["navigator"] == navigator_a.get_full_name()
    assert second["top_concerns"] == "Mental health; Homelessness"
    assert second["window_end"].endswith(("-07:00", "-08:00"))  # program time
    event = AuditEvent.objects.get(action=AuditAction.VIEW)
    assert (event.actor, event.program_id, event.object_type) == (
        manager_a,
        program_a.pk,
        "navigator.program",
    )
    assert event.changes == {"export": ["familiar_faces.csv", 2]}


def test_export_follows_filters_and_audits_each_managed_program(
    client, program_a, program_b, manager_a
):
    Membership.objects.create(
        user=manager_a, program=program_b, role=Role.PROGRAM_MANAGER
    )
    flagged(program_a, n_people=2)
    flagged(program_b, n_people=1)
    client.force_login(manager_a)
    assert len(read_csv(client.get(EXPORT_URL))) == 3
    audited = dict(
        AuditEvent.objects.filter(action=AuditAction.VIEW).values_list(
            "program_id", "changes"
        )
    )
    assert audited == {
        program_a.pk: {"export": ["familiar_faces.csv", 2]},
        program_b.pk: {"export": ["familiar_faces.csv", 1]},
    }
    seen = AuditEvent.objects.latest("id").pk
    assert len(read_csv(client.get(EXPORT_URL, {"program": program_b.pk}))) == 1
    # The export of program B, and its one person listed in it.
    assert list(
        AuditEvent.objects.filter(pk__gt=seen)
        .order_by("id")
        .values_list("program_id", "action")
    ) == [(program_b.pk, AuditAction.VIEW), (program_b.pk, AuditAction.LIST)]
    # A bad filter goes back to the list (which names it), exporting nothing.
    response = client.get(EXPORT_URL, {"enrolled": "maybe"})
    assert response.status_code == 302
    assert response.url == f"{LIST_URL}?enrolled=maybe"


def test_export_leaves_out_programs_where_the_manager_is_a_navigator(
    client, program_a, program_b, manager_a
):
    Membership.objects.create(user=manager_a, program=program_b, role=Role.NAVIGATOR)
    flagged(program_a, n_people=1)
    flagged(program_b, n_people=2)
    client.force_login(manager_a)
    rows = read_csv(client.get(EXPORT_URL))
    assert {r["program"] for r in rows} == {program_a.name}
    assert set(
        AuditEvent.objects.filter(action=AuditAction.VIEW).values_list(
            "program_id", flat=True
        )
    ) == {program_a.pk}


def test_export_cells_cannot_run_as_spreadsheet_formulas(client, program_a, manager_a):
    flagged(program_a, n_people=1, first_name="=HYPERLINK(1)", last_name="Doe")
    client.force_login(manager_a)
    (row,) = read_csv(client.get(EXPORT_URL))
    assert row["name"].startswith("'=HYPERLINK")


@pytest.mark.parametrize("n_people", [3, 30])
def test_export_query_count_is_flat(
    client, program_a, manager_a, n_people, django_assert_max_num_queries
):
    flagged(program_a, n_people=n_people)
    client.force_login(manager_a)
    with django_assert_max_num_queries(EXPORT_MAX_QUERIES):
        response = client.get(EXPORT_URL)
    assert len(read_csv(response)) == n_people
