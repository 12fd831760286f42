"""Who may open what among the familiar-faces pages and API actions: the
same answer from every front door (one access function decides)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from cases.familiar import services as ff
from cases.familiar.selectors import familiar_faces_access, familiar_rule_access
from cases.models import (
    FamiliarFaceEnrollment,
    FamiliarFaceFlag,
    FamiliarFacesRule,
    FlagStatus,
)
from navigator.errors import NotFound, PermissionDenied
from tests.cases.familiar_world import (
    EXPORT_URL,
    HISTORY_URL,
    LIST_URL,
    OUTCOMES_URL,
    RULES_URL,
    flag_of,
    flagged,
)

pytestmark = pytest.mark.django_db


# --- who may open what -------------------------------------------------------


def all_urls(flag, person, enrollment=None) -> list[str]:
    urls = [
        LIST_URL,
        EXPORT_URL,
        RULES_URL,
        reverse("familiar:rule-create"),
        reverse("familiar:rule-edit", args=[flag.rule_id]),
        OUTCOMES_URL,
        HISTORY_URL,
        reverse("familiar:enroll", args=[flag.pk]),
        reverse("familiar:dismiss", args=[flag.pk]),
        reverse("familiar:person-panel", args=[person.pk]),
    ]
    if enrollment:
        urls.append(reverse("familiar:enrollment-end", args=[enrollment.pk]))
    return urls


def test_every_page_requires_login(client, program_a):
    (person,) = flagged(program_a, n_people=1)
    for url in all_urls(flag_of(person), person):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login")), url


@pytest.mark.parametrize("role", ["admin_a", "partner_a"])
def test_admins_and_partners_get_404_everywhere(
    client, request, role, program_a, manager_a, navigator_a
):
    (person,) = flagged(program_a, n_people=1)
    enrollment = ff.familiar_enroll(by=manager_a, person=person, navigator=navigator_a)
    client.force_login(request.getfixturevalue(role))
    for url in all_urls(flag_of(person), person, enrollment):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(
            reverse("familiar:dismiss", args=[flag_of(person).pk]), {"reason": "x"}
        ).status_code
        == 404
    )
    assert flag_of(person).status == FlagStatus.ACTIVE


def test_navigator_reads_list_history_rules_but_no_manager_pages(
    client, program_a, navigator_a, manager_a
):
    (person,) = flagged(program_a, n_people=1)
    flag = flag_of(person)
    enrollment = ff.familiar_enroll(by=manager_a, person=person, navigator=navigator_a)
    client.force_login(navigator_a)
    for url in (LIST_URL, RULES_URL, HISTORY_URL):
        assert client.get(url).status_code == 200, url
    # Their program's pages, for its managers: refused, and the page says why
    # (not "not found": the flag, the rule, the enrollment are there).
    for url, reason in (
        (EXPORT_URL, "Only program managers can export"),
        (OUTCOMES_URL, "Only program managers see the outcomes"),
        (reverse("familiar:rule-create"), "Only program managers can add"),
        (
            reverse("familiar:rule-edit", args=[flag.rule_id]),
            "managers can change",
        ),
        (reverse("familiar:enroll", args=[flag.pk]), "can enroll a person"),
        (reverse("familiar:dismiss", args=[flag.pk]), "can take a person off"),
        (
            reverse("familiar:enrollment-end", args=[enrollment.pk]),
            "can end an enrollment",
        ),
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert reason in response.text, url


def test_navbar_links_the_list_for_staff_only(client, navigator_a, admin_a):
    client.force_login(navigator_a)
    assert f'href="{LIST_URL}">Familiar faces' in client.get(reverse("today")).text
    client.force_login(admin_a)
    assert "Familiar faces" not in client.get(reverse("today")).text


# --- page and API agree ------------------------------------------------------
#
# One row per (role, action): what the page and the API answer. Out of the
# user's programs → 404 from both; in them but not for the role → 403 from
# both; allowed → done. Actions without an API door (rule edit, export) are
# held to the access function's answer instead.

ROLES = {
    # fixture: the status expected for a manager's action on program A's flag
    "manager_a": "ok",
    "navigator_a": 403,
    "manager_b": 404,
    "admin_a": 404,
    "partner_a": 404,
}
API = "/api/v1/familiar-faces/"


def api_client(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def page_status(response) -> int | str:
    return "ok" if response.status_code in (200, 302) else response.status_code


@pytest.mark.parametrize("role", ROLES)
def test_dismiss_page_and_api_agree(request, client, role, program_a):
    people = flagged(program_a, n_people=2)
    user = request.getfixturevalue(role)
    client.force_login(user)
    by_page = client.post(
        reverse("familiar:dismiss", args=[flag_of(people[0]).pk]), {"reason": "r"}
    )
    by_api = api_client(user).post(
        f"{API}{flag_of(people[1]).pk}/dismiss/", {"reason": "r"}, format="json"
    )
    assert page_status(by_page) == page_status(by_api) == ROLES[role]
    dismissed = FamiliarFaceFlag.objects.filter(status=FlagStatus.DISMISSED).count()
    assert dismissed == (2 if ROLES[role] == "ok" else 0)


@pytest.mark.parametrize("role", ROLES)
def test_enroll_page_and_api_agree(request, client, role, program_a, navigator_a):
    people = flagged(program_a, n_people=2)
    user = request.getfixturevalue(role)
    client.force_login(user)
    by_page = client.post(
        reverse("familiar:enroll", args=[flag_of(people[0]).pk]),
        {"navigator": navigator_a.pk},
    )
    by_api = api_client(user).post(
        f"{API}{flag_of(people[1]).pk}/enroll/",
        {"navigator": navigator_a.pk},
        format="json",
    )
    assert page_status(by_page) == page_status(by_api) == ROLES[role]
    enrolled = FamiliarFaceEnrollment.objects.count()
    assert enrolled == (2 if ROLES[role] == "ok" else 0)


def access_answer(check, **kwargs) -> int | str:
    """The access function's answer as a status (what every door must give)."""
    try:
        check(**kwargs)
    except NotFound:
        return 404
    except PermissionDenied:
        return 403
    return "ok"


@pytest.mark.parametrize("role", ROLES)
def test_rule_edit_page_and_service_agree(request, client, role, program_a):
    rule = FamiliarFacesRule.objects.create(program=program_a, name="r")
    user = request.getfixturevalue(role)
    expected = access_answer(familiar_rule_access, user=user, rule=rule, action="edit")
    assert expected == ROLES[role]
    client.force_login(user)
    assert (
        page_status(client.get(reverse("familiar:rule-edit", args=[rule.pk])))
        == expected
    )
    assert (
        page_status(
            client.post(
                reverse("familiar:rule-active", args=[rule.pk]), {"is_active": "false"}
            )
        )
        == expected
    )
    rule.refresh_from_db()
    assert rule.is_active == (expected != "ok")
    # The service called directly gives the same answer.
    assert (
        access_answer(
            ff.familiar_rule_update, by=user, rule=rule, data={"name": "renamed"}
        )
        == expected
    )
    rule.refresh_from_db()
    assert (rule.name == "renamed") == (expected == "ok")


# Export is the manager's, of the programs they manage: a manager of another
# program exports their own (an empty file), not program A's.
EXPORT_ROLES = {**ROLES, "manager_b": "ok"}


@pytest.mark.parametrize("role", EXPORT_ROLES)
def test_export_page_and_service_agree(request, client, role, program_a):
    (person,) = flagged(program_a, n_people=1)
    user = request.getfixturevalue(role)
    expected = access_answer(familiar_faces_access, user=user, action="export")
    assert expected == EXPORT_ROLES[role]
    client.force_login(user)
    response = client.get(EXPORT_URL)
    assert page_status(response) == expected
    assert access_answer(ff.familiar_list_export, by=user, flags=[]) == expected
    if expected == "ok":
        exported = response.content.decode()
        assert (person.display_name in exported) == (role == "manager_a")
