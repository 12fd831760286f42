"""Every filter on the pages speaks plainly: "Any program", not Django's
"---------"; a yes / no filter says what yes means; every field has a real
label (issue 8, "Small things seen on the way")."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from navigator.models import Role
from tests.factories import member

pytestmark = pytest.mark.django_db

PAGES = [
    "person-list",
    "encounter-list",
    "encounter-unidentified",
    "followup-list",
    "followup-deliveries",
    "familiar:list",
]
SELECT = re.compile(r"<select[^>]*>(.*?)</select>", re.S)
OPTION = re.compile(r"<option[^>]*>([^<]*)</option>")


@pytest.mark.parametrize("name", PAGES)
def test_filters_have_plain_labels(client, program_a, name):
    client.force_login(member(program_a, Role.PROGRAM_MANAGER))
    page = client.get(reverse(name)).text
    options = [o.strip() for s in SELECT.findall(page) for o in OPTION.findall(s)]
    assert options, f"{name}: no filter with choices on the page"
    assert not [o for o in options if set(o) <= {"-"}], options
    # A yes / no filter has no third "Unknown" answer.
    for select in SELECT.findall(page):
        choices = OPTION.findall(select)
        assert not ("Unknown" in choices and "Yes" in choices), choices
    assert "[invalid name]" not in page


def test_the_unidentified_filter_says_what_it_keeps(client, program_a):
    client.force_login(member(program_a, Role.PROGRAM_MANAGER))
    page = client.get(reverse("encounter-list")).text
    select = re.search(r'<select name="unidentified"[^>]*>(.*?)</select>', page, re.S)
    assert select, "no unidentified filter"
    assert OPTION.findall(select[1]) == [
        "Identified or not",
        "Not identified yet",
        "Identified",
    ]
