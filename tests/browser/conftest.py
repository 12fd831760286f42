"""Headless-Chromium tests: Playwright's sync API driving Debian's chromium.

Run them with the system browser (``apt-get install chromium``); Playwright's
own browser downloads are never used. Without /usr/bin/chromium they skip and
say so, unless NAVIGATOR_REQUIRE_BROWSER=1 (CI), where a missing browser fails.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
HOW_TO_RUN = (
    "Browser tests need Debian's chromium at /usr/bin/chromium: "
    "`sudo apt-get install chromium`, then `make test` "
    "(or `.venv/bin/pytest -m browser`)."
)

# How long an action or an assertion waits for the page (see below).
WAIT_MS = 20_000


def _unavailable(reason: str) -> None:
    message = f"{reason}. {HOW_TO_RUN}"
    if os.environ.get("NAVIGATOR_REQUIRE_BROWSER") == "1":
        pytest.fail(f"NAVIGATOR_REQUIRE_BROWSER=1 but {message}", pytrace=False)
    pytest.skip(message)


# Module scope: Playwright's event loop (see above) ends with the module.
@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _unavailable(
            "the playwright package is not installed (pip install -e '.[dev]')"
        )
    # Playwright's sync API runs an event loop in this thread; Django would
    # then refuse ORM calls from the test body, which is synchronous all the
    # same. Only while these tests run: the deploy check rejects the variable.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    # An assertion waits as long as an action does (the context's): on a
    # loaded two-core CI machine a page after a POST can take longer than
    # expect()'s 5 s default, and such a test failed without a defect (at
    # 10 s too, once: an enrollment's answer under a CI run beside others).
    expect.set_options(timeout=WAIT_MS)
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class Phone:
    """A page at 390×844 that remembers every host it sent a request to."""

    def __init__(self, page) -> None:
        self.page = page
        self.hosts: set[str] = set()
        page.on("request", self._record)

    def _record(self, request) -> None:
        url = urlparse(request.url)
        if url.scheme in ("http", "https", "ws", "wss"):
            self.hosts.add(url.hostname or "")

    def foreign_hosts(self) -> set[str]:
        return self.hosts - LOCAL_HOSTS

    def horizontal_overflow(self) -> int:
        """How many CSS pixels the page is wider than the screen (0 = none)."""
        return self.page.evaluate(
            "Math.max(document.documentElement.scrollWidth,"
            " document.body.scrollWidth) - document.documentElement.clientWidth"
        )


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        viewport=PHONE,
        screen=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="en-US",
        timezone_id="America/Los_Angeles",
    )
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    yield Phone(page)
    context.close()


@pytest.fixture
def log_in(live_server):
    """Log in through the login form, as a user would: ``log_in(page, user)``.

    Users made by tests.factories share one password (PASSWORD there).
    """
    from playwright.sync_api import expect

    from tests.factories import PASSWORD

    def log_in(page, username: str, password: str = PASSWORD) -> None:
        page.goto(live_server.url + "/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        # In the navbar, collapsed on a phone: there, but hidden.
        logout = page.get_by_role("button", name="Log out", include_hidden=True)
        expect(logout).to_be_attached()

    return log_in
