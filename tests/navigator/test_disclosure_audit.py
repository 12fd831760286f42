"""Every door that shows or changes a person's record writes its audit event.

``DOORS`` (tests/navigator/disclosure_doors.py) is the table: one row per
URL name and method (a page, or an API route and each of its methods),
saying what a request through it must write for the people it touches: a
LIST or VIEW event naming what it showed (``AuditEvent.disclosed``), or the
write's own event. ``test_door`` makes each request and checks exactly those
events, no more: one per person, with the person's program, the door's URL
name as ``endpoint`` and the request's id and source. A row that expects
nothing still makes its request, so "discloses nothing" is checked, not
assumed.

``test_every_route_is_in_the_table`` walks the URLconf: a page or API route
(or an API method) with no row, and not in ``NOT_PERSON_DATA`` below, fails
it. A new endpoint gets a row in ``DOORS`` (see ``Door``) before it can
merge.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from cases.models import Person
from navigator import disclosure as d
from navigator.api.views import api_not_found
from navigator.models import AuditEvent, Role
from tests.factories import PersonFactory, ProgramFactory, member
from tests.navigator.disclosure_doors import DOORS, LIST, VIEW, client_as, run
from tests.navigator.disclosure_world import World, make_world

pytestmark = pytest.mark.django_db

NOT_PERSON_DATA_PREFIXES = (
    # Django's admin site: users, programs, memberships, tokens, agencies;
    # never a health record. Its pages come and go with the admin's
    # registrations.
    "admin/",
    # Signing in and out, and (django-allauth, as it lands) the user's own
    # account, password, MFA and sessions pages: the user's own data only.
    "accounts/",
)
NOT_PERSON_DATA = {
    "healthz",  # up / down and worker heartbeats
    "schema",  # the OpenAPI document
    "api-docs",  # Swagger UI
}


@pytest.fixture
def world(db) -> World:
    return make_world()


@pytest.mark.parametrize("door", DOORS, ids=str)
def test_door(world, door):
    response, events = run(door, world)
    body = getattr(response, "content", b"")[:500]
    assert response.status_code == door.status, body
    expected = door.expect(world)
    about_people = [e for e in events if e.person_id is not None]
    assert {(e.person_id, e.action) for e in about_people} == {
        (person_id, action)
        for person_id, what in expected.items()
        for action in _actions(what)
    }, [(e.person_id, e.action, e.object_label) for e in about_people]
    source = "api" if door.api else "web"
    programs = dict(Person.objects.values_list("pk", "program_id"))
    for event in events:
        assert event.endpoint == door.name, event
        assert (event.source, bool(event.request_id)) == (source, True), event
        if event.person_id is not None:
            assert event.program_id == programs[event.person_id], event
    disclosures = [e for e in about_people if e.action in (VIEW, LIST)]
    # One disclosure event per person per request, naming what went out.
    assert len({e.person_id for e in disclosures}) == len(disclosures)
    for event in disclosures:
        kinds = expected[event.person_id][1]
        assert set(event.disclosed) == kinds, (event.person_id, event.disclosed)
        assert event.object_type == "cases.person"
        assert event.object_id == str(event.person_id)
        assert all(isinstance(ids, list) and ids for ids in event.disclosed.values()), (
            event.disclosed
        )


def _actions(what: tuple) -> tuple[str, ...]:
    # shown(VIEW / LIST, kinds) is one disclosure; a write may list several
    # actions (a referral created and sent at once: CREATE, UPDATE).
    if len(what) == 2 and isinstance(what[1], frozenset):
        return (what[0],)
    return what


# --- the table covers the URLconf ---------------------------------------------


def iter_routes(
    resolver: URLResolver | None = None, prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str | None, URLPattern]]:
    """Every URL pattern: its full route, its (namespaced) name, the pattern."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}{pattern.namespace}:"
            yield from iter_routes(pattern, route, inner)
        else:
            name = f"{namespace}{pattern.name}" if pattern.name else None
            yield route, name, pattern


def _methods(pattern: URLPattern) -> set[str]:
    # An API route answers the methods of its viewset's action map; a page
    # needs a row for at least one method.
    actions = getattr(pattern.callback, "actions", None)
    # DRF answers HEAD as the GET it adds it for.
    return {m.upper() for m in actions} - {"HEAD"} if actions else set()


def test_every_route_is_in_the_table():
    rows: dict[str, set[str]] = {}
    for door in DOORS:
        rows.setdefault(door.name, set()).add(door.method)
    missing, unnamed, seen = [], [], set()
    for route, name, pattern in iter_routes():
        if route.startswith(NOT_PERSON_DATA_PREFIXES) or name in NOT_PERSON_DATA:
            continue
        if pattern.callback is api_not_found:
            continue  # the API's JSON 404 for every unknown path
        if name is None:
            unnamed.append(route)
            continue
        seen.add(name)
        if name not in rows:
            missing.append(f"{name} ({route})")
            continue
        for method in _methods(pattern) - rows[name]:
            missing.append(f"{method} {name} ({route})")
    assert not unnamed, f"Give these routes a name and a row in DOORS: {unnamed}"
    assert not missing, (
        "These doors have no row in DOORS (tests/navigator/"
        f"test_disclosure_audit.py); add what a request must audit: {missing}"
    )
    assert not set(rows) - seen, (
        f"Rows for routes that no longer exist: {set(rows) - seen}"
    )


# --- what the table does not say ---------------------------------------------


def test_a_page_of_100_people_is_one_insert_of_100_events(world):
    PersonFactory.create_batch(97, program=world.program)
    client = client_as(world, "navigator", api=True)
    client.get("/api/v1/people/", {"page_size": 1})  # the token's first use
    seen = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/api/v1/people/", {"page_size": 100})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 100
    inserts = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].lstrip().upper().startswith("INSERT")
    ]
    assert len(inserts) == 1 and "navigator_auditevent" in inserts[0]
    events = AuditEvent.objects.filter(id__gt=seen)
    assert events.count() == 100
    assert set(events.values_list("action", flat=True)) == {LIST}
    assert set(events.values_list("program_id", flat=True)) == {world.program.pk}
    assert events.values("person_id").distinct().count() == 100


def test_the_person_page_is_one_event_for_the_person(world):
    door = next(x for x in DOORS if x.name == "person-detail")
    response, events = run(door, world)
    assert response.status_code == 200
    (event,) = events
    assert (event.person_id, event.action, event.actor) == (
        world.person.pk,
        VIEW,
        world.navigator,
    )
    assert world.consent is not None
    assert event.disclosed == {
        d.CONSENT: [world.consent.pk],
        d.ENCOUNTER: [world.encounter.pk],
        d.FAMILY_CONTACT: [world.contact.pk],
        d.FOLLOWUP: [world.followup.pk],
        d.PERSON: [world.person.pk],
        d.REFERRAL_SUMMARY: [world.referral.pk],
    }


@pytest.mark.parametrize(
    "path",
    [
        lambda w: reverse("person-detail", args=[w.person.pk]),
        lambda w: reverse("person-edit", args=[w.person.pk]),
        lambda w: reverse("encounter-detail", args=[w.encounter.pk]),
        lambda w: reverse("followup-detail", args=[w.followup.pk]),
        lambda w: reverse("referral-detail", args=[w.referral.pk]),
        lambda w: reverse("familiar:person-panel", args=[w.enrolled.pk]),
        lambda w: f"/api/v1/people/{w.person.pk}/",
        lambda w: f"/api/v1/people/{w.person.pk}/contacts/",
        lambda w: f"/api/v1/encounters/{w.encounter.pk}/",
        lambda w: f"/api/v1/followups/{w.followup.pk}/",
    ],
)
def test_out_of_scope_is_a_404_that_writes_nothing(world, path):
    outsider = member(ProgramFactory(slug="elsewhere"), Role.NAVIGATOR)
    client = APIClient()
    client.force_login(outsider)
    seen = AuditEvent.objects.count()
    assert client.get(path(world)).status_code == 404
    assert AuditEvent.objects.count() == seen


def test_an_api_error_writes_nothing(world):
    # A bad filter (400) and a bad PATCH (400): the answer is the error, not
    # the records the view had in hand.
    client = client_as(world, "navigator", api=True)
    seen = AuditEvent.objects.count()
    assert client.get("/api/v1/people/", {"age_min": "old"}).status_code == 400
    response = client.patch(
        f"/api/v1/people/{world.person.pk}/", {"date_of_birth": "soon"}, format="json"
    )
    assert response.status_code == 400
    assert AuditEvent.objects.count() == seen


def test_the_export_is_a_list_event_per_person_and_one_for_the_export(world):
    client = client_as(world, "manager", api=False)
    seen = AuditEvent.objects.count()
    response = client.get(reverse("familiar:export"))
    assert response.status_code == 200
    events = AuditEvent.objects.order_by("id")[seen:]
    assert [(e.person_id, e.action) for e in events if e.person_id is None] == [
        (None, VIEW)
    ]
    assert {e.person_id for e in events if e.action == LIST} == {
        world.flagged.pk,
        world.enrolled.pk,
    }
    assert json.dumps([e.disclosed for e in events])  # JSON all through
