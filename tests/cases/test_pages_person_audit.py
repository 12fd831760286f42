"""A person's audit trail for the program manager (issue 8): what kind of
record, field labels, names, choice labels, the program's time, filters by
kind of event and by who, and a CSV export that is audited as a read."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from cases.services import person_update
from navigator import disclosure
from navigator.models import AuditAction, AuditEvent, Role
from tests.factories import PersonFactory, member

pytestmark = pytest.mark.django_db

# The page's queries (tests/cases/test_pages_person.py) with the names behind
# the ids: one query for the users, one for the people, whatever the rows.
AUDIT_PAGE_WITH_NAMES_MAX_QUERIES = 14
# The export: the same, but one count fewer (no pages).
AUDIT_EXPORT_MAX_QUERIES = 13


@pytest.fixture
def person(program_a):
    return PersonFactory(program=program_a, first_name="Ada", last_name="Quill")


def completed(person, by, *, reason: str = "") -> AuditEvent:
    """What a follow-up's completion writes, as the issue saw it."""
    return AuditEvent.objects.create(
        actor=by,
        action=AuditAction.UPDATE,
        object_type="followups.followup",
        object_id="4",
        person_id=person.pk,
        program_id=person.program_id,
        changes={
            "completed_by_id": [None, by.pk],
            "status": ["scheduled", "completed"],
            "completed_at": [None, "2026-03-10T17:05:42.123456+00:00"],
            "person_id": [None, person.pk],
        },
        reason=reason,
        source="web",
    )


def test_the_trail_is_written_for_people(client, manager_a, navigator_a, person):
    completed(person, navigator_a)
    client.force_login(manager_a)
    html = client.get(reverse("person-audit", args=[person.pk])).text
    assert "followups.followup" not in html
    assert "completed_by_id" not in html
    assert "Updated</strong>" in html and "followup #4" in html
    assert f"Completed by</span>: — → {navigator_a.get_full_name()}" in html
    assert "Status</span>: Scheduled → Completed" in html
    # The program's time zone (Los Angeles: PDT), to the minute.
    assert "Completed at</span>: — → 10 Mar 2026, 10:05" in html
    assert f"Person</span>: — → {person.display_name}" in html
    assert "America/Los_Angeles" in html
    assert ".123456" not in html


def test_the_trail_filters_by_kind_of_event_and_by_who(
    client, manager_a, navigator_a, program_a, person
):
    other = member(program_a, Role.NAVIGATOR, first_name="Omar", last_name="Diaz")
    person_update(by=navigator_a, person=person, data={"city": "Shelbyville"})
    person_update(by=other, person=person, data={"city": "Ogdenville"})
    completed(person, navigator_a)
    url = reverse("person-audit", args=[person.pk])
    client.force_login(manager_a)

    def shown(**query):
        response = client.get(url, query)
        return [e.row for e in response.context["entries"] if e.row], response

    rows, page = shown(actor=str(other.pk))
    assert {r.actor for r in rows} == {"Omar Diaz"}
    assert "→ Ogdenville" in page.text and "→ Shelbyville" not in page.text
    # The export link keeps the filters.
    assert f"export.csv?actor={other.pk}" in page.text

    rows, _ = shown(action=AuditAction.UPDATE, actor=str(navigator_a.pk))
    assert {(r.action, r.actor) for r in rows} == {
        (AuditAction.UPDATE, navigator_a.get_full_name())
    }
    assert len(rows) == 2

    rows, _ = shown(action=AuditAction.VIEW)
    assert {r.action for r in rows} == {AuditAction.VIEW}

    # A filter that cannot apply says so and filters nothing.
    rows, page = shown(actor="999999")
    assert "filter-errors" in page.text
    assert len(rows) >= 3


def test_the_export_is_csv_in_the_programs_time_and_audited(
    client, manager_a, navigator_a, person
):
    completed(person, navigator_a, reason='=HYPERLINK("http://x")')
    client.force_login(manager_a)
    response = client.get(
        reverse("person-audit-export", args=[person.pk]),
        {"action": AuditAction.UPDATE},
    )
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == (
        f'attachment; filename="audit-trail-person-{person.pk}.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 1
    (row,) = rows
    assert row["event"] == "Updated"
    assert row["record"] == "Followup"
    assert row["by"] == navigator_a.get_full_name()
    assert "Completed at: — → 10 Mar 2026, 10:05" in row["changes"]
    # Typed text never runs as a spreadsheet formula.
    assert row["reason"] == '\'=HYPERLINK("http://x")'

    # An accounting of the disclosure: the manager read the trail.
    event = AuditEvent.objects.get(
        actor=manager_a, action=AuditAction.VIEW, person_id=person.pk
    )
    assert disclosure.AUDIT_TRAIL in event.disclosed
    assert event.endpoint == "person-audit-export"


def test_the_export_is_for_managers_of_the_program(
    client, navigator_a, program_b, person
):
    url = reverse("person-audit-export", args=[person.pk])
    # The program's navigator: in scope, not allowed (403, as everywhere);
    # another program's manager: out of scope (404).
    for outsider, status in (
        (navigator_a, 403),
        (member(program_b, Role.PROGRAM_MANAGER), 404),
    ):
        client.force_login(outsider)
        assert client.get(url).status_code == status
    assert not AuditEvent.objects.filter(action=AuditAction.VIEW).exists()


@pytest.mark.parametrize("rows", [3, 30])
def test_page_and_export_query_counts_are_flat(
    client, manager_a, program_a, person, django_assert_max_num_queries, rows
):
    for _ in range(rows):
        # Each by someone else, naming someone else.
        completed(person, member(program_a, Role.NAVIGATOR))
    client.force_login(manager_a)
    with django_assert_max_num_queries(AUDIT_PAGE_WITH_NAMES_MAX_QUERIES):
        page = client.get(reverse("person-audit", args=[person.pk]))
    assert len(page.context["page_obj"].object_list) == rows
    with django_assert_max_num_queries(AUDIT_EXPORT_MAX_QUERIES):
        export = client.get(reverse("person-audit-export", args=[person.pk]))
    assert len(export.content.decode().splitlines()) >= rows + 1
