"""Every filter of every list, on the API and the pages, against hostile values.

A query string is anyone's to write. Whatever a filter is given, the API
answers 200 or a 400 naming that filter, and the page answers with the list
and a form error: never a 500. Found by probing: a UTC offset of +16:00 (valid
RFC 3339; PostgreSQL refuses it) and ``age_min=1e400`` (a Decimal step check
that cannot be computed) were 500s.

The API lists come from the URLconf, so a new list is covered by default;
the pages are listed below, and every FilterSet must appear there.
"""

from __future__ import annotations

import django_filters
import pytest
from django import forms
from django.urls import URLPattern, URLResolver, get_resolver
from django_filters.fields import IsoDateTimeField

from cases.familiar.filters import FamiliarFaceFilter
from cases.filters import EncounterFilter, PersonFilter
from followups.filters import DeliveryFilter, FollowupFilter
from navigator.filters import OFFSET_MESSAGE
from referrals.filters import ReferralFilter
from tests.factories import EncounterFactory, PersonFactory, token_client
from tests.followups.helpers import schedule

pytestmark = pytest.mark.django_db

# Values every filter gets, then values per kind of form field. The ones in
# REFUSED must be a 400 naming the filter (the API) / an error on the page.
EVERYWHERE = ["", "\x00", "x" * 5000, " ", "%", "1;DROP TABLE x"]
NOT_WHOLE = ["1e400", "-1e400", "nan", "inf", "-inf", "1.5", "9" * 5000]
WHOLE_NUMBERS = [*NOT_WHOLE, "0", "-1", "9" * 30]
BAD_OFFSETS = [
    "2026-01-01T00:00:00+16:00",
    "2026-01-01T00:00:00-16:00",
    "2026-01-01T00:00:00+23:59",
]
INSTANTS = [
    *BAD_OFFSETS,
    "2026-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "9999-12-31T23:59:59",
    "2026-02-30T00:00:00",
    "2026-01-01T00:00:00+99:00",
    "20260101T0000",
    "2026-01-01",
]
DATES = [
    "0000-01-01",
    "0001-01-01",
    "9999-12-31",
    "99999-01-01",
    "2026-02-30",
    "1/2/2026",
    "20260102",
]
BOOLEANS = ["maybe", "2", "yes", "unknown"]
REFUSED = {*NOT_WHOLE, *BAD_OFFSETS, "maybe", "20260101T0000", "1/2/2026"}
OFFSETS_REFUSED = set(BAD_OFFSETS)

# Page URL -> the filter set it applies (pages are not introspectable).
PAGES: dict[str, type[django_filters.FilterSet]] = {
    "/people/": PersonFilter,
    "/encounters/": EncounterFilter,
    "/followups/": FollowupFilter,
    "/followups/overdue/": FollowupFilter,
    "/followups/deliveries/": DeliveryFilter,
    "/familiar-faces/": FamiliarFaceFilter,
    # Referral pages (issue 9): the caseworker's board.
    "/referrals/": ReferralFilter,
}


def values_for(filter_) -> list[str]:
    # From the field class: building a class-level filter's field would cache
    # it (with no request, so an empty queryset) for every later FilterSet.
    field_class = filter_.field_class
    kind: list[str] = []
    if issubclass(field_class, IsoDateTimeField):
        kind = INSTANTS
    elif issubclass(field_class, forms.DateField):
        kind = DATES
    elif issubclass(field_class, forms.NullBooleanField):
        kind = BOOLEANS
    elif issubclass(
        field_class, forms.IntegerField | forms.DecimalField | forms.ModelChoiceField
    ):
        kind = WHOLE_NUMBERS
    return EVERYWHERE + kind


def refused(filter_, value: str) -> bool:
    return value in REFUSED and filter_.field_class is not forms.CharField


def _api_lists(
    patterns=None, prefix: str = "/"
) -> dict[str, type[django_filters.FilterSet]]:
    lists: dict[str, type[django_filters.FilterSet]] = {}
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        route = str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            lists |= _api_lists(pattern.url_patterns, prefix + route)
        elif isinstance(pattern, URLPattern):
            view = getattr(pattern.callback, "cls", None)
            actions = getattr(pattern.callback, "actions", None) or {}
            filterset = getattr(view, "filterset_class", None)
            if filterset is not None and actions.get("get") == "list":
                lists[prefix + route] = filterset
    return lists


API_LISTS = _api_lists()


def cases(lists: dict[str, type[django_filters.FilterSet]]) -> list:
    out = []
    for url, filterset in lists.items():
        for name, filter_ in filterset.base_filters.items():
            out.append(pytest.param(url, name, filter_, id=f"{url}?{name}"))
    return out


@pytest.fixture
def data(manager_a, navigator_a, program_a):
    person = PersonFactory(program=program_a)
    EncounterFactory(person=person, program=program_a)
    schedule(navigator_a, person=person)
    return person


@pytest.fixture
def api(manager_a, data):
    return token_client(manager_a)


def test_every_filter_set_is_on_a_page_and_in_the_api():
    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = {
        cls
        for cls in subclasses(django_filters.FilterSet)
        if cls.__module__.split(".")[0] in {"cases", "followups", "navigator"}
    }
    assert ours, "no filter sets found"
    assert ours <= set(PAGES.values()), ours - set(PAGES.values())
    assert ours <= set(API_LISTS.values()), ours - set(API_LISTS.values())


@pytest.mark.parametrize("url, name, filter_", cases(API_LISTS))
def test_api_filter_answers_200_or_400_naming_it(api, url, name, filter_):
    for value in values_for(filter_):
        response = api.get(url, {name: value})
        assert response.status_code in (200, 400), (value, response.content[:300])
        if response.status_code == 400:
            assert name in response.json()["fields"], (value, response.json())
        if refused(filter_, value):
            assert response.status_code == 400, (value, response.content[:300])
        if value in OFFSETS_REFUSED:
            assert response.json()["fields"][name] == [OFFSET_MESSAGE]


@pytest.mark.parametrize("url, name, filter_", cases(PAGES))
def test_page_filter_shows_an_error_never_a_500(
    client, manager_a, data, url, name, filter_
):
    client.force_login(manager_a)
    for value in values_for(filter_):
        response = client.get(url, {name: value})
        assert response.status_code == 200, (value, response.status_code)
        html = response.content.decode()
        if refused(filter_, value):
            assert f"<code>{name}</code>" in html, value
        if value in OFFSETS_REFUSED:
            assert OFFSET_MESSAGE in html, value


def test_the_export_goes_back_to_the_list_on_a_bad_filter(client, manager_a, data):
    client.force_login(manager_a)
    response = client.get("/familiar-faces/export.csv", {"min_contacts": "1e400"})
    assert response.status_code == 302
    assert response["Location"].startswith("/familiar-faces/?")


@pytest.mark.parametrize(
    "url, name",
    [
        ("/api/v1/encounters/", "started_after"),
        ("/api/v1/encounters/", "started_before"),
        ("/api/v1/followups/", "due_after"),
        ("/api/v1/followups/", "due_before"),
    ],
)
def test_an_offset_within_14_hours_still_filters(api, data, url, name):
    # The edge that stays valid: Kiribati's UTC+14:00.
    response = api.get(url, {name: "2026-01-01T00:00:00+14:00"})
    assert response.status_code == 200, response.content


def test_the_schema_says_an_empty_filter_is_taken(api):
    schema = api.get("/api/schema/", {"format": "json"}).json()
    for url, filterset in API_LISTS.items():
        path = schema["paths"][url]["get"]
        flagged = {p["name"] for p in path["parameters"] if p.get("allowEmptyValue")}
        assert set(filterset.base_filters) <= flagged, url
