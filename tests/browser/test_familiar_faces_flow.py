"""Familiar faces on a phone: a program manager works the list (dismiss with
a reason, enroll with a navigator) and reads the person page's panel; for a
navigator the list is read-only."""

from __future__ import annotations

import datetime
import re
from collections import Counter

import pytest
from django.utils import timezone

from cases.familiar import evaluation
from cases.models import (
    Encounter,
    EnrollmentStatus,
    FamiliarFaceEnrollment,
    FamiliarFaceFlag,
    FamiliarFacesRule,
    FamilyContact,
    FlagStatus,
)
from navigator.models import Role
from tests.factories import EncounterFactory, PersonFactory, ProgramFactory, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIST = "/familiar-faces/"


@pytest.fixture
def program(transactional_db):
    return ProgramFactory(
        name="Eastside Co-Responders", slug="eastside", time_zone="America/Los_Angeles"
    )


@pytest.fixture
def manager(program):
    return member(
        program,
        Role.PROGRAM_MANAGER,
        username="mara",
        first_name="Mara",
        last_name="Lindqvist",
    )


@pytest.fixture
def navigator(program):
    return member(
        program, Role.NAVIGATOR, username="nia", first_name="Nia", last_name="Reyes"
    )


@pytest.fixture
def flagged(program):
    """Three people on a "3 in 30 days" list, by their number of contacts in
    the last 30 days and in the 30 before: up, down and the same."""
    FamiliarFacesRule.objects.create(
        program=program, name="3 in 30 days", min_encounters=3, window_days=30
    )
    now = timezone.now()
    people = {}
    rows = []
    for first, last, recent, before in [
        ("Alex", "Stone", 6, 1),
        ("Sam", "Ortiz", 4, 7),
        ("Robin", "Hale", 3, 3),
    ]:
        person = PersonFactory(program=program, first_name=first, last_name=last)
        people[first] = person
        rows += [
            EncounterFactory.build(
                person=person,
                program=program,
                started_at=now - datetime.timedelta(days=2 + 4 * d, hours=1),
                concerns=["mental_health"],
            )
            for d in range(recent)
        ]
        rows += [
            EncounterFactory.build(
                person=person,
                program=program,
                started_at=now - datetime.timedelta(days=33 + 3 * d),
            )
            for d in range(before)
        ]
    Encounter.objects.bulk_create(rows)
    evaluation.evaluate_program(program)
    assert FamiliarFaceFlag.objects.filter(status=FlagStatus.ACTIVE).count() == 3
    return people


def expect_fits_the_phone(phone) -> None:
    assert phone.horizontal_overflow() <= 0, f"scrolls sideways: {phone.page.url}"


def row_of(page, name: str):
    return page.get_by_role("list", name="People on the list").locator(
        "> li", has=page.get_by_role("heading", name=name)
    )


def contacts_of(row):
    return row.locator("dt", has_text="Contacts").locator(
        "xpath=following-sibling::dd[1]"
    )


def test_manager_dismisses_and_enrolls_from_the_list(
    phone, live_server, log_in, manager, navigator, flagged
):
    from playwright.sync_api import expect

    page = phone.page
    log_in(page, "mara")
    page.goto(live_server.url + LIST)
    expect(page.get_by_role("heading", name="Familiar faces", level=1)).to_be_visible()
    expect(page.get_by_text("3 people on the list")).to_be_visible()
    # Most contacts first; each with the count, the trend and the comparison.
    expect(
        page.get_by_role("list", name="People on the list").get_by_role("heading")
    ).to_have_text(["Alex Stone", "Sam Ortiz", "Robin Hale"])
    expect(contacts_of(row_of(page, "Alex Stone"))).to_have_text(
        re.compile(r"^6\s+↑ up\s+\(previous 30 days: 1\)$")
    )
    expect(contacts_of(row_of(page, "Sam Ortiz"))).to_have_text(
        re.compile(r"^4\s+↓ down\s+\(previous 30 days: 7\)$")
    )
    expect(contacts_of(row_of(page, "Robin Hale"))).to_have_text(
        re.compile(r"^3\s+→ same\s+\(previous 30 days: 3\)$")
    )
    expect(row_of(page, "Alex Stone")).to_contain_text("Not enrolled")
    expect_fits_the_phone(phone)

    # Dismiss Alex with a reason: the form opens in place, then the row goes.
    alex = row_of(page, "Alex Stone")
    alex.get_by_role("button", name=re.compile(r"^Dismiss Alex Stone\b")).click()
    reason = alex.get_by_label("Why take Alex Stone off the list?")
    expect(reason).to_be_visible()
    expect_fits_the_phone(phone)
    reason.fill("Moved to a county program; their team follows up.")
    alex.get_by_role("button", name="Dismiss from the list").click()
    expect(
        page.get_by_text("Alex Stone is off the list until they have new contacts.")
    ).to_be_visible()
    expect(page.get_by_text("2 people on the list")).to_be_visible()
    expect(row_of(page, "Alex Stone")).to_have_count(0)
    flag = FamiliarFaceFlag.objects.get(person=flagged["Alex"])
    assert flag.status == FlagStatus.DISMISSED
    assert flag.dismissed_by == manager
    assert flag.dismissed_reason == "Moved to a county program; their team follows up."

    # Enroll Sam with Nia as the navigator.
    sam = row_of(page, "Sam Ortiz")
    sam.get_by_role("button", name=re.compile(r"^Enroll Sam Ortiz\b")).click()
    sam.get_by_label("Assigned navigator").select_option(label="Nia Reyes")
    sam.get_by_label("Plan").fill("Weekly check-in by phone; housing referral.")
    sam.get_by_role("button", name="Enroll in intensive follow-up").click()
    expect(
        page.get_by_text("Sam Ortiz is enrolled in intensive follow-up.")
    ).to_be_visible()
    sam = row_of(page, "Sam Ortiz")
    expect(sam.locator(".badge", has_text="Enrolled")).to_have_text("Enrolled")
    expect(
        sam.locator("dt", has_text="Navigator").locator(
            "xpath=following-sibling::dd[1]"
        )
    ).to_have_text("Nia Reyes")
    # Enrolled people stay on the list; there is nothing left to enroll them in.
    expect(sam.get_by_role("button", name=re.compile(r"^Enroll"))).to_have_count(0)
    expect(page.get_by_text("2 people on the list")).to_be_visible()
    enrollment = FamiliarFaceEnrollment.objects.get(person=flagged["Sam"])
    assert enrollment.status == EnrollmentStatus.ACTIVE
    assert enrollment.navigator == navigator
    assert enrollment.enrolled_by == manager
    assert enrollment.plan == "Weekly check-in by phone; housing referral."
    expect_fits_the_phone(phone)
    assert phone.foreign_hosts() == set()


def test_person_page_loads_the_panel_when_scrolled_to(
    phone, live_server, log_in, manager, navigator, flagged, program
):
    from playwright.sync_api import expect

    from cases.familiar import services

    sam = flagged["Sam"]
    services.familiar_enroll(
        by=manager, person=sam, navigator=navigator, plan="Weekly check-in."
    )
    # A record as long as a real one: the panel starts below a phone's fold.
    for name, relationship in [
        ("Ana Ortiz", "mother"),
        ("Luis Ortiz", "brother"),
        ("Kim Vo", "case manager"),
        ("Pat Lee", "landlord"),
    ]:
        FamilyContact.objects.create(
            person=sam,
            name=name,
            relationship=relationship,
            phone="555-0100",
            may_contact=True,
        )
    page = phone.page
    log_in(page, "mara")
    panel_loads = []
    page.on(
        "request",
        lambda r: (
            panel_loads.append(r)
            if f"/familiar-faces/people/{sam.pk}/" in r.url
            else None
        ),
    )
    page.goto(f"{live_server.url}/people/{sam.pk}/")
    expect(page.get_by_role("heading", name="Sam Ortiz", level=1)).to_be_visible()

    # Below the fold on a phone: only a link until it is scrolled to.
    panel = page.locator("#familiar-faces")
    expect(panel).not_to_be_in_viewport()
    expect(
        panel.get_by_role("link", name=re.compile(r"^Show encounters"))
    ).to_be_attached()
    assert panel_loads == []
    panel.scroll_into_view_if_needed()
    chart_heading = panel.get_by_role("heading", name="Encounters per month")
    expect(chart_heading).to_be_visible()
    # Swapped in by htmx, not a navigation to the panel's own page.
    expect(page).to_have_url(re.compile(rf"/people/{sam.pk}/$"))
    assert [r.headers.get("hx-request") for r in panel_loads] == ["true"]

    # The month chart's numbers, as its table gives them to screen readers.
    months = Counter(
        timezone.localtime(e.started_at, program.tz).date().replace(day=1)
        for e in sam.encounters.all()
    )
    assert sum(months.values()) == 11
    table = panel.get_by_role("table", name=re.compile(r"^Encounters per month"))
    for month, count in months.items():
        expect(
            table.get_by_role("row", name=re.compile(rf"^{month:%B %Y}\b"))
        ).to_have_text(re.compile(rf"^\s*{month:%B %Y}\s*{count}\s*$"))
    expect(table.get_by_role("row")).to_have_count(13)  # the header and 12 months
    this_month = timezone.localtime(timezone.now(), program.tz).date().replace(day=1)
    first_month = this_month.replace(year=this_month.year - 1)
    first_month = first_month.replace(
        year=first_month.year + first_month.month // 12,
        month=first_month.month % 12 + 1,
    )
    expect(panel.locator("figcaption")).to_have_text(
        f"11 encounters from {first_month:%B %Y} to {this_month:%B %Y}; "
        f"most in one month: {max(months.values())}."
    )

    # The enrollment and the flag that put Sam on the list.
    expect(panel).to_contain_text("Enrolled since")
    expect(panel).to_contain_text("navigator Nia Reyes")
    expect(panel).to_contain_text("Weekly check-in.")
    expect(panel).to_contain_text("rule “3 in 30 days”")
    expect(panel.locator(".badge", has_text="On the list")).to_have_count(1)
    expect_fits_the_phone(phone)


def test_navigator_sees_the_list_read_only(
    phone, live_server, log_in, navigator, flagged
):
    from playwright.sync_api import expect

    page = phone.page
    log_in(page, "nia")
    page.goto(live_server.url + LIST)
    expect(page.get_by_text("3 people on the list")).to_be_visible()
    expect(
        page.get_by_text(
            "Read-only: program managers enroll people or take them off the list."
        )
    ).to_be_visible()
    expect(contacts_of(row_of(page, "Alex Stone"))).to_contain_text("↑ up")
    people = page.get_by_role("list", name="People on the list")
    expect(people.get_by_role("button", include_hidden=True)).to_have_count(0)
    expect(people.locator("form")).to_have_count(0)
    expect(page.get_by_role("link", name="Export CSV")).to_have_count(0)
    expect_fits_the_phone(phone)

    # Nor can the actions be reached by their address: refused, saying why.
    flag = FamiliarFaceFlag.objects.get(person=flagged["Alex"])
    response = page.goto(f"{live_server.url}{LIST}{flag.pk}/dismiss/")
    assert response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    expect(page.get_by_text("managers can take a person off the list")).to_be_visible()
    assert FamiliarFaceFlag.objects.filter(status=FlagStatus.ACTIVE).count() == 3
