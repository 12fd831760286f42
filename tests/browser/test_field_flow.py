"""A navigator in the field, on a phone: log in, add a person, log an encounter."""

from __future__ import annotations

import os
import re
import tempfile

import pytest

from cases.models import Encounter, Person
from navigator.models import Membership, Program, ResponseModel, Role, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Screenshots at 390×844 to look at after a run (the layout on a phone).
SCREENSHOT_DIR = os.environ.get("NAVIGATOR_SCREENSHOT_DIR", tempfile.gettempdir())


@pytest.fixture
def demo_navigator(transactional_db):
    """What seed_demo creates for the demo program, made here on its own."""
    program = Program.objects.create(
        name="Demo Co-Responder Program",
        slug="demo",
        response_model=ResponseModel.EMBEDDED,
        time_zone="America/Los_Angeles",
    )
    user = User.objects.create_user(
        "navigator", password="navigator-demo", first_name="Nia", last_name="Reyes"
    )
    Membership.objects.create(user=user, program=program, role=Role.NAVIGATOR)
    return user


def expect_fits_the_phone(phone) -> None:
    assert phone.horizontal_overflow() <= 0, phone.page.url


def test_log_in_add_person_log_encounter_see_timeline(
    phone, live_server, demo_navigator
):
    from playwright.sync_api import expect

    page = phone.page
    page.goto(live_server.url + "/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect_fits_the_phone(phone)

    page.get_by_label("Username").fill("navigator")
    page.get_by_label("Password").fill("navigator-demo")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Find person")).to_be_visible()
    expect_fits_the_phone(phone)

    # Keyboard users get the skip link first, and it lands on the content.
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to main content")
    page.keyboard.press("Enter")
    expect(page.locator(":focus")).to_have_id("main")

    # The navbar is collapsed on a phone: open it to reach People.
    page.get_by_role("button", name="Toggle navigation").click()
    page.get_by_role("link", name="People", exact=True).click()
    expect(page.get_by_role("heading", name="People")).to_be_visible()
    page.get_by_role("link", name="New person", exact=True).click()

    page.get_by_label("First name").fill("Jordan")
    page.get_by_label("Last name").fill("Rivers")
    page.get_by_label("Aliases / other names").fill("JR\nRiver")
    page.get_by_label("or estimated age").fill("34")
    page.get_by_label("Safety / response-plan notes").fill(
        "Calms down with his sister on the phone. No sirens."
    )
    page.get_by_label("Housing situation").select_option("unsheltered")
    expect_fits_the_phone(phone)
    page.screenshot(
        path=f"{SCREENSHOT_DIR}/navigator_person_form_390_full.png", full_page=True
    )
    page.get_by_role("button", name="Add person").click()

    expect(page.get_by_role("heading", name="Jordan Rivers", level=1)).to_be_visible()
    expect(page.get_by_text("No sirens.")).to_be_visible()
    person = Person.objects.get(last_name="Rivers")

    page.locator("main").get_by_role("link", name="Log encounter").click()
    expect(page.get_by_role("heading", name="Log encounter")).to_be_visible()
    expect(page.locator(f'input[name="person"][value="{person.pk}"]')).to_be_checked()
    expect(page.get_by_label("Nia Reyes")).to_be_checked()  # the responder
    expect_fits_the_phone(phone)
    page.screenshot(path=f"{SCREENSHOT_DIR}/navigator_encounter_form_390.png")
    page.screenshot(
        path=f"{SCREENSHOT_DIR}/navigator_encounter_form_390_full.png", full_page=True
    )

    page.get_by_label("Minutes engaged").fill("20")
    page.get_by_label("Location (address or description)").fill("Riverside Park")
    page.get_by_label("Source").select_option("officer_request")
    page.get_by_label("Mental health").check()
    page.get_by_label("Homelessness").check()
    page.get_by_label("Narrative").fill(
        "Found near the bandstand, agitated. Talked for 20 minutes; "
        "accepted a ride to the crisis center."
    )
    page.get_by_label("Disposition").select_option("transport_crisis_center")
    page.get_by_label("Diverted from jail or ED").check()
    page.get_by_label("Officers").fill("Ofc. Diaz, 4411")
    page.get_by_role("button", name="Save encounter").click()

    expect(page.get_by_text("Encounter logged.")).to_be_visible()
    expect(page.get_by_role("heading", name="Jordan Rivers", level=1)).to_be_visible()
    timeline = page.locator("#timeline")
    expect(timeline.get_by_text("accepted a ride to the crisis center")).to_be_visible()
    expect(timeline.get_by_text("Transported to crisis center")).to_be_visible()
    expect_fits_the_phone(phone)
    page.screenshot(path=f"{SCREENSHOT_DIR}/navigator_person_page_390.png")
    page.screenshot(
        path=f"{SCREENSHOT_DIR}/navigator_person_page_390_full.png", full_page=True
    )

    encounter = Encounter.objects.get()
    assert encounter.person == person
    assert encounter.officers == [{"name": "Ofc. Diaz", "badge": "4411"}]
    assert list(encounter.navigators.all()) == [demo_navigator]
    assert phone.foreign_hosts() == set()


def test_pick_the_person_by_search_while_logging(phone, live_server, demo_navigator):
    from playwright.sync_api import expect

    program = Program.objects.get(slug="demo")
    person = Person.objects.create(
        program=program,
        first_name="Marisol",
        last_name="Vega",
        search_text="marisol | vega | marisol vega",
    )
    Person.objects.create(
        program=program, first_name="Tom", last_name="Baker", search_text="tom | baker"
    )
    page = phone.page
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill("navigator")
    page.get_by_label("Password").fill("navigator-demo")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Log encounter").first.click()

    # htmx swaps the matches in while typing; Enter must not submit the form.
    page.get_by_label("Find by name or alias").fill("vega")
    page.get_by_label("Find by name or alias").press("Enter")
    option = page.locator(f'input[name="person"][value="{person.pk}"]')
    expect(option).to_be_visible()
    expect(page.get_by_text("Tom Baker")).to_have_count(0)
    # Swapped in by htmx: the form was not submitted (no error summary).
    expect(page.get_by_role("alert")).to_have_count(0)
    option.check()
    page.get_by_label("Source").select_option("outreach")
    page.get_by_label("Disposition").select_option("resources_provided")
    page.get_by_role("button", name="Save encounter").click()

    expect(page.get_by_text("Encounter logged.")).to_be_visible()
    assert Encounter.objects.get().person == person
    assert phone.foreign_hosts() == set()
