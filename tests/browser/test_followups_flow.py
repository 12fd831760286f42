"""Follow-ups on a phone: schedule one from the person page, see it on the
timeline and on Today, complete one with a single tap (or the keyboard), record
an unanswered try that keeps it open, undo a mis-tap, and the program's
default follow-ups proposed after logging an encounter."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from cases.models import Encounter
from followups import services
from followups.models import Followup, Method, Outcome, Status
from navigator.models import Role
from tests.factories import PersonFactory, ProgramFactory, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Longest run of Tab presses from the top of Today to a follow-up's button:
# skip link, brand, menu toggle, two big buttons, then three per follow-up.
MAX_TABS = 40


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
def person(program):
    return PersonFactory(program=program, first_name="Dana", last_name="Okafor")


def expect_fits_the_phone(phone) -> None:
    assert phone.horizontal_overflow() <= 0, f"scrolls sideways: {phone.page.url}"


def local(moment: datetime.datetime, program) -> datetime.datetime:
    return timezone.localtime(moment, program.tz)


def due_later_today(program) -> datetime.datetime:
    """Between now and the program's local midnight: the "Due today" group.

    Half-way to midnight, at most two hours ahead, so it is still due (not
    overdue) when the test taps it. (Run in the last seconds before midnight
    in Los Angeles, the follow-up may be overdue by then.)
    """
    now = timezone.now()
    midnight = local(now, program).replace(
        hour=0, minute=0, second=0, microsecond=0
    ) + datetime.timedelta(days=1)
    return now + min(datetime.timedelta(hours=2), (midnight - now) / 2)


def due_today_list(page):
    return page.get_by_role("list", name=re.compile(r"^Due today"))


def test_schedule_in_two_days_by_phone_shows_on_timeline_and_today(
    phone, live_server, log_in, navigator, person, program
):
    from playwright.sync_api import expect

    page = phone.page
    log_in(page, "nia")
    page.goto(f"{live_server.url}/people/{person.pk}/")
    expect(page.get_by_role("heading", name="Dana Okafor", level=1)).to_be_visible()
    expect_fits_the_phone(phone)

    page.locator("main").get_by_role("link", name="Schedule follow-up").click()
    expect(page.get_by_role("heading", name="Schedule a follow-up")).to_be_visible()
    expect_fits_the_phone(phone)
    page.get_by_label("In 2 days").check()
    page.get_by_label("At", exact=True).fill("09:30")
    expect(page.get_by_label("Phone call")).to_be_checked()  # the default
    page.get_by_label("Purpose").fill("Did the shelter bed come through?")
    page.get_by_role("button", name="Schedule follow-up").click()

    # Back on the person page, at the timeline, with the due time in words.
    expect(page.get_by_role("heading", name="Dana Okafor", level=1)).to_be_visible()
    expect(page).to_have_url(re.compile(r"#timeline$"))
    followup = Followup.objects.get()
    due = local(followup.due_at, program)
    expected_day = local(timezone.now(), program).date() + datetime.timedelta(days=2)
    assert (due.date(), due.time()) == (expected_day, datetime.time(9, 30))
    assert followup.method == Method.PHONE
    assert followup.assigned_to == navigator
    assert followup.status == Status.SCHEDULED
    assert followup.purpose == "Did the shelter bed come through?"
    expect(
        page.get_by_text(f"Follow-up scheduled for {due:%a %-d %b, %H:%M}.")
    ).to_be_visible()
    card = page.locator("#timeline article").filter(has_text="Follow-up · Phone call")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Due")
    expect(card).to_contain_text(f"{due.day} {due:%b %Y}, 09:30")
    expect(card).to_contain_text("Did the shelter bed come through?")
    expect_fits_the_phone(phone)

    # On Today it is in the next 7 days, not due today or overdue.
    page.goto(live_server.url + "/")
    upcoming = page.get_by_role("list", name=re.compile(r"^Next 7 days"))
    item = upcoming.get_by_role("listitem").filter(has_text="Dana Okafor")
    expect(item).to_have_count(1)
    expect(item).to_contain_text(f"{due:%a} {due.day} {due:%b}, 09:30")
    expect(item).to_contain_text("Phone call")
    expect(due_today_list(page)).to_have_count(0)
    expect(page.get_by_role("list", name=re.compile(r"^Overdue"))).to_have_count(0)
    expect_fits_the_phone(phone)
    assert phone.foreign_hosts() == set()


def test_one_tap_reached_on_today_completes_the_follow_up(
    phone, live_server, log_in, navigator, person, program
):
    from playwright.sync_api import expect

    today = services.followup_schedule(
        by=navigator,
        person=person,
        due_at=due_later_today(program),
        method=Method.PHONE,
        purpose="Check in after the ER visit",
    )
    later = services.followup_schedule(
        by=navigator,
        person=PersonFactory(program=program, first_name="Lee", last_name="Park"),
        due_at=timezone.now() + datetime.timedelta(days=3),
        method=Method.IN_PERSON,
    )
    page = phone.page
    log_in(page, "nia")
    page.goto(live_server.url + "/")
    due_today = due_today_list(page)
    expect(due_today.get_by_role("listitem")).to_have_count(1)
    expect(due_today).to_contain_text("Check in after the ER visit")
    expect_fits_the_phone(phone)

    due_today.get_by_role("button", name="Reached Dana Okafor").click()

    expect(
        page.get_by_role("status").filter(
            has_text="Follow-up with Dana Okafor completed."
        )
    ).to_be_visible()
    expect(page).to_have_url(re.compile(r"/#today-followups$"))
    expect(due_today_list(page)).to_have_count(0)
    # Listed only as just closed, with its undo (for a few minutes).
    just_closed = page.get_by_role("list", name="Just closed by you")
    expect(just_closed.locator(f'a[href="/followups/{today.pk}/"]')).to_have_count(1)
    expect(page.locator(f'a[href="/followups/{today.pk}/"]')).to_have_count(1)
    # The other follow-up is untouched and still offered.
    expect(page.locator(f'a[href="/followups/{later.pk}/"]')).to_have_count(1)
    today.refresh_from_db()
    assert today.status == Status.COMPLETED
    assert today.outcome == Outcome.REACHED
    assert today.completed_by == navigator
    assert today.completed_at is not None
    later.refresh_from_db()
    assert later.status == Status.SCHEDULED

    # The follow-up's page says it is done, by whom and when, and offers no
    # way to complete it again.
    page.goto(f"{live_server.url}/followups/{today.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Phone call with Dana Okafor"
    )
    expect(page.locator("header .badge")).to_have_text("Completed")
    done = local(today.completed_at, program)
    status = page.locator("dt", has_text="Status").locator(
        "xpath=following-sibling::dd[1]"
    )
    expect(status).to_have_text(
        f"Completed · {done.day} {done:%b %Y, %H:%M} by Nia Reyes"
    )
    outcome = page.locator("dt", has_text="Outcome").locator(
        "xpath=following-sibling::dd[1]"
    )
    expect(outcome).to_have_text("Reached, doing OK")
    expect(page.get_by_role("button", name="Complete follow-up")).to_have_count(0)
    expect_fits_the_phone(phone)


def tab_to(page, target) -> None:
    """Press Tab, as a keyboard-only user does, until ``target`` has focus."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"{target} is not reached with {MAX_TABS} presses of Tab")


def test_keyboard_only_user_completes_tries_and_undoes_from_today(
    phone, live_server, log_in, navigator, person, program
):
    from playwright.sync_api import expect

    dana = services.followup_schedule(
        by=navigator, person=person, due_at=due_later_today(program), method="phone"
    )
    lee = services.followup_schedule(
        by=navigator,
        person=PersonFactory(program=program, first_name="Lee", last_name="Park"),
        due_at=due_later_today(program),
        method="phone",
    )
    page = phone.page
    log_in(page, "nia")
    page.goto(live_server.url + "/")
    expect(due_today_list(page).get_by_role("listitem")).to_have_count(2)

    reached = page.get_by_role("button", name="Reached Dana Okafor")
    tab_to(page, reached)
    expect(reached).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Follow-up with Dana Okafor completed.")).to_be_visible()
    expect(due_today_list(page).get_by_role("listitem")).to_have_count(1)

    # "Left message" is a try, not the end: Lee stays on the list (issue 8).
    left_message = page.get_by_role("button", name="Left message for Lee Park")
    tab_to(page, left_message)
    page.keyboard.press("Space")
    expect(
        page.get_by_text("Attempt recorded; the follow-up with Lee Park stays open.")
    ).to_be_visible()
    lee_item = (
        page.get_by_role("listitem")
        .filter(has_text="Lee Park")
        .filter(has=page.get_by_role("button", name="No answer from Lee Park"))
    )
    expect(lee_item).to_contain_text("1 unanswered try · next try")
    expect(page.get_by_text("No follow-ups due in the next 7 days.")).to_have_count(0)

    # Dana's completion was a mis-tap: undone from Today, by keyboard.
    undo = page.get_by_role(
        "button", name="Undo closing the follow-up with Dana Okafor"
    )
    tab_to(page, undo)
    page.keyboard.press("Enter")
    expect(
        page.get_by_text("Undone: the follow-up with Dana Okafor is open again.")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Reached Dana Okafor")).to_be_visible()
    expect_fits_the_phone(phone)

    dana.refresh_from_db()
    lee.refresh_from_db()
    assert (dana.status, dana.outcome) == (Status.SCHEDULED, "")
    assert (lee.status, lee.outcome) == (Status.SCHEDULED, "")
    assert lee.attempts.get().outcome == Outcome.LEFT_MESSAGE
    assert lee.due_at >= timezone.now() + datetime.timedelta(hours=3, minutes=59)


def test_encounter_with_a_planned_disposition_proposes_the_program_plan(
    phone, live_server, log_in, navigator, person, program
):
    from playwright.sync_api import expect

    manager = member(program, Role.PROGRAM_MANAGER, username="mgr")
    for days, method, purpose in [
        (1, Method.PHONE, "Check they got home"),
        (7, Method.IN_PERSON, "Week visit"),
    ]:
        services.followup_plan_step_add(
            by=manager,
            program=program,
            disposition="transport_crisis_center",
            days_after=days,
            method=method,
            purpose=purpose,
        )
    page = phone.page
    log_in(page, "nia")
    page.goto(f"{live_server.url}/people/{person.pk}/")
    page.locator("main").get_by_role("link", name="Log encounter").click()
    expect(page.get_by_role("heading", name="Log encounter")).to_be_visible()
    page.get_by_label("Source").select_option("officer_request")
    page.get_by_label("Disposition").select_option("transport_crisis_center")
    # The encounter form's own optional follow-up: in 3 days by text.
    page.get_by_label("In (days)").fill("3")
    page.get_by_label("By", exact=True).select_option("text")
    page.get_by_role("button", name="Save encounter").click()

    # The plan for this disposition is proposed, both steps pre-ticked, and
    # the follow-up from the form is listed as already scheduled.
    expect(
        page.get_by_role("heading", name="Schedule the usual follow-ups?")
    ).to_be_visible()
    expect(page.get_by_text("Encounter logged.")).to_be_visible()
    encounter = Encounter.objects.get()
    [from_form] = Followup.objects.filter(encounter=encounter)
    assert from_form.method == Method.TEXT
    started_day = local(encounter.started_at, program).date()
    assert local(from_form.due_at, program).date() == started_day + datetime.timedelta(
        days=3
    )
    already = page.get_by_role("status").filter(
        has_text="Already scheduled from this encounter"
    )
    expect(already).to_contain_text("Text message")
    phone_step = page.get_by_role("checkbox", name=re.compile(r"^Phone call in 1 day"))
    visit_step = page.get_by_role("checkbox", name=re.compile(r"^In person in 7 days"))
    expect(phone_step).to_be_checked()
    expect(visit_step).to_be_checked()
    expect(page.get_by_text("Check they got home")).to_be_visible()
    expect_fits_the_phone(phone)

    visit_step.uncheck()
    page.get_by_label("At*", exact=True).fill("11:00")  # required: crispy's "*"
    page.get_by_role("button", name="Schedule selected").click()

    expect(page.get_by_text("1 follow-up scheduled.")).to_be_visible()
    expect(page.get_by_role("heading", name="Dana Okafor", level=1)).to_be_visible()
    timeline = page.locator("#timeline")
    expect(timeline.get_by_text("Follow-up · Phone call")).to_be_visible()
    expect(timeline.get_by_text("Follow-up · Text message")).to_be_visible()
    expect(timeline.get_by_text("Follow-up · In person")).to_have_count(0)
    expect(timeline.get_by_text("Transported to crisis center")).to_be_visible()

    followups = Followup.objects.filter(encounter=encounter).order_by("due_at")
    assert [(f.method, f.purpose) for f in followups] == [
        (Method.PHONE, "Check they got home"),
        (Method.TEXT, ""),
    ]
    planned = local(followups[0].due_at, program)
    assert planned.date() == started_day + datetime.timedelta(days=1)
    assert planned.time() == datetime.time(11, 0)
    assert all(f.assigned_to == navigator for f in followups)
