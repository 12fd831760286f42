"""In a real browser, over a program whose every text is a script payload
(tests/hostile.py): no alert() fires on the main pages, the
Content-Security-Policy reports no violation, and what the pages' own
JavaScript does (Bootstrap's menu, dropdown and dismissible alerts, htmx
panels, the copy button) still works under that policy (issue 7)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PHONE, WAIT_MS
from tests.hostile import World, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Collected in the page before any of its own scripts run.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(
    `${e.violatedDirective} blocked ${e.blockedURI || "?"} in ${e.sourceFile || "?"}`
  );
});
"""


class Watched:
    """A page whose dialogs, console errors and CSP violations are kept."""

    def __init__(self, page) -> None:
        self.page = page
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("dialog", self._dialog)
        page.on("console", self._console)
        page.on("response", self._response)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message} on {self.page.url}")
        dialog.dismiss()

    def _console(self, message) -> None:
        text = message.text
        # A failed load is reported with its URL by _response. The browser
        # warns (not errs) about a header it cannot read: that counts too.
        if (
            message.type == "error" and not text.startswith("Failed to load resource")
        ) or (message.type == "warning" and "Policy" in text):
            self.errors.append(f"{text} on {self.page.url}")

    def _response(self, response) -> None:
        # The admin's pages link no icon, so the browser asks for
        # /favicon.ico, which does not exist: not an error of the page.
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            self.errors.append(f"{response.status} {response.url}")

    def violations(self) -> list[str]:
        return self.page.evaluate("window.__violations || []")

    def open(self, url: str) -> None:
        self.page.goto(url)
        self.page.wait_for_load_state("networkidle")
        self.assert_clean()

    def assert_clean(self) -> None:
        assert not self.dialogs, self.dialogs
        assert not self.violations(), (self.page.url, self.violations())
        assert not self.errors, self.errors


@pytest.fixture
def world(transactional_db) -> World:
    return build_world()


@pytest.fixture
def watched(phone) -> Watched:
    return Watched(phone.page)


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(WAIT_MS)
    yield Watched(context.new_page())
    context.close()


def test_the_main_pages_run_no_script_from_the_data(
    watched, live_server, log_in, world
):
    from playwright.sync_api import expect

    page = watched.page
    log_in(page, world.navigator.username)
    base = live_server.url
    for path in (
        "/",
        f"/people/{world.person.pk}/",
        f"/followups/new/?person={world.person.pk}",
        f"/encounters/{world.encounter.pk}/",
        f"/encounters/{world.encounter.pk}/edit/",
        f"/followups/{world.followup.pk}/",
        "/familiar-faces/",
        "/people/?q=alert",
    ):
        watched.open(base + path)

    # Styles moved out of style="" still apply: the overdue follow-up's edge
    # on Today.
    watched.open(base + "/")
    edge = page.locator(".followup-item.item-alert").first.evaluate(
        "e => getComputedStyle(e).borderLeftWidth"
    )
    assert float(edge.removesuffix("px")) >= 4, edge

    # The person page's familiar-faces panel is loaded by htmx when it
    # scrolls into view (no eval, no injected style needed).
    watched.open(f"{base}/people/{world.person.pk}/")
    panel = page.locator("#familiar-faces")
    panel.scroll_into_view_if_needed()
    expect(panel.get_by_role("heading", name="Encounters per month")).to_be_visible()
    watched.assert_clean()

    # The encounter form's person search: htmx fetches matches as one types.
    watched.open(f"{base}/encounters/new/")
    page.get_by_label("Find by name or alias").fill("alert")
    expect(page.locator("#person-options input[name=person]").first).to_be_attached()
    watched.assert_clean()


def test_bootstrap_and_our_scripts_work_under_the_policy(
    watched, live_server, log_in, world
):
    from playwright.sync_api import expect

    page = watched.page
    log_in(page, world.manager.username)
    watched.open(live_server.url + "/")
    assert page.viewport_size == PHONE

    # The collapsed navbar opens on a phone...
    menu = page.locator("#main-nav")
    expect(menu).to_be_hidden()
    page.get_by_role("button", name="Toggle navigation").click()
    expect(menu).to_be_visible()
    # ...and its dropdown opens.
    page.get_by_role("button", name="Program").click()
    expect(page.get_by_role("link", name="Overdue by navigator")).to_be_visible()

    # A dismissible message closes; the calendar link's copy button (moved
    # from an inline script to navigator.js) is shown.
    watched.open(live_server.url + "/followups/preferences/")
    page.get_by_role("button", name="Create calendar link").click()
    alert = page.locator(".messages .alert")
    expect(alert).to_contain_text("New calendar link created")
    expect(page.locator("[data-copy-button]")).to_be_visible()
    alert.get_by_role("button", name="Close").click()
    expect(alert).to_have_count(0)
    watched.assert_clean()


def test_the_policy_really_blocks_inline_script(watched, live_server, log_in, world):
    """The listeners above can see what they look for: an inline script added
    to the page is refused (and reported), while the test's own alert() shows."""
    log_in(watched.page, world.navigator.username)
    watched.open(f"{live_server.url}/people/{world.person.pk}/")
    watched.page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'alert(\"injected\")'; document.body.append(s); }"
    )
    watched.page.wait_for_function("window.__violations.length > 0")
    assert watched.violations()[0].startswith("script-src")
    assert watched.dialogs == []
    watched.page.evaluate("alert('from the test')")
    assert watched.dialogs and "from the test" in watched.dialogs[0]


def test_swagger_ui_runs_under_the_policy(desktop, live_server, log_in, world):
    from playwright.sync_api import expect

    log_in(desktop.page, world.navigator.username)
    desktop.open(live_server.url + "/api/docs/")
    expect(desktop.page.locator(".swagger-ui .info .title")).to_contain_text(
        "Navigator API"
    )
    expect(desktop.page.locator(".opblock").first).to_be_visible()
    desktop.assert_clean()


def test_the_admin_site_runs_under_the_policy(desktop, live_server, log_in, world):
    from playwright.sync_api import expect

    from navigator.models import Role
    from tests.factories import member

    # The admin role alone (not a superuser) is what opens the admin site.
    member(world.program, Role.ADMIN, username="boss")
    log_in(desktop.page, "boss")
    desktop.open(live_server.url + "/admin/")
    desktop.open(live_server.url + "/admin/navigator/user/add/")
    # The program's page: its busiest JavaScript, a new member's row and the
    # account picker that searches as one types.
    desktop.open(
        live_server.url + f"/admin/navigator/program/{world.program.pk}/change/"
    )
    desktop.page.locator(".add-row a").last.click()
    desktop.page.locator(".select2-selection").last.click()
    desktop.page.locator(".select2-search__field").fill(world.navigator.username)
    # Its name is a script payload (tests/hostile.py): shown as text.
    expect(desktop.page.locator(".select2-results__option").first).to_contain_text("<")
    desktop.assert_clean()
