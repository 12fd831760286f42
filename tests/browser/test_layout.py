"""Layout seen on the way (issue 8): at 1280 px the manager's navigation
fits one line; Today's buttons are full width on a phone only."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from followups import services as followup_services
from navigator.models import Role
from tests.browser.conftest import WAIT_MS
from tests.factories import PersonFactory, ProgramFactory, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def program(transactional_db):
    return ProgramFactory(
        name="Demo Co-Responder Program",
        slug="demo",
        time_zone="America/Los_Angeles",
    )


@pytest.fixture
def manager(program):
    # As in the demo (seed_demo): a manager's name, one program.
    return member(
        program,
        Role.PROGRAM_MANAGER,
        username="manager",
        first_name="Morgan",
        last_name="Castellanos-Whitfield",
    )


def line_boxes(page, selector: str) -> list[dict]:
    return page.eval_on_selector_all(
        selector,
        """els => els.filter(e => e.offsetParent !== null).map(e => {
            const r = e.getBoundingClientRect();
            const line = parseFloat(getComputedStyle(e).lineHeight) || 24;
            return {text: e.textContent.trim(), top: Math.round(r.top),
                    lines: Math.round((e.clientHeight - parseFloat(
                        getComputedStyle(e).paddingTop) - parseFloat(
                        getComputedStyle(e).paddingBottom)) / line)};
        })""",
    )


def test_manager_nav_fits_one_line_at_1280(desktop, live_server, log_in, manager):
    log_in(desktop, "manager")
    desktop.goto(live_server.url + "/")
    items = line_boxes(desktop, "#main-nav .nav-link, #main-nav .btn")
    assert len(items) >= 8, items  # Today ... Program, name, log out
    # Each item on one line, and all of them on the same row.
    assert [i for i in items if i["lines"] != 1] == [], items
    assert len({i["top"] for i in items[:-2]}) == 1, items
    height = desktop.eval_on_selector(".site-nav", "e => e.offsetHeight")
    assert height < 70, height
    # Nothing pushed off the right edge (the Log out button).
    box = desktop.get_by_role("button", name="Log out").bounding_box()
    assert box is not None and box["x"] + box["width"] <= DESKTOP["width"], box


def test_today_buttons_full_width_on_a_phone_only(
    phone, desktop, live_server, log_in, manager, program
):
    followup_services.followup_schedule(
        by=manager,
        person=PersonFactory(program=program, first_name="Dana", last_name="Okafor"),
        due_at=timezone.now() + datetime.timedelta(days=2),
        method="phone",
    )
    for page, full in ((phone.page, True), (desktop, False)):
        log_in(page, "manager")
        page.goto(live_server.url + "/")
        width = page.evaluate("document.querySelector('main').clientWidth")
        for name in ("Log encounter", "Find person"):
            box = page.locator("main").get_by_role("link", name=name).bounding_box()
            assert box is not None
            # Full width on a phone; a button's own size on a desktop (not
            # half the page each, as before).
            if full:
                assert box["width"] > 0.8 * width, (name, box, width)
            else:
                assert box["width"] < 0.3 * width, (name, box, width)
        # The follow-up's one-tap buttons share a phone's row; on a desktop
        # they keep a button's size.
        button = page.locator(".followup-item").get_by_role("button").first
        box = button.bounding_box()
        assert box is not None
        assert (box["width"] > 0.25 * width) is full, (box, width)
