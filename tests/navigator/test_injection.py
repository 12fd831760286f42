"""Every page, rendered over a program whose every text is a script-injection
attempt, puts out no markup from the data (issue 7, finding 1).

The pages come from the URLconf, not from a list kept by hand: a new page is
swept by default, and a page whose URL this file cannot fill in fails the test
until the tables below say how. Only answers that are not HTML pages are left
out (EXCLUDED, each with where it is checked instead).

As a navigator and as a program manager (they see different pages): every
page is fetched plain and with hostile query parameters, every htmx fragment
a page links is fetched as htmx would, and then every form on every page is
submitted with the payload in each field it offers to type in (so re-rendered
forms, flash messages and the records the forms store are swept too).
"""

from __future__ import annotations

import html.parser
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import cast
from urllib.parse import urlencode, urlsplit

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from tests.hostile import (
    JS_URL,
    World,
    build_world,
    hostile,
    hostile_service,
    injection_problems,
)

pytestmark = pytest.mark.django_db

# Route prefixes and URL names that are not HTML pages of records; each is
# checked where the comment says.
EXCLUDED_PREFIXES = {
    "admin/": "the admin site: test_injection_doors.py",
    "api/": "JSON: test_injection_doors.py; the Swagger page: test_api_docs.py",
}
EXCLUDED_NAMES = {
    "healthz": "JSON status, no data: test_health.py",
    "followup-calendar-feed": "iCalendar: test_injection_doors.py",
    "familiar:export": "CSV: test_injection_doors.py, test_familiar_export.py",
    "person-audit-export": "CSV: tests/cases/test_pages_person_audit.py",
    "consent-form": "a stored PDF / image, a download: tests/navigator/test_uploads.py",
    "referral-attachment": "a stored file: tests/referrals/test_attachments.py",
    "referral-attachment-add": "POST only; its form is in the referral page's "
    "include (tests/referrals/test_attachments.py)",
}

# How to fill a URL's parameters, by name, from the hostile world.
KWARGS: dict[str, Callable[[World], int | str]] = {
    "person_id": lambda w: w.person.pk,
    "contact_id": lambda w: w.contact.pk,
    "encounter_id": lambda w: w.encounter.pk,
    "followup_id": lambda w: w.followup.pk,
    "step_id": lambda w: w.step.pk,
    "flag_id": lambda w: w.flag.pk,
    "enrollment_id": lambda w: w.enrollment.pk,
    "rule_id": lambda w: w.rule_id,
    # The directory (issue 9).
    "agency_id": lambda w: hostile_service(w).agency_id,
    "service_id": lambda w: hostile_service(w).pk,
    "referral_id": lambda w: w.referral.pk,
    # Outbound webhooks (issue 10): a failed event whose error is a payload.
    "event_id": lambda w: _hostile_webhook_event(w),
    # Sign-in pages (allauth): a made-up e-mail / reset key and a security
    # key that does not exist; each page must still answer without markup.
    "key": lambda w: "made-up-key",
    "uidb36": lambda w: "0",
    "pk": lambda w: 0,
}
# Pages about a record in one particular state.
OVERRIDES: dict[str, dict[str, Callable[[World], int]]] = {
    "person-restore": {"person_id": lambda w: w.deleted_person.pk},
    "encounter-restore": {"encounter_id": lambda w: w.deleted_encounter.pk},
    "family-contact-restore": {"contact_id": lambda w: w.removed_contact.pk},
    "encounter-link": {"encounter_id": lambda w: w.unidentified.pk},
    # consents (issue 9)
    "consent-list": {"person_pk": lambda w: w.person.pk},
    "consent-add": {"person_pk": lambda w: w.person.pk},
    "consent-detail": {"pk": lambda w: _consent_pk(w)},
    "consent-revoke": {"pk": lambda w: _consent_pk(w)},
    "consent-mark-in-error": {"pk": lambda w: _consent_pk(w)},
}


def _hostile_webhook_event(w: World) -> str:
    from django.utils import timezone

    from referrals.models import WebhookEndpoint, WebhookEvent
    from referrals.webhooks.signing import new_secret

    agency_id = hostile_service(w).agency_id
    WebhookEndpoint.objects.get_or_create(
        agency_id=agency_id,
        defaults={"url": "https://hooks.example.org/n", "secret": new_secret()},
    )
    event = WebhookEvent.objects.filter(agency_id=agency_id).first()
    if event is None:
        event = WebhookEvent.objects.create(
            agency_id=agency_id,
            type="referral.sent",
            payload={"data": {}},
            status="failed",
            next_attempt_at=timezone.now(),
            last_error=hostile(500),
        )
    return event.pk


def _consent_pk(w: World) -> int:
    assert w.consent is not None
    return w.consent.pk


# Query parameters a page needs to show its records.
QUERIES: dict[str, Callable[[World], dict]] = {
    "followup-schedule": lambda w: {"person": w.person.pk},
    "encounter-create": lambda w: {"person": w.person.pk},
    "encounter-person-options": lambda w: {"q": "alert"},
    "encounter-person-plan": lambda w: {"person": w.person.pk},
    # Referral pages (issue 9): the refer page and its consent answer, with
    # the hostile service chosen.
    "referral-refer": lambda w: {
        "person": w.person.pk,
        "services": w.referral.service_id,
    },
    "referral-consent-check": lambda w: {
        "person": w.person.pk,
        "services": w.referral.service_id,
    },
}
# The same pages once more about records in other states.
MORE_PAGES: list[tuple[str, Callable[[World], dict]]] = [
    ("followup-detail", lambda w: {"followup_id": w.closed_followup.pk}),
    ("person-detail", lambda w: {"person_id": w.flagged.pk}),
    ("person-detail", lambda w: {"person_id": w.deleted_person.pk}),
    ("encounter-detail", lambda w: {"encounter_id": w.unidentified.pk}),
    ("encounter-detail", lambda w: {"encounter_id": w.deleted_encounter.pk}),
]
# Reflected, not stored: what a crafted link could carry.
REFLECTED = {"q": hostile(), "next": JS_URL, "page": hostile(), "program": hostile()}

PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")
# Forms the sweep never submits: they end the sweeping client's session
# (add "sign out everywhere" and the like here, by URL name).
NOT_SUBMITTED = {"logout", "account_logout"}
# Sign-in pages that only answer inside a flow this sweep does not start (a
# sign-in waiting for its second factor, an e-mailed code or key, a security
# key to edit) or that are closed (no self sign-up): fetched all the same
# (check() ran on their answer), but they need not have rendered a form.
FLOW_ONLY = {
    "account_signup",
    "account_confirm_email",
    "account_reset_password_from_key",
    "account_confirm_login_code",
    "account_request_reauthentication_code",
    "account_confirm_reauthentication_code",
    "mfa_authenticate",
    "mfa_edit_webauthn",
    "mfa_remove_webauthn",
    "mfa_reauthenticate_webauthn",
    "account_email_verification_sent",
    "account_inactive",
    "account-email",
    # Shadowed by account-email (administrators set addresses).
    "account_email",
    # Only for a user without a password; everyone here has one.
    "account_set_password",
    # Ask for the password again first (allauth's reauthentication, which a
    # test's force_login does not record); tests/navigator/test_mfa.py and
    # tests/browser/test_mfa_flow.py go through them.
    "mfa_activate_totp",
    "mfa_add_webauthn",
    "mfa_deactivate_totp",
    "mfa_download_recovery_codes",
    "mfa_generate_recovery_codes",
    "mfa_reauthenticate",
    "mfa_view_recovery_codes",
}


@dataclass(frozen=True)
class Route:
    route: str
    name: str | None


def routes(patterns=None, prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from routes(entry.url_patterns, route, inner)
        elif isinstance(entry, URLPattern):
            yield Route(route, f"{namespace}{entry.name}" if entry.name else None)


def page_routes() -> list[Route]:
    return [
        r
        for r in routes()
        if not r.route.startswith(tuple(EXCLUDED_PREFIXES))
        and r.name not in EXCLUDED_NAMES
    ]


def url_for(route: Route, world: World) -> str:
    assert route.name, f"{route.route}: name the URL pattern so it can be filled"
    table = {**KWARGS, **OVERRIDES.get(route.name, {})}
    missing = [p for p in PARAMETER.findall(route.route) if p not in table]
    assert not missing, (
        f"{route.route} ({route.name}): no way to fill {missing}; add them to "
        "KWARGS / OVERRIDES in tests/navigator/test_injection.py"
    )
    kwargs = {p: table[p](world) for p in PARAMETER.findall(route.route)}
    url = reverse(route.name, kwargs=kwargs)
    query = QUERIES.get(route.name)
    return f"{url}?{urlencode(query(world))}" if query else url


def is_html(response) -> bool:
    return response.get("Content-Type", "").startswith("text/html")


def check(response, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code}"
    if not is_html(response):
        return
    problems = injection_problems(response.content.decode())
    assert not problems, f"{what}: {problems}"
    policy = response.get("Content-Security-Policy", "")
    assert "script-src 'self'" in policy, f"{what}: no CSP ({policy!r})"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, what


# --- forms -------------------------------------------------------------------


@dataclass
class Form:
    page: str
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    radios: dict[str, str] = field(default_factory=dict)
    button: tuple[str, str] | None = None

    def data(self) -> dict[str, list[str]]:
        pairs = list(self.fields)
        taken = {name for name, _ in pairs}
        pairs += [(n, v) for n, v in self.radios.items() if n not in taken]
        if self.button:
            pairs.append(self.button)
        data: dict[str, list[str]] = {}
        for name, value in pairs:
            data.setdefault(name, []).append(value)
        return data


TYPED = {"", "text", "search", "tel", "email", "url"}


class _Forms(html.parser.HTMLParser):
    """The forms of a page, their typed fields filled with the payload."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.select: tuple[str, bool] | None = None
        self.options: list[tuple[str, bool]] = []
        self.textarea: tuple[str, int] | None = None
        self.hx_gets: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if "hx-get" in a:
            self.hx_gets.append(a["hx-get"])
        if tag == "form":
            action = a.get("action") or self.page
            self.form = Form(self.page, action, a.get("method", "get").lower())
            self.forms.append(self.form)
        if self.form is None or "name" not in a or "disabled" in a:
            return
        name, limit = a["name"], int(a.get("maxlength") or 200)
        kind = a.get("type", "").lower() if tag == "input" else tag
        if tag == "input" and kind in TYPED:
            self.form.fields.append((name, hostile(limit)))
        elif tag == "input" and kind in ("checkbox",) and "checked" in a:
            self.form.fields.append((name, a.get("value", "on")))
        elif tag == "input" and kind == "radio":
            if "checked" in a or name not in self.form.radios:
                self.form.radios[name] = a.get("value", "on")
        elif tag == "input" and kind not in ("submit", "button", "password", "file"):
            self.form.fields.append((name, a.get("value", "")))
        elif tag == "button" and a.get("type", "submit") == "submit":
            self.form.button = self.form.button or (name, a.get("value", ""))
        elif tag == "textarea":
            self.textarea = (name, int(a.get("maxlength") or 10_000))
        elif tag == "select":
            self.select, self.options = (name, "multiple" in a), []
        if tag == "option" and self.select:
            self.options.append((a.get("value", ""), "selected" in a))

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "textarea" and self.textarea and self.form:
            name, limit = self.textarea
            self.form.fields.append((name, (hostile() + "\n" + hostile())[:limit]))
            self.textarea = None
        elif tag == "select" and self.select and self.form:
            name, multiple = self.select
            chosen = [v for v, selected in self.options if selected]
            if not chosen and not multiple:
                chosen = [v for v, _ in self.options if v][:1]
            self.form.fields += [(name, v) for v in chosen]
            self.select = None


def forms_of(page: str, body: str) -> tuple[list[Form], list[str]]:
    parser = _Forms(page)
    parser.feed(body)
    return parser.forms, parser.hx_gets


def url_name(url: str) -> str | None:
    try:
        return resolve(urlsplit(url).path).view_name
    except Exception:  # an external or unknown URL: no view of ours
        return None


# Last, so that they do not take away what the other forms act on; deleting
# a person (which takes their contacts, encounters, enrollment) last of all.
DESTRUCTIVE = ("delete", "remove", "cancel", "end", "dismiss", "revoke", "active")


def destructive(form: Form) -> int:
    path = urlsplit(form.action).path
    if url_name(path) == "person-delete":
        return 2
    return int(any(word in path for word in DESTRUCTIVE))


# --- the sweep ---------------------------------------------------------------


@dataclass
class Sweep:
    ok: set[str] = field(default_factory=set)  # URL names that answered 200
    forms: list[Form] = field(default_factory=list)
    fragments: set[str] = field(default_factory=set)


def get_every_page(client: Client, world: World, role: str) -> Sweep:
    sweep = Sweep()
    # (url_for asserts that each page route is named.)
    urls = [(cast(str, r.name), url_for(r, world)) for r in page_routes()]
    urls += [(name, reverse(name, kwargs=k(world))) for name, k in MORE_PAGES]
    for name, url in urls:
        for query in ("", urlencode(REFLECTED)):
            target = f"{url}{'&' if '?' in url else '?'}{query}" if query else url
            response = client.get(target)
            check(response, f"{role} GET {target}")
            if response.status_code == 200 and not query:
                sweep.ok.add(name)
                page_forms, hx_gets = forms_of(url, response.content.decode())
                sweep.forms += page_forms
                sweep.fragments.update(hx_gets)
    for url in sorted(sweep.fragments):
        response = client.get(url, headers={"HX-Request": "true"})
        check(response, f"{role} htmx GET {url}")
    return sweep


def submit_every_form(sweeps: list[tuple[Client, str, Sweep]]) -> set[str]:
    """Each distinct form once (by who, where it posts and what it holds);
    everyone's destructive forms last, so that the others still find the
    records they act on."""
    queue = [(c, role, f) for c, role, sweep in sweeps for f in sweep.forms]
    seen, posted = set(), set()
    for client, role, form in sorted(queue, key=lambda item: destructive(item[2])):
        name = url_name(form.action)
        key = (role, form.method, name, tuple(sorted(form.data())))
        if name is None or name in NOT_SUBMITTED or key in seen:
            continue
        seen.add(key)
        what = f"{role} {form.method.upper()} {form.action} (form on {form.page})"
        if form.method == "post":
            response = client.post(form.action, form.data(), follow=True)
            posted.add(name)
        else:
            response = client.get(form.action, form.data(), follow=True)
        check(response, what)
        for hop, _status in response.redirect_chain:
            assert url_name(hop) != "login", f"{what}: signed out"
    return posted


@pytest.fixture
def world(db) -> World:
    return build_world()


def test_every_url_of_the_urlconf_is_swept_or_excluded_with_a_reason(world):
    for route in routes():
        if route.route.startswith(tuple(EXCLUDED_PREFIXES)):
            continue
        if route.name in EXCLUDED_NAMES:
            continue
        url_for(route, world)  # fails for a pattern it cannot fill


def _hostile_partner(world: World):
    from referrals.partners.services import partner_token_create
    from tests.referrals.partner_helpers import partner_user

    agency = hostile_service(world).agency
    partner_token_create(agency=agency, name=hostile(100))
    return partner_user(agency)


def test_no_page_puts_out_markup_from_the_data(world):
    navigator, manager = Client(), Client()
    navigator.force_login(world.navigator)
    manager.force_login(world.manager)

    seen = get_every_page(navigator, world, "navigator")
    managed = get_every_page(manager, world, "manager")
    # Partners (issue 10): a user of the hostile agency, whose token has a
    # hostile name; every other page redirects them to their own.
    partner = Client()
    partner.force_login(_hostile_partner(world))
    partnered = get_every_page(partner, world, "partner")
    # The login page, with a crafted ?next=, before anyone signs in.
    anonymous = get_every_page(Client(), world, "anonymous")
    # Anonymous callers reach the sign-in pages (login, password reset) and
    # nothing that shows a record.
    assert "login" in anonymous.ok
    assert all(n.startswith(("login", "account_")) for n in anonymous.ok), sorted(
        anonymous.ok
    )

    # Each page was really rendered, for one role or the other; what neither
    # may GET (actions that take a POST) must be reached by a form below.
    answered = seen.ok | managed.ok | anonymous.ok | partnered.ok
    posted = submit_every_form(
        [
            (navigator, "navigator", seen),
            (manager, "manager", managed),
            (partner, "partner", partnered),
        ]
    )
    never = {
        r.name
        for r in page_routes()
        if r.name is not None  # (url_for: every page route is named)
        and r.name not in answered | posted | NOT_SUBMITTED | FLOW_ONLY
    }
    assert not never, f"neither rendered nor reached by a form: {sorted(never)}"
    # The manager's own pages were among them.
    assert {"followup-overdue", "familiar:outcomes", "person-audit"} <= managed.ok


def test_flash_messages_that_name_a_person_are_escaped(world):
    """Messages are built with the person's name in Python; the template must
    print them as text."""
    client = Client()
    client.force_login(world.navigator)
    response = client.post(
        reverse("person-create"),
        {
            "first_name": hostile(100),
            "last_name": hostile(100),
            "veteran_status": "no",
            "housing_situation": "unsheltered",
        },
        follow=True,
    )
    assert response.redirect_chain  # saved, then the person's page
    body = response.content.decode()
    assert "was added." in body
    assert not injection_problems(body)
