"""Familiar-faces pages: the list, its actions and CSV, rules, the person
panel, outcomes and history. Wiring, permissions, audit and query counts; the
rules themselves are tested in test_familiar_faces_*.py."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from cases.familiar import evaluation
from cases.familiar import services as ff
from cases.models import (
    Encounter,
    EnrollmentStatus,
    FamiliarFaceEnrollment,
    FamiliarFaceFlag,
    FamiliarFacesRule,
    FlagStatus,
    Person,
)
from navigator.models import AuditAction, AuditEvent, Membership, Role
from tests.factories import EncounterFactory, PersonFactory, member

pytestmark = pytest.mark.django_db

LIST_URL = reverse("familiar:list")
EXPORT_URL = reverse("familiar:export")
RULES_URL = reverse("familiar:rules")
OUTCOMES_URL = reverse("familiar:outcomes")
HISTORY_URL = reverse("familiar:history")

# Session, user, memberships; the rules behind the trend filter; COUNT and
# the page of flags (annotated); the rows' enrollments, encounters and
# previous-window counts (one per rule on the page); the enroll forms' staff;
# the filter form's rule choices; the audit insert; the session save with its
# savepoints. None grow with the page.
LIST_MAX_QUERIES = 15
# Session, user, memberships, the flags, enrollments, encounters, previous
# window, the export's audit insert (+ program), the people's audit insert,
# session save: fixed per 500 rows.
EXPORT_MAX_QUERIES = 13
# Session, user, memberships, COUNT, page, the two totals, the audit insert,
# session save.
OUTCOMES_MAX_QUERIES = 11
# Session, user, memberships, COUNT, page (person, rule, program joined), the
# audit insert, session save.
HISTORY_MAX_QUERIES = 9
# Session, user, memberships, the person, the audit insert, the months, the
# flags, the enrollment, session save.
PANEL_MAX_QUERIES = 12


def flagged(
    program,
    n_people: int = 3,
    contacts: int = 4,
    previous: int = 1,
    rule: FamiliarFacesRule | None = None,
    **person_kwargs,
) -> list[Person]:
    """People with ``contacts`` (+0..2, so the list has an order) encounters in
    the last 30 days and ``previous`` in the 30 before, evaluated: on the list
    of a "3 in 30 days" rule."""
    if rule is None:
        rule, _ = FamiliarFacesRule.objects.get_or_create(
            program=program,
            name="3 in 30 days",
            defaults={"min_encounters": 3, "window_days": 30},
        )
    now = timezone.now()
    people = PersonFactory.create_batch(n_people, program=program, **person_kwargs)
    rows = []
    for i, person in enumerate(people):
        for d in range(contacts + i % 3):
            rows.append(
                EncounterFactory.build(
                    person=person,
                    program=program,
                    started_at=now - datetime.timedelta(days=d + 1, minutes=i),
                    concerns=["mental_health", "homelessness"]
                    if d % 2
                    else ["mental_health"],
                    narrative="Secret narrative about the call.",
                )
            )
        rows.extend(
            EncounterFactory.build(
                person=person,
                program=program,
                started_at=now - datetime.timedelta(days=35 + d),
            )
            for d in range(previous)
        )
    Encounter.objects.bulk_create(rows)
    evaluation.evaluate_program(program)
    return people


def flag_of(person) -> FamiliarFaceFlag:
    return FamiliarFaceFlag.objects.get(
        person=person, status__in=["active", "dismissed"]
    )


@pytest.fixture
def admin_a(program_a):
    return member(program_a, Role.ADMIN, username="admin-a")


@pytest.fixture
def partner_a(program_a):
    return member(program_a, Role.PARTNER, username="partner-a")


@pytest.fixture
def manager_b(program_b):
    return member(program_b, Role.PROGRAM_MANAGER, username="mgr-b")


# --- who may open what -------------------------------------------------------


def all_urls(flag, person, enrollment=None) -> list[str]:
    urls = [
        LIST_URL,
        EXPORT_URL,
        RULES_URL,
        reverse("familiar:rule-create"),
        reverse("familiar:rule-edit", args=[flag.rule_id]),
        OUTCOMES_URL,
        HISTORY_URL,
        reverse("familiar:enroll", args=[flag.pk]),
        reverse("familiar:dismiss", args=[flag.pk]),
        reverse("familiar:person-panel", args=[person.pk]),
    ]
    if enrollment:
        urls.append(reverse("familiar:enrollment-end", args=[enrollment.pk]))
    return urls


def test_every_page_requires_login(client, program_a):
    (person,) = flagged(program_a, n_people=1)
    for url in all_urls(flag_of(person), person):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login")), url


@pytest.mark.parametrize("role", ["admin_a", "partner_a"])
def test_admins_and_partners_get_404_everywhere(
    client, request, role, program_a, manager_a, navigator_a
):
    (person,) = flagged(program_a, n_people=1)
    enrollment = ff.familiar_enroll(by=manager_a, person=person, navigator=navigator_a)
    client.force_login(request.getfixturevalue(role))
    for url in all_urls(flag_of(person), person, enrollment):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(
            reverse("familiar:dismiss", args=[flag_of(person).pk]), {"reason": "x"}
        ).status_code
        == 404
    )
    assert flag_of(person).status == FlagStatus.ACTIVE


def test_navigator_reads_list_history_rules_but_no_manager_pages(
    client, program_a, navigator_a, manager_a
):
    (person,) = flagged(program_a, n_people=1)
    flag = flag_of(person)
    enrollment = ff.familiar_enroll(by=manager_a, person=person, navigator=navigator_a)
    client.force_login(navigator_a)
    for url in (LIST_URL, RULES_URL, HISTORY_URL):
        assert client.get(url).status_code == 200, url
    for url in (
        EXPORT_URL,
        OUTCOMES_URL,
        reverse("familiar:rule-create"),
        reverse("familiar:rule-edit", args=[flag.rule_id]),
        reverse("familiar:enroll", args=[flag.pk]),
        reverse("familiar:dismiss", args=[flag.pk]),
        reverse("familiar:enrollment-end", args=[enrollment.pk]),
    ):
        assert client.get(url).status_code == 404, url


def test_navbar_links_the_list_for_staff_only(client, navigator_a, admin_a):
    client.force_login(navigator_a)
    assert f'href="{LIST_URL}">Familiar faces' in client.get(reverse("today")).text
    client.force_login(admin_a)
    assert "Familiar faces" not in client.get(reverse("today")).text


# --- the list ----------------------------------------------------------------


def test_manager_list_rows_say_why_trend_and_offer_actions(
    client, program_a, manager_a, navigator_a
):
    people = flagged(program_a, n_people=3)
    client.force_login(manager_a)
    response = client.get(LIST_URL)
    assert response.status_code == 200
    html = response.text
    rows = response.context["rows"]
    # Most contacts first: the third person has 4 + 2.
    assert [r["person"] for r in rows] == [people[2], people[1], people[0]]
    assert [r["contacts"] for r in rows] == [6, 5, 4]
    assert all(r["previous_contacts"] == 1 and r["trend"] == "up" for r in rows)
    for person in people:
        assert person.display_name in html
        assert reverse("person-detail", args=[person.pk]) in html
    assert "Why:</span> 6 encounters from" in html
    assert "rule “3 in 30 days”" in html
    assert "↑</span> up" in html and "(previous 30 days: 1)" in html
    assert "Mental health, Homelessness" in html
    flag = flag_of(people[0])
    assert f'action="{reverse("familiar:enroll", args=[flag.pk])}"' in html
    assert f'action="{reverse("familiar:dismiss", args=[flag.pk])}"' in html
    assert "won't come back on the list until they have new contacts" in html
    # The enroll form offers the program's staff.
    assert f'<option value="{navigator_a.pk}">' in html
    assert f'href="{EXPORT_URL}"' in html
    assert "{#" not in html and "{%" not in html  # no template text leaks


def test_navigator_list_is_read_only(client, program_a, navigator_a):
    (person,) = flagged(program_a, n_people=1)
    client.force_login(navigator_a)
    html = client.get(LIST_URL).text
    assert person.display_name in html
    assert reverse("familiar:dismiss", args=[flag_of(person).pk]) not in html
    assert reverse("familiar:enroll", args=[flag_of(person).pk]) not in html
    assert EXPORT_URL not in html
    assert "Read-only" in html


def test_other_programs_list_holds_none_of_ours(client, program_a, navigator_b):
    (person,) = flagged(program_a, n_people=1)
    client.force_login(navigator_b)
    response = client.get(LIST_URL)
    assert response.status_code == 200
    assert response.context["rows"] == []
    assert person.display_name not in response.text


def test_a_manager_here_and_navigator_there_acts_only_here(
    client, program_a, program_b, manager_a
):
    Membership.objects.create(user=manager_a, program=program_b, role=Role.NAVIGATOR)
    (ours,) = flagged(program_a, n_people=1)
    (theirs,) = flagged(program_b, n_people=1)
    client.force_login(manager_a)
    response = client.get(LIST_URL)
    can_act = {r["person"].pk: r["can_act"] for r in response.context["rows"]}
    assert can_act == {ours.pk: True, theirs.pk: False}
    assert (
        client.get(reverse("familiar:dismiss", args=[flag_of(theirs).pk])).status_code
        == 404
    )


def test_filters(client, program_a, manager_a, navigator_a):
    up = flagged(program_a, n_people=1, contacts=4, previous=1)[0]
    down = flagged(program_a, n_people=1, contacts=3, previous=5)[0]
    ff.familiar_enroll(by=manager_a, person=up, navigator=navigator_a)
    client.force_login(manager_a)

    def people(**params) -> list[int]:
        response = client.get(LIST_URL, params)
        assert response.status_code == 200
        return sorted({r["person"].pk for r in response.context["rows"]})

    assert people() == sorted([up.pk, down.pk])
    assert people(enrolled="true") == [up.pk]
    assert people(enrolled="false") == [down.pk]
    assert people(trend="up") == [up.pk]
    assert people(trend="down") == [down.pk]
    assert people(program=program_a.pk) == sorted([up.pk, down.pk])
    assert people(min_contacts=5) == []
    assert people(min_contacts=4) == [up.pk]
    # A second rule flags both again (a row per person and rule).
    other_rule = FamiliarFacesRule.objects.create(
        program=program_a, name="2 in 7", min_encounters=2, window_days=7
    )
    evaluation.evaluate_program(program_a)
    rows = client.get(LIST_URL, {"rule": other_rule.pk}).context["rows"]
    assert {r["rule"] for r in rows} == {other_rule} and len(rows) == 2
    # A bad value is named on the form, never a 500.
    response = client.get(LIST_URL, {"enrolled": "maybe", "min_contacts": "2.5"})
    assert response.status_code == 200
    assert set(response.context["filter"].form.errors) == {"enrolled", "min_contacts"}


def test_list_is_paginated(client, program_a, manager_a):
    flagged(program_a, n_people=27)
    client.force_login(manager_a)
    first = client.get(LIST_URL)
    assert len(first.context["rows"]) == 25
    assert "Page 1 of 2" in first.text
    second = client.get(LIST_URL, {"page": 2})
    assert len(second.context["rows"]) == 2
    counts = [r["contacts"] for r in first.context["rows"]] + [
        r["contacts"] for r in second.context["rows"]
    ]
    assert counts == sorted(counts, reverse=True)


@pytest.mark.parametrize("n_people", [3, 30])
def test_list_query_count_is_flat(
    client, program_a, manager_a, navigator_a, n_people, django_assert_max_num_queries
):
    people = flagged(program_a, n_people=n_people)
    ff.familiar_enroll(by=manager_a, person=people[0], navigator=navigator_a)
    client.force_login(manager_a)
    with django_assert_max_num_queries(LIST_MAX_QUERIES):
        response = client.get(LIST_URL, {"trend": "up", "enrolled": "false"})
    assert len(response.context["rows"]) == min(n_people - 1, 25)


# --- manager actions ---------------------------------------------------------


def test_manager_dismisses_with_a_reason_audited(client, program_a, manager_a):
    (person,) = flagged(program_a, n_people=1)
    flag = flag_of(person)
    client.force_login(manager_a)
    back = f"{LIST_URL}?trend=up"
    response = client.post(
        reverse("familiar:dismiss", args=[flag.pk]),
        {"reason": "Moved out of the county.", "next": back},
    )
    assert response.status_code == 302 and response.url == back
    flag.refresh_from_db()
    assert flag.status == FlagStatus.DISMISSED
    assert (flag.dismissed_by, flag.dismissed_reason) == (
        manager_a,
        "Moved out of the county.",
    )
    event = AuditEvent.objects.get(object_type="cases.familiarfaceflag")
    assert (event.actor, event.action, event.person_id, event.reason) == (
        manager_a,
        AuditAction.UPDATE,
        person.pk,
        "Moved out of the county.",
    )
    assert event.source == "web"
    page = client.get(LIST_URL)
    assert "off the list until they have new contacts" in page.text
    assert page.context["rows"] == []


def test_dismiss_needs_a_reason(client, program_a, manager_a):
    (person,) = flagged(program_a, n_people=1)
    flag = flag_of(person)
    client.force_login(manager_a)
    url = reverse("familiar:dismiss", args=[flag.pk])
    page = client.get(url)
    assert page.status_code == 200 and "until they have new contacts" in page.text
    response = client.post(url, {"reason": "  "})
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    assert flag_of(person).status == FlagStatus.ACTIVE
    assert not AuditEvent.objects.filter(object_type="cases.familiarfaceflag").exists()


def test_dismissing_twice_says_why_and_changes_nothing(client, program_a, manager_a):
    (person,) = flagged(program_a, n_people=1)
    flag = flag_of(person)
    ff.familiar_flag_dismiss(by=manager_a, flag=flag, reason="first")
    client.force_login(manager_a)
    url = reverse("familiar:dismiss", args=[flag.pk])
    assert "no longer on the list" in client.get(url).text
    response = client.post(url, {"reason": "second"})
    assert response.status_code == 200
    assert "Only a flag on the list can be dismissed." in response.text
    flag.refresh_from_db()
    assert flag.dismissed_reason == "first"


def test_navigator_cannot_dismiss_or_enroll(client, program_a, navigator_a):
    (person,) = flagged(program_a, n_people=1)
    flag = flag_of(person)
    client.force_login(navigator_a)
    assert (
        client.post(
            reverse("familiar:dismiss", args=[flag.pk]), {"reason": "x"}
        ).status_code
        == 404
    )
    assert (
        client.post(
            reverse("familiar:enroll", args=[flag.pk]), {"navigator": navigator_a.pk}
        ).status_code
        == 404
    )
    assert flag_of(person).status == FlagStatus.ACTIVE
    assert not FamiliarFaceEnrollment.objects.exists()
    assert not AuditEvent.objects.exists()


def test_manager_enrolls_with_navigator_and_plan_audited(
    client, program_a, manager_a, navigator_a
):
    (person,) = flagged(program_a, n_people=1)
    flag = flag_of(person)
    client.force_login(manager_a)
    url = reverse("familiar:enroll", args=[flag.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"navigator": navigator_a.pk, "plan": "Weekly check-in at the shelter."}
    )
    assert response.status_code == 302 and response.url == LIST_URL
    enrollment = FamiliarFaceEnrollment.objects.get()
    assert (enrollment.person, enrollment.navigator, enrollment.enrolled_by) == (
        person,
        navigator_a,
        manager_a,
    )
    assert enrollment.plan == "Weekly check-in at the shelter."
    event = AuditEvent.objects.get(object_type="cases.familiarfaceenrollment")
    assert (event.actor, event.action, event.person_id) == (
        manager_a,
        AuditAction.CREATE,
        person.pk,
    )
    row = client.get(LIST_URL).context["rows"][0]
    assert row["enrollment_status"] == "enrolled" and row["navigator"] == navigator_a


def test_enroll_refuses_staff_of_another_program_and_a_second_enrollment(
    client, program_a, manager_a, navigator_a, navigator_b
):
    (person,) = flagged(program_a, n_people=1)
    url = reverse("familiar:enroll", args=[flag_of(person).pk])
    client.force_login(manager_a)
    response = client.post(url, {"navigator": navigator_b.pk})
    assert response.status_code == 200
    assert "navigator" in response.context["form"].errors
    assert client.post(url, {"navigator": navigator_a.pk}).status_code == 302
    again = client.post(url, {"navigator": navigator_a.pk})
    assert again.status_code == 200
    assert "already enrolled" in again.text
    assert FamiliarFaceEnrollment.objects.count() == 1


def test_next_must_stay_on_this_site(client, program_a, manager_a):
    (person,) = flagged(program_a, n_people=1)
    client.force_login(manager_a)
    response = client.post(
        reverse("familiar:dismiss", args=[flag_of(person).pk]),
        {"reason": "r", "next": "https://evil.example/phish"},
    )
    assert response.url == LIST_URL


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


# --- rules -------------------------------------------------------------------


def test_rules_page_gives_a_program_without_rules_the_default(
    client, program_a, navigator_a
):
    client.force_login(navigator_a)
    response = client.get(RULES_URL)
    assert response.status_code == 200
    (rule,) = FamiliarFacesRule.objects.filter(program=program_a)
    assert (rule.min_encounters, rule.window_days) == (4, 90)
    assert "4+ encounters in 90 days" in response.text
    # Read-only for navigators.
    assert reverse("familiar:rule-edit", args=[rule.pk]) not in response.text
    assert reverse("familiar:rule-create") not in response.text


def test_manager_creates_a_rule_with_filters_audited(client, program_a, manager_a):
    client.force_login(manager_a)
    url = reverse("familiar:rule-create")
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "name": "911 callers",
            "min_encounters": "3",
            "window_days": "30",
            "sources": ["911_call"],
            "concerns": ["mental_health", "substance_use"],
            "is_active": "on",
        },
    )
    assert response.status_code == 302 and response.url == RULES_URL
    rule = FamiliarFacesRule.objects.get(name="911 callers")
    assert (rule.program, rule.min_encounters, rule.window_days) == (program_a, 3, 30)
    assert rule.sources == ["911_call"]
    assert rule.concerns == ["mental_health", "substance_use"]
    assert rule.dispositions == [] and rule.is_active
    event = AuditEvent.objects.get(object_type="cases.familiarfacesrule")
    assert (event.actor, event.action) == (manager_a, AuditAction.CREATE)
    page = client.get(RULES_URL).text
    assert "sources: 911 call" in page
    assert "concerns: Mental health, Substance use" in page


def test_rule_form_names_bad_values(client, program_a, manager_a):
    client.force_login(manager_a)
    response = client.post(
        reverse("familiar:rule-create"),
        {"min_encounters": "1", "window_days": "5000", "sources": ["fax"]},
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {
        "min_encounters",
        "window_days",
        "sources",
    }
    assert not FamiliarFacesRule.objects.exists()


def test_manager_of_two_programs_chooses_the_program(
    client, program_a, program_b, manager_a
):
    Membership.objects.create(
        user=manager_a, program=program_b, role=Role.PROGRAM_MANAGER
    )
    client.force_login(manager_a)
    url = reverse("familiar:rule-create")
    missing = client.post(url, {"min_encounters": "3", "window_days": "30"})
    assert "program" in missing.context["form"].errors
    client.post(
        url, {"program": program_b.pk, "min_encounters": "3", "window_days": "30"}
    )
    rule = FamiliarFacesRule.objects.get()
    assert rule.program == program_b
    assert rule.name == "3+ encounters in 30 days"


def test_manager_edits_and_turns_off_a_rule(client, program_a, manager_a):
    (person,) = flagged(program_a, n_people=1)
    rule = flag_of(person).rule
    client.force_login(manager_a)
    edit = reverse("familiar:rule-edit", args=[rule.pk])
    form = client.get(edit)
    assert form.status_code == 200 and 'value="3 in 30 days"' in form.text
    response = client.post(
        edit,
        {
            "name": "3 in 30 days",
            "min_encounters": "3",
            "window_days": "45",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.window_days == 45
    off = client.post(
        reverse("familiar:rule-active", args=[rule.pk]), {"is_active": "false"}
    )
    assert off.status_code == 302 and off.url == RULES_URL
    rule.refresh_from_db()
    assert not rule.is_active
    flag = FamiliarFaceFlag.objects.get(person=person)
    assert flag.status == FlagStatus.CLEARED
    assert flag.cleared_reason == "the rule was turned off"
    assert AuditEvent.objects.filter(object_type="cases.familiarfacesrule").count() == 2
    assert (
        client.get(reverse("familiar:rule-active", args=[rule.pk])).status_code == 405
    )
    on = client.post(
        reverse("familiar:rule-active", args=[rule.pk]), {"is_active": "true"}
    )
    assert on.status_code == 302
    rule.refresh_from_db()
    assert rule.is_active


def test_rules_of_other_programs_are_404_and_navigators_cannot_edit(
    client, program_a, manager_b, navigator_a
):
    rule = FamiliarFacesRule.objects.create(program=program_a, name="r")
    for user in (manager_b, navigator_a):
        client.force_login(user)
        assert (
            client.get(reverse("familiar:rule-edit", args=[rule.pk])).status_code == 404
        )
        assert (
            client.post(
                reverse("familiar:rule-active", args=[rule.pk]), {"is_active": "false"}
            ).status_code
            == 404
        )
    rule.refresh_from_db()
    assert rule.is_active


# --- the person page's panel -------------------------------------------------


def local_noon(program, months_back: int) -> datetime.datetime:
    """Noon on the 15th, ``months_back`` months ago, in the program's zone."""
    today = timezone.localtime(timezone.now(), program.tz).date()
    index = today.year * 12 + today.month - 1 - months_back
    return datetime.datetime(index // 12, index % 12 + 1, 15, 12, tzinfo=program.tz)


def test_person_page_loads_the_panel_without_costing_it_queries(
    client, program_a, navigator_a
):
    person = PersonFactory(program=program_a)
    client.force_login(navigator_a)
    html = client.get(reverse("person-detail", args=[person.pk])).text
    panel = reverse("familiar:person-panel", args=[person.pk])
    assert f'hx-get="{panel}"' in html and 'hx-trigger="revealed"' in html
    assert f'<a href="{panel}">' in html  # without JavaScript


def test_panel_chart_counts_encounters_per_month(client, program_a, navigator_a):
    person = PersonFactory(program=program_a)
    EncounterFactory(
        person=person, started_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    EncounterFactory(
        person=person, started_at=timezone.now() - datetime.timedelta(minutes=2)
    )
    EncounterFactory(person=person, started_at=local_noon(program_a, 3))
    EncounterFactory(person=person, started_at=local_noon(program_a, 13))  # too old
    deleted = EncounterFactory(person=person, started_at=local_noon(program_a, 3))
    deleted.deleted_at = timezone.now()
    deleted.save()
    client.force_login(navigator_a)
    response = client.get(
        reverse("familiar:person-panel", args=[person.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "<html" not in response.text  # a fragment for htmx
    months = response.context["months"]
    assert len(months) == 12
    assert months[-1][1] == 2 and months[-4][1] == 1
    assert sum(n for _, n in months) == 3
    html = response.text
    this_month = months[-1][0].strftime("%B %Y")
    assert f'<th scope="row">{this_month}</th><td>2</td>' in html
    assert "<svg" in html and 'aria-hidden="true"' in html
    # A table ignores .visually-hidden's 1px width (it widened the phone page
    # by 111px): it hides inside a div.
    assert '<div class="visually-hidden">\n<table>' in html
    assert "{#" not in html and "{%" not in html
    assert "3 encounters from" in html
    full = client.get(reverse("familiar:person-panel", args=[person.pk]))
    assert "<html" in full.text and "Encounters per month" in full.text


def test_panel_is_audited_and_scoped(client, program_a, navigator_a, navigator_b):
    person = PersonFactory(program=program_a)
    url = reverse("familiar:person-panel", args=[person.pk])
    client.force_login(navigator_b)
    assert client.get(url).status_code == 404
    assert not AuditEvent.objects.exists()
    client.force_login(navigator_a)
    client.get(url)
    event = AuditEvent.objects.get()
    assert (event.actor, event.action, event.person_id, event.disclosed) == (
        navigator_a,
        AuditAction.VIEW,
        person.pk,
        {"encounter.counts": [person.pk]},
    )
    assert event.endpoint == "familiar:person-panel"


def test_panel_shows_flag_history_and_enrollment(
    client, program_a, manager_a, navigator_a
):
    (person,) = flagged(program_a, n_people=1)
    flag = flag_of(person)
    ff.familiar_flag_dismiss(by=manager_a, flag=flag, reason="Housed last week")
    EncounterFactory(person=person, started_at=timezone.now())
    evaluation.evaluate_person(person.pk)  # new contact: back on the list
    enrollment = ff.familiar_enroll(
        by=manager_a, person=person, navigator=navigator_a, plan="Call on Mondays"
    )
    url = reverse("familiar:person-panel", args=[person.pk])
    client.force_login(navigator_a)
    html = client.get(url, HTTP_HX_REQUEST="true").text
    assert "Dismissal superseded by new contacts" in html
    assert "Housed last week" in html and manager_a.get_full_name() in html
    assert "new contacts after the dismissal" in html
    assert "On the list" in html
    assert "Call on Mondays" in html and navigator_a.get_full_name() in html
    end_url = reverse("familiar:enrollment-end", args=[enrollment.pk])
    assert end_url not in html  # navigators do not end enrollments
    client.force_login(manager_a)
    assert end_url in client.get(url, HTTP_HX_REQUEST="true").text


def test_panel_of_a_person_never_flagged(client, program_a, navigator_a):
    person = PersonFactory(program=program_a)
    client.force_login(navigator_a)
    html = client.get(reverse("familiar:person-panel", args=[person.pk])).text
    assert "Never on the familiar-faces list." in html and "Not enrolled." in html


def test_panel_renders_in_place_with_lazy_false(rf, program_a, navigator_a):
    person = PersonFactory(program=program_a)
    EncounterFactory(
        person=person, started_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    request = rf.get("/")
    request.user = navigator_a
    html = Template(
        "{% load familiar_faces %}{% familiar_person_panel person lazy=False %}"
    ).render(Context({"person": person, "request": request}))
    assert "hx-get" not in html
    assert "1 encounter from" in html


@pytest.mark.parametrize("n_flags", [1, 6])
def test_panel_query_count_is_flat(
    client, program_a, manager_a, navigator_a, n_flags, django_assert_max_num_queries
):
    (person,) = flagged(program_a, n_people=1)
    for i in range(n_flags - 1):
        flag = flag_of(person)
        ff.familiar_flag_dismiss(by=manager_a, flag=flag, reason=f"r{i}")
        EncounterFactory(person=person, started_at=timezone.now())
        evaluation.evaluate_person(person.pk)
    ff.familiar_enroll(by=manager_a, person=person, navigator=navigator_a)
    client.force_login(manager_a)
    with django_assert_max_num_queries(PANEL_MAX_QUERIES):
        response = client.get(reverse("familiar:person-panel", args=[person.pk]))
    assert len(response.context["flags"]) == n_flags


def test_manager_ends_an_enrollment_with_a_reason(
    client, program_a, manager_a, navigator_a
):
    person = PersonFactory(program=program_a)
    enrollment = ff.familiar_enroll(by=manager_a, person=person, navigator=navigator_a)
    url = reverse("familiar:enrollment-end", args=[enrollment.pk])
    client.force_login(navigator_a)
    assert client.post(url, {"reason": "x"}).status_code == 404
    client.force_login(manager_a)
    assert "reason" in client.post(url, {"reason": ""}).context["form"].errors
    response = client.post(url, {"reason": "Stable for 3 months"})
    assert response.status_code == 302
    assert (
        response.url == reverse("person-detail", args=[person.pk]) + "#familiar-faces"
    )
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ENDED
    assert enrollment.ended_reason == "Stable for 3 months"
    event = AuditEvent.objects.filter(
        object_type="cases.familiarfaceenrollment"
    ).latest("id")
    assert (event.action, event.reason) == (AuditAction.UPDATE, "Stable for 3 months")
    assert "This enrollment ended on" in client.get(url).text


# --- outcomes ----------------------------------------------------------------


def enroll_at(by, person, navigator, when: datetime.datetime) -> FamiliarFaceEnrollment:
    enrollment = ff.familiar_enroll(by=by, person=person, navigator=navigator)
    FamiliarFaceEnrollment.objects.filter(pk=enrollment.pk).update(enrolled_at=when)
    return enrollment


def test_outcomes_before_vs_after_with_totals(
    client, program_a, manager_a, navigator_a
):
    now = timezone.now()
    old, recent = PersonFactory.create_batch(2, program=program_a)
    # Enrolled 100 days ago: 3 contacts in the 30 days before, 1 in the 30 after.
    enrolled = now - datetime.timedelta(days=100)
    for d in (2, 10, 20):
        EncounterFactory(person=old, started_at=enrolled - datetime.timedelta(days=d))
    EncounterFactory(person=old, started_at=enrolled + datetime.timedelta(days=5))
    EncounterFactory(person=old, started_at=enrolled - datetime.timedelta(days=40))
    enroll_at(manager_a, old, navigator_a, enrolled)
    # Enrolled 10 days ago: 2 before, 1 after so far.
    since = now - datetime.timedelta(days=10)
    for d in (1, 3):
        EncounterFactory(person=recent, started_at=since - datetime.timedelta(days=d))
    EncounterFactory(person=recent, started_at=since + datetime.timedelta(days=1))
    enroll_at(manager_a, recent, navigator_a, since)

    client.force_login(manager_a)
    response = client.get(OUTCOMES_URL, {"days": 30})
    assert response.status_code == 200
    rows = {e.person_id: e for e in response.context["page_obj"].object_list}
    assert (rows[old.pk].contacts_before, rows[old.pk].contacts_after) == (3, 1)
    assert rows[old.pk].days_observed == 30
    assert (rows[recent.pk].contacts_before, rows[recent.pk].contacts_after) == (2, 1)
    assert rows[recent.pk].days_observed == 10
    totals = response.context["totals"]
    assert totals["all"] == {"enrollments": 2, "before": 5, "after": 2, "percent": -60}
    assert totals["observed"] == {
        "enrollments": 1,
        "before": 3,
        "after": 1,
        "percent": -67,
    }
    assert "10 of 30" in response.text
    # The default period is 90 days; a bad one is named and the default used.
    assert client.get(OUTCOMES_URL).context["days"] == 90
    bad = client.get(OUTCOMES_URL, {"days": "-3"})
    assert bad.context["days"] == 90 and "days" in bad.context["form"].errors


def test_outcomes_hold_only_managed_programs(
    client, program_a, manager_a, manager_b, navigator_a
):
    person = PersonFactory(program=program_a)
    ff.familiar_enroll(by=manager_a, person=person, navigator=navigator_a)
    client.force_login(manager_b)
    response = client.get(OUTCOMES_URL)
    assert response.status_code == 200
    assert response.context["page_obj"].object_list == []


@pytest.mark.parametrize("n_people", [2, 20])
def test_outcomes_query_count_is_flat(
    client,
    program_a,
    program_b,
    manager_a,
    navigator_a,
    n_people,
    django_assert_max_num_queries,
):
    # Two managed programs, so each row shows its program too.
    Membership.objects.create(
        user=manager_a, program=program_b, role=Role.PROGRAM_MANAGER
    )
    for program in (program_a, program_b):
        for person in flagged(program, n_people=n_people // 2):
            ff.familiar_enroll(by=manager_a, person=person, navigator=manager_a)
    client.force_login(manager_a)
    with django_assert_max_num_queries(OUTCOMES_MAX_QUERIES):
        response = client.get(OUTCOMES_URL)
    assert len(response.context["page_obj"].object_list) == n_people
    assert program_b.name in response.text


# --- history -----------------------------------------------------------------


def test_history_shows_who_was_on_the_list_that_month(
    client, program_a, navigator_a, navigator_b
):
    people = flagged(program_a, n_people=2)
    gone = people[1]
    Person.objects.filter(pk=gone.pk).update(deleted_at=timezone.now())
    this_month = timezone.localtime(timezone.now(), program_a.tz).strftime("%Y-%m")
    client.force_login(navigator_a)
    response = client.get(HISTORY_URL, {"month": this_month})
    assert response.status_code == 200
    entries = response.context["page_obj"].object_list
    assert [e.person for e in entries] == [people[0]]  # deleted people are gone
    assert people[0].display_name in response.text
    assert client.get(HISTORY_URL).context["month"].strftime("%Y-%m") == this_month
    assert (
        client.get(HISTORY_URL, {"month": "2001-01"}).context["page_obj"].object_list
        == []
    )
    bad = client.get(HISTORY_URL, {"month": "2026-13"})
    assert bad.status_code == 200 and "month" in bad.context["form"].errors
    client.force_login(navigator_b)
    assert (
        client.get(HISTORY_URL, {"month": this_month}).context["page_obj"].object_list
        == []
    )


@pytest.mark.parametrize("n_people", [2, 20])
def test_history_query_count_is_flat(
    client, program_a, navigator_a, n_people, django_assert_max_num_queries
):
    flagged(program_a, n_people=n_people)
    client.force_login(navigator_a)
    with django_assert_max_num_queries(HISTORY_MAX_QUERIES):
        response = client.get(HISTORY_URL)
    assert len(response.context["page_obj"].object_list) == n_people
