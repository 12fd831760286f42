"""The partner boundary as one table (issue 10): every API endpoint of the
URLconf × every kind of principal → the status it answers.

Partners (a partner user, a partner token) reach the directory endpoints
and nothing else: every staff endpoint is a 404 to them. A revoked or
expired partner token and an anonymous caller are a 401 everywhere under
/api/v1/. Staff answers are unchanged by the boundary: each staff row is
checked against the same request with the boundary middleware taken out.
Pages: every staff page redirects a partner user to their landing page.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from navigator.models import Role
from referrals.models import PartnerToken
from tests.factories import PersonFactory, member, token_client
from tests.referrals.factories import ServiceFactory, partner_of
from tests.referrals.partner_helpers import key_client, partner_key, partner_user

pytestmark = pytest.mark.django_db

BOUNDARY = "referrals.partners.middleware.PartnerBoundaryMiddleware"

STAFF = ("navigator", "caseworker", "manager", "other_program", "admin")
PARTNERS = ("partner_user", "partner_token")
OTHER_PARTNER = "other_partner_user"
REFUSED = ("revoked_token", "expired_token", "anonymous")
PRINCIPALS = (*STAFF, *PARTNERS, OTHER_PARTNER, *REFUSED)

# The partner endpoints (URL name, method) and what each principal answers
# there that is not the boundary's default. The world: agency X works with
# program A (its service sx); agency Y with program B (service sy); the ids
# in the URLs are X's and sx's.
PARTNER_ENDPOINTS: dict[tuple[str, str], dict[str, int]] = {
    ("api-agency-list", "get"): {OTHER_PARTNER: 200},
    ("api-agency-detail", "get"): {OTHER_PARTNER: 404},
    ("api-service-list", "get"): {OTHER_PARTNER: 200},
    ("api-service-detail", "get"): {OTHER_PARTNER: 404},
    ("api-service-detail", "patch"): {OTHER_PARTNER: 404},
}


def expected(name: str, method: str, principal: str) -> int | None:
    """The status the table expects; None: a staff row, whose answer is the
    one it gets without the boundary."""
    partner_endpoint = (name, method) in PARTNER_ENDPOINTS
    if principal in REFUSED:
        return 401
    if principal in (*PARTNERS, OTHER_PARTNER):
        if not partner_endpoint:
            return 404
        if principal == OTHER_PARTNER:
            return PARTNER_ENDPOINTS[(name, method)][OTHER_PARTNER]
        return 200
    return None


@dataclass(frozen=True)
class Endpoint:
    route: str
    name: str
    methods: tuple[str, ...]


def _walk(patterns, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route, entry


def _methods(pattern: URLPattern) -> tuple[str, ...]:
    actions = getattr(pattern.callback, "actions", None)
    if actions:
        # HEAD is GET's (DRF adds it to the actions once a GET was served).
        return tuple(sorted(m for m in actions if m not in ("head", "options")))
    cls = getattr(pattern.callback, "cls", None) or getattr(
        pattern.callback, "view_class", None
    )
    if cls is None:
        return ("get",)
    return tuple(
        m for m in ("get", "post", "patch", "put", "delete") if hasattr(cls, m)
    ) or ("get",)


def api_endpoints() -> list[Endpoint]:
    found = []
    for route, pattern in _walk(get_resolver().url_patterns):
        if not route.startswith("api/v1/") or pattern.name is None:
            continue  # the catch-all JSON 404 has no name
        found.append(Endpoint(route, pattern.name, _methods(pattern)))
    return found


PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>")


@dataclass
class World:
    ids: dict[str, int]
    clients: dict[str, Callable[[], APIClient]]


def _token(user) -> Callable[[], APIClient]:
    return lambda: token_client(user)


@pytest.fixture
def world(program_a, program_b) -> World:
    x = partner_of(program_a)
    sx = ServiceFactory(agency=x)
    y = partner_of(program_b)
    ServiceFactory(agency=y)
    person = PersonFactory(program=program_a)
    revoked_key = partner_key(x)
    PartnerToken.objects.filter(agency=x).update(revoked_at=timezone.now())
    expired_key = partner_key(x)
    PartnerToken.objects.filter(agency=x, revoked_at__isnull=True).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    users = {
        "navigator": member(program_a, Role.NAVIGATOR),
        "caseworker": member(program_a, Role.CASEWORKER),
        "manager": member(program_a, Role.PROGRAM_MANAGER),
        "other_program": member(program_b, Role.NAVIGATOR),
        "admin": member(program_a, Role.ADMIN),
    }
    live_key = partner_key(x)
    sessions = {"partner_user": partner_user(x), OTHER_PARTNER: partner_user(y)}

    def session(user) -> Callable[[], APIClient]:
        def make() -> APIClient:
            client = APIClient()
            client.force_login(user)
            return client

        return make

    clients: dict[str, Callable[[], APIClient]] = {
        **{name: _token(u) for name, u in users.items()},
        **{name: session(u) for name, u in sessions.items()},
        "partner_token": lambda: key_client(live_key),
        "revoked_token": lambda: key_client(revoked_key),
        "expired_token": lambda: key_client(expired_key),
        "anonymous": APIClient,
    }
    ids = {"agency": x.pk, "service": sx.pk, "person": person.pk}
    return World(ids=ids, clients=clients)


def url_of(endpoint: Endpoint, world: World) -> str:
    kwargs: dict[str, object] = {}
    for converter, name in PARAMETER.findall(endpoint.route):
        if endpoint.name.startswith("api-agency"):
            kwargs[name] = world.ids["agency"]
        elif endpoint.name.startswith("api-service"):
            kwargs[name] = world.ids["service"]
        elif converter in ("", "str", "slug", "path"):
            kwargs[name] = "x"
        elif converter == "uuid":
            kwargs[name] = "00000000-0000-0000-0000-000000000000"
        else:
            kwargs[name] = world.ids["person"]
    return reverse(endpoint.name, kwargs=kwargs)


BODIES = {("api-service-detail", "patch"): {"capacity_note": "Two beds free"}}


def call(client: APIClient, method: str, url: str, body: dict | None) -> int:
    if method == "get":
        return client.get(url).status_code
    return getattr(client, method)(url, body or {}, format="json").status_code


def test_the_walk_finds_the_staff_and_partner_endpoints():
    names = {e.name for e in api_endpoints()}
    assert {"api-person-list", "api-referral-list", "api-service-detail"} <= names
    assert {name for name, _ in PARTNER_ENDPOINTS} <= names
    assert len(names) > 20


def test_permission_matrix(world):
    problems = []
    without_boundary = [m for m in settings.MIDDLEWARE if m != BOUNDARY]
    for endpoint in api_endpoints():
        url = url_of(endpoint, world)
        for method in endpoint.methods:
            body = BODIES.get((endpoint.name, method))
            for principal in PRINCIPALS:
                want = expected(endpoint.name, method, principal)
                got = call(world.clients[principal](), method, url, body)
                if want is None:
                    with override_settings(MIDDLEWARE=without_boundary):
                        want = call(world.clients[principal](), method, url, body)
                if got != want:
                    problems.append(
                        f"{method.upper()} {url} ({endpoint.name}) as {principal}: "
                        f"{got}, expected {want}"
                    )
    assert not problems, "\n".join(problems)


def test_partner_user_pages_redirect_to_their_landing_page(client, program_a):
    """Every page of the URLconf but the partner's own and their account's
    redirects a partner user to the landing page (or is a 404)."""
    user = partner_user(partner_of(program_a))
    client.force_login(user)
    landing = reverse("partner-home")
    problems = []
    redirected = 0
    for route, pattern in _walk(get_resolver().url_patterns):
        if route.startswith(("api/", "accounts/")) or pattern.name in (
            "partner-home",
            "partner-tokens",
            "partner-token-revoke",
        ):
            continue
        url = "/" + PARAMETER.sub(
            lambda m: "1" if m.group(1) == "int" else "x", route
        ).lstrip("^").rstrip("$")
        if "(" in url or "[" in url:
            continue  # a regex route (admin's, allauth's): admin below
        response = client.get(url)
        if response.status_code == 404:
            continue
        if response.status_code != 302 or response["Location"] != landing:
            problems.append(f"{url} ({pattern.name}): {response.status_code}")
        redirected += 1
    assert not problems, "\n".join(problems)
    assert redirected > 30  # the staff pages were reached, not skipped
    # The admin site too, and the home page.
    assert client.get("/admin/")["Location"] == landing
    assert client.get("/")["Location"] == landing
