"""Two-factor authentication in a real browser, on a phone: a navigator turns
on an authenticator app from their account page (the secret read off the
page, codes computed as the app would), then signs in with password + code,
and with password + a recovery code."""

from __future__ import annotations

import os
import re
import tempfile
import time

import pyotp
import pytest

from navigator.models import Role
from tests.factories import PASSWORD, ProgramFactory, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Screenshots at 390×844 to look at after a run.
SCREENSHOT_DIR = os.environ.get("NAVIGATOR_SCREENSHOT_DIR", tempfile.gettempdir())


def shot(page, name: str) -> None:
    page.screenshot(
        path=f"{SCREENSHOT_DIR}/navigator_mfa_{name}_390.png", full_page=True
    )


@pytest.fixture
def navigator(transactional_db):
    return member(ProgramFactory(slug="mfa-program"), Role.NAVIGATOR, username="nia")


def open_menu(page) -> None:
    # The navbar is collapsed at 390px.
    toggler = page.get_by_role("button", name="Toggle navigation")
    if toggler.is_visible() and toggler.get_attribute("aria-expanded") != "true":
        toggler.click()


def sign_out(page) -> None:
    from playwright.sync_api import expect

    open_menu(page)
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def sign_in_with_password(page, base: str) -> None:
    page.goto(base + "/accounts/login/")
    page.get_by_label("Username").fill("nia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_enroll_totp_then_sign_in_with_a_code_and_with_a_recovery_code(
    phone, live_server, log_in, navigator
):
    from playwright.sync_api import expect

    page = phone.page
    base = live_server.url
    log_in(page, "nia")

    # The account page, from the navbar.
    open_menu(page)
    page.get_by_role("link", name=navigator.get_full_name(), exact=True).click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    expect(page.locator("#mfa-status")).to_contain_text("Off")
    page.get_by_role("link", name="Set up an authenticator app").click()

    # allauth asks for the password again before changing a factor.
    expect(page.get_by_role("heading", name="Confirm Access")).to_be_visible()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()

    expect(
        page.get_by_role("heading", name="Set up an authenticator app")
    ).to_be_visible()
    assert phone.horizontal_overflow() <= 0
    qr = page.get_by_role("img", name=re.compile("QR code"))
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    shot(page, "activate")
    secret = page.locator("#authenticator_secret").input_value()
    totp = pyotp.TOTP(secret)
    page.get_by_label("Authenticator code").fill(totp.now())
    page.get_by_role("button", name="Turn on").click()

    # Straight to the recovery codes, to be written down.
    codes_box = page.locator("#recovery_codes")
    expect(codes_box).to_be_visible()
    shot(page, "recovery_codes")
    codes = codes_box.input_value().split()
    assert len(codes) == 10

    page.goto(base + "/accounts/")
    expect(page.locator("#mfa-status")).to_contain_text("On")
    shot(page, "account")
    sign_out(page)

    # Password, then a code: the app's next one (the first was used above).
    sign_in_with_password(page, base)
    expect(
        page.get_by_role("heading", name="Two-factor authentication")
    ).to_be_visible()
    code_field = page.get_by_label("Code")
    expect(code_field).to_be_focused()
    # No security key was added, so none is offered.
    expect(page.get_by_role("button", name="Use a security key")).to_have_count(0)
    shot(page, "authenticate")
    code_field.fill(totp.at(time.time() + 30))
    code_field.press("Enter")  # the keyboard is enough
    expect(page).to_have_url(base + "/")
    expect(page.get_by_role("heading", name="Today")).to_be_visible()
    sign_out(page)

    # A wrong code is refused; a recovery code works (the phone was lost).
    sign_in_with_password(page, base)
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Incorrect code.")).to_be_visible()
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(base + "/")
    expect(page.get_by_role("heading", name="Today")).to_be_visible()
    assert phone.foreign_hosts() == set()


def test_a_security_key_as_second_factor(phone, live_server, log_in, navigator):
    """WebAuthn with Chromium's virtual authenticator (no hardware, no
    network: fido2 checks the signatures on the server)."""
    from playwright.sync_api import expect

    page = phone.page
    # WebAuthn needs a secure context: https, or http://localhost.
    base = live_server.url.replace("127.0.0.1", "localhost")
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    page.goto(base + "/accounts/login/")
    page.get_by_label("Username").fill("nia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(base + "/accounts/2fa/webauthn/add/")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Add Security Key")).to_be_visible()
    # allauth's script binds the button once the page has loaded.
    page.wait_for_load_state("load")
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_text("Security key added.")).to_be_visible()
    shot(page, "webauthn_added")
    sign_out(page)

    page.goto(base + "/accounts/login/")
    page.get_by_label("Username").fill("nia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("load")
    page.get_by_role("button", name="Use a security key").click()
    expect(page).to_have_url(base + "/")
    expect(page.get_by_text("Successfully signed in as nia.")).to_be_visible()
