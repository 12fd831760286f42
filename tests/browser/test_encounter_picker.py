"""The encounter form's person picker in a browser: the safety / response
plan shows the moment a person is chosen (searched and picked, or pre-filled
from their page), and on their follow-ups; the keyboard reaches the matches
from the name search (issue 8, "What users hit")."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from cases.models import Encounter
from followups import services as followup_services
from navigator.models import Role
from tests.factories import PersonFactory, ProgramFactory, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PLAN = "Calms down with his sister on the phone. No sirens."


@pytest.fixture
def program(transactional_db):
    return ProgramFactory(
        name="Eastside Co-Responders", slug="eastside", time_zone="America/Los_Angeles"
    )


@pytest.fixture
def navigator(program):
    return member(
        program, Role.NAVIGATOR, username="nia", first_name="Nia", last_name="Reyes"
    )


@pytest.fixture
def rivers(program):
    return PersonFactory(
        program=program, first_name="Jordan", last_name="Rivers", safety_notes=PLAN
    )


@pytest.fixture
def lake(program):
    return PersonFactory(
        program=program, first_name="Jordan", last_name="Lakeman", safety_notes=""
    )


def csp_errors(page) -> list[str]:
    errors: list[str] = []
    page.on(
        "console",
        lambda m: errors.append(m.text) if "Content Security Policy" in m.text else 0,
    )
    return errors


def search(page, text: str) -> None:
    from playwright.sync_api import expect

    page.get_by_label("Find by name or alias").fill(text)
    expect(page.locator("#person-options input[type=radio]").first).to_be_attached()


def test_plan_shows_when_a_searched_person_is_chosen_by_keyboard(
    phone, live_server, log_in, navigator, rivers, lake
):
    from playwright.sync_api import expect

    page = phone.page
    errors = csp_errors(page)
    log_in(page, "nia")
    page.goto(live_server.url + "/encounters/new/")
    plan = page.locator("#person-plan")
    expect(plan).to_be_empty()

    search(page, "Rivers")
    # Tab from the search box goes to the first match, not past the matches
    # to "Not identified yet" (the checked radio of the same group).
    page.keyboard.press("Tab")
    focused = page.locator("#person-options input[type=radio]:focus")
    expect(focused).to_have_value(str(rivers.pk))
    # Escape goes back to the box, Down comes to the match again.
    page.keyboard.press("Escape")
    expect(page.get_by_label("Find by name or alias")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(focused).to_have_value(str(rivers.pk))
    # Enter chooses the match; it does not submit the half-filled form.
    page.keyboard.press("Enter")
    expect(focused).to_be_checked()
    expect(page).to_have_url(live_server.url + "/encounters/new/")
    assert not Encounter.objects.exists()

    expect(plan.get_by_role("heading")).to_have_text(
        "⚠ Safety / response plan · Jordan Rivers"
    )
    expect(plan.get_by_text("No sirens.")).to_be_visible()

    # Someone else (without a plan): the plan goes, not left over from Rivers.
    search(page, "Lakeman")
    page.locator("#person-options label").filter(has_text="Lakeman").click()
    expect(plan).to_be_empty()
    search(page, "Rivers")
    page.locator("#person-options label").filter(has_text="Rivers").click()
    expect(plan.get_by_text("No sirens.")).to_be_visible()
    page.get_by_label("Not identified yet").check()
    expect(plan).to_be_empty()
    assert errors == []


def test_plan_shows_at_once_when_the_form_comes_from_the_person_page(
    phone, live_server, log_in, navigator, rivers
):
    from playwright.sync_api import expect

    page = phone.page
    log_in(page, "nia")
    page.goto(f"{live_server.url}/people/{rivers.pk}/")
    page.locator("main").get_by_role("link", name="Log encounter").click()
    expect(page.get_by_role("heading", name="Log encounter")).to_be_visible()
    plan = page.locator("#person-plan")
    expect(plan.get_by_text("No sirens.")).to_be_visible()
    # Above the fold on a phone: seen without scrolling.
    box = plan.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 844, box


def test_plan_shows_on_the_follow_up_page(
    phone, live_server, log_in, navigator, rivers
):
    from playwright.sync_api import expect

    followup = followup_services.followup_schedule(
        by=navigator,
        person=rivers,
        due_at=timezone.now() + datetime.timedelta(hours=2),
        method="phone",
    )
    page = phone.page
    log_in(page, "nia")
    page.goto(f"{live_server.url}/followups/{followup.pk}/")
    note = page.get_by_role("note")
    expect(note.get_by_role("heading")).to_have_text("⚠ Safety / response plan")
    expect(note.get_by_text("No sirens.")).to_be_visible()


def test_unidentified_list_add_the_person_and_come_back_to_link(
    phone, live_server, log_in, navigator, program
):
    from playwright.sync_api import expect

    from tests.factories import EncounterFactory

    encounter = EncounterFactory(
        person=None,
        program=program,
        created_by=navigator,
        unidentified_description="Man in a red coat, 50s",
    )
    page = phone.page
    log_in(page, "nia")
    page.goto(live_server.url + "/")
    page.get_by_role(
        "link", name="Unidentified encounters waiting to be linked"
    ).click()
    expect(page.get_by_role("heading", name="Unidentified encounters")).to_be_visible()
    page.get_by_role("link", name="Link to a person").click()
    expect(page.get_by_role("heading", name="Who was this?")).to_be_visible()

    page.get_by_role("link", name="Add the person").click()
    page.get_by_label("First name").fill("Ray")
    page.get_by_label("Last name").fill("Redcoat")
    page.get_by_label("Safety / response-plan notes").fill("Afraid of dogs.")
    page.get_by_role("button", name="Add person").click()

    # Back on the linking, with the new person chosen and their plan shown.
    expect(page.get_by_role("heading", name="Who was this?")).to_be_visible()
    expect(page.get_by_text("Ray Redcoat was added.")).to_be_visible()
    expect(page.locator('input[name="person"]:checked')).to_have_count(1)
    expect(page.locator("#person-plan").get_by_text("Afraid of dogs.")).to_be_visible()
    page.get_by_role("button", name="Link to this person").click()
    expect(page.get_by_role("heading", name="Ray Redcoat", level=1)).to_be_visible()
    encounter.refresh_from_db()
    assert encounter.person is not None and encounter.person.last_name == "Redcoat"
    assert Encounter.objects.filter(person__isnull=True).count() == 0
