"""A referral on a phone (390×844), the whole loop: from an encounter, refer
the person to a service, record the missing consent on the way (the consent
page comes back with the choices), send; then accept on the agency's behalf,
start, and complete with outcome "connected"; the person page shows it."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from followups.models import Followup
from navigator.models import Role
from referrals.models import Referral, ReferralOutcome, ReferralStatus
from tests.factories import EncounterFactory, PersonFactory, ProgramFactory, member
from tests.referrals.factories import ServiceFactory, partner_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def program(transactional_db):
    return ProgramFactory(
        name="Eastside Co-Responders", slug="eastside", time_zone="America/Los_Angeles"
    )


def fits_the_phone(phone) -> None:
    assert phone.horizontal_overflow() <= 0, f"scrolls sideways: {phone.page.url}"


def test_refer_from_an_encounter_record_consent_send_accept_complete(
    phone, live_server, log_in, program
):
    from playwright.sync_api import expect

    member(program, Role.NAVIGATOR, username="cam", first_name="Cam", last_name="Ito")
    person = PersonFactory(program=program, first_name="Dana", last_name="Okafor")
    encounter = EncounterFactory(
        person=person,
        program=program,
        started_at=timezone.now() - datetime.timedelta(hours=1),
    )
    agency = partner_of(program, name="Harbor Clinic", phone="555-0142")
    ServiceFactory(agency=agency, name="Walk-in counselling")
    page = phone.page
    log_in(page, "cam")

    # From the encounter: Refer.
    page.goto(f"{live_server.url}/encounters/{encounter.pk}/")
    page.get_by_role("link", name="Refer", exact=True).click()
    expect(page.get_by_role("heading", name="Refer Dana Okafor")).to_be_visible()
    fits_the_phone(phone)

    # Choose the service: the consent answer comes at once (htmx).
    page.get_by_label(re.compile("Walk-in counselling")).check()
    answer = page.locator("#consent-check")
    expect(answer).to_contain_text("No consent allows it")
    answer.get_by_role("link", name=re.compile("Record consent")).click()

    # The consent page, prefilled for the agency and what the referral carries.
    expect(page.get_by_role("heading", level=1)).to_contain_text("consent")
    today = timezone.localtime(timezone.now(), program.tz).date()
    page.get_by_label("Date signed").fill(today.isoformat())
    page.get_by_label("Expires on").fill(
        (today + datetime.timedelta(days=365)).isoformat()
    )
    page.get_by_label("Signed by the person (or their representative)").check()
    fits_the_phone(phone)
    page.get_by_role("button", name="Record consent").click()

    # Back on the refer page with the service still chosen: now allowed.
    expect(page.get_by_role("heading", name="Refer Dana Okafor")).to_be_visible()
    expect(page.get_by_label(re.compile("Walk-in counselling"))).to_be_checked()
    expect(page.locator("#consent-check")).to_contain_text("Consent allows it")
    page.get_by_label("Reason / presenting need").fill("Wants counselling this week")
    page.get_by_role("button", name="Send referral").click()
    expect(page.get_by_text("Referral sent to Harbor Clinic.")).to_be_visible()
    referral = Referral.objects.get()
    assert referral.status == ReferralStatus.REQUESTED
    assert (referral.encounter_id, referral.consent_id is not None) == (
        encounter.pk,
        True,
    )
    fits_the_phone(phone)

    # The agency phones back: accept for it (and the call in 3 days), by keyboard.
    accept = page.get_by_role("button", name=re.compile("^Accept"))
    accept.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text(re.compile("accepted for the agency"))).to_be_visible()
    assert Followup.objects.filter(person=person).count() == 1
    # On the board: start, then complete with the outcome.
    card = page.locator(f"#ref-{referral.pk}-title").locator("xpath=../..")
    card.get_by_role("button", name=re.compile("^Start")).click()
    expect(page.get_by_text(re.compile("started for the agency"))).to_be_visible()
    fits_the_phone(phone)
    card = page.locator(f"#ref-{referral.pk}-title").locator("xpath=../..")
    card.locator("summary", has_text="Complete").click()
    card.get_by_label("Outcome").select_option(label="Connected to service")
    card.get_by_role("button", name=re.compile("^Complete the referral")).click()
    expect(page.get_by_text(re.compile("completed for the agency"))).to_be_visible()
    referral.refresh_from_db()
    assert (referral.status, referral.outcome) == (
        ReferralStatus.COMPLETED,
        ReferralOutcome.CONNECTED,
    )
    history = [(h.to_status, h.on_behalf_of_agency) for h in referral.history.all()]
    assert history == [
        ("requested", False),
        ("accepted", True),
        ("in-progress", True),
        ("completed", True),
    ]

    # The person page shows it, on the timeline.
    page.goto(f"{live_server.url}/people/{person.pk}/")
    entry = page.locator(f"#ref-{referral.pk}-title").locator("xpath=../../..")
    expect(entry).to_contain_text("Harbor Clinic")
    expect(entry).to_contain_text("Completed: connected to service")
    fits_the_phone(phone)
    assert not phone.foreign_hosts()
