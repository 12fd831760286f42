"""``/api/v1/familiar-faces/``: scoping, fields, filters, the manager actions,
status codes and error shapes, and the list's query count."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from cases.familiar import services as ff
from cases.models import FamiliarFaceEnrollment, FamiliarFaceFlag, FlagStatus
from navigator.models import AuditAction, AuditEvent, Membership, Role
from navigator.services import api_token_create
from tests.cases.familiar_world import flag_of, flagged
from tests.factories import member

pytestmark = pytest.mark.django_db

LIST = "/api/v1/familiar-faces/"

# Token (with its user), memberships, COUNT, the page of flags (annotated),
# the rows' enrollments, encounters and previous-window counts (one per rule
# on the page), the audit insert: the same for 10 rows as for 100, for 12
# people as for 110.
LIST_MAX_QUERIES = 8


def detail(flag) -> str:
    return f"{LIST}{flag.pk}/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def manager_b(program_b):
    return member(program_b, Role.PROGRAM_MANAGER, username="mgr-b")


def test_anonymous_is_401(program_a):
    response = APIClient().get(LIST)
    assert response.status_code == 401
    assert set(response.json()) == {"detail", "code", "fields"}


def test_list_has_the_rows_fields_and_the_reason(program_a, navigator_a, manager_a):
    people = flagged(program_a, n_people=2)
    ff.familiar_enroll(by=manager_a, person=people[1], navigator=navigator_a)
    response = client_for(navigator_a).get(LIST)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    first, second = body["results"]
    assert first["person"] == {
        "id": people[1].pk,
        "display_name": people[1].display_name,
    }
    flag = flag_of(people[1])
    assert first["id"] == flag.pk and first["status"] == "active"
    assert first["program"] == program_a.pk
    assert first["rule"]["id"] == flag.rule_id
    assert first["rule"]["description"] == "3+ encounters in 30 days"
    assert first["reason"]["rule_id"] == flag.rule_id
    assert first["reason"]["rule_description"] == "3+ encounters in 30 days"
    assert first["reason"]["encounter_count"] == 5
    assert first["reason"]["encounter_ids"] == flag.encounter_ids
    assert first["reason"]["window_start"] and first["reason"]["window_end"]
    assert "5 encounters in 30 days" in first["reason"]["summary"]
    assert (first["contacts"], first["previous_contacts"], first["trend"]) == (
        5,
        1,
        "up",
    )
    assert first["last_contact"]
    assert first["top_concerns"] == [
        {"code": "mental_health", "label": "Mental health"},
        {"code": "homelessness", "label": "Homelessness"},
    ]
    assert first["dispositions"] == [
        {"code": "resources_provided", "label": "Resources provided"}
    ]
    assert first["overdue_followups"] == 0
    assert first["navigator"] == {
        "id": navigator_a.pk,
        "name": navigator_a.get_full_name(),
    }
    assert first["enrollment"]["navigator"]["id"] == navigator_a.pk
    assert first["enrollment"]["status"] == "active"
    assert first["enrollment_status"] == "enrolled"
    assert second["enrollment"] is None and second["navigator"] is None
    assert second["enrollment_status"] == "not enrolled"


@pytest.mark.parametrize("role", [Role.ADMIN, Role.PARTNER])
def test_admins_and_partners_get_an_empty_list_and_404s(program_a, role):
    (person,) = flagged(program_a, n_people=1)
    user = member(program_a, role)
    api = client_for(user)
    response = api.get(LIST)
    assert response.status_code == 200 and response.json()["results"] == []
    flag = flag_of(person)
    assert api.get(detail(flag)).status_code == 404
    assert (
        api.post(f"{detail(flag)}dismiss/", {"reason": "x"}, format="json").status_code
        == 404
    )


def test_another_programs_staff_see_none_of_ours(program_a, navigator_b, manager_b):
    (person,) = flagged(program_a, n_people=1)
    flag = flag_of(person)
    for user in (navigator_b, manager_b):
        api = client_for(user)
        assert api.get(LIST).json()["results"] == []
        response = api.get(detail(flag))
        assert response.status_code == 404
        assert response.json() == {
            "detail": "No such flag.",
            "code": "not_found",
            "fields": {},
        }
    response = client_for(manager_b).post(
        f"{detail(flag)}dismiss/", {"reason": "x"}, format="json"
    )
    assert response.status_code == 404
    response = client_for(manager_b).post(
        f"{detail(flag)}enroll/", {"navigator": manager_b.pk}, format="json"
    )
    assert response.status_code == 404
    assert flag_of(person).status == FlagStatus.ACTIVE


def test_filters(program_a, navigator_a, manager_a):
    up = flagged(program_a, n_people=1, contacts=4, previous=1)[0]
    down = flagged(program_a, n_people=1, contacts=3, previous=5)[0]
    ff.familiar_enroll(by=manager_a, person=up, navigator=navigator_a)
    api = client_for(navigator_a)

    def people(**params) -> list[int]:
        response = api.get(LIST, params)
        assert response.status_code == 200, response.json()
        return sorted(r["person"]["id"] for r in response.json()["results"])

    assert people() == sorted([up.pk, down.pk])
    assert people(enrolled="true") == [up.pk]
    assert people(enrolled="false") == [down.pk]
    assert people(min_contacts=4) == [up.pk]
    assert people(trend="down") == [down.pk]
    assert people(program=program_a.pk) == sorted([up.pk, down.pk])
    assert people(rule=flag_of(up).rule_id) == sorted([up.pk, down.pk])


def test_bad_filters_are_400_naming_them(program_a, program_b, navigator_a):
    response = client_for(navigator_a).get(
        LIST,
        {
            "enrolled": "maybe",
            "min_contacts": "0",
            "program": program_b.pk,  # not theirs
            "trend": "sideways",
        },
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["fields"]) == {"enrolled", "min_contacts", "program", "trend"}


def test_detail_answers_for_past_flags_and_is_audited(
    program_a, navigator_a, manager_a
):
    (person,) = flagged(program_a, n_people=1)
    flag = flag_of(person)
    ff.familiar_flag_dismiss(by=manager_a, flag=flag, reason="Housed")
    response = client_for(navigator_a).get(detail(flag))
    assert response.status_code == 200
    assert response.json()["status"] == "dismissed"
    assert response.json()["reason"]["encounter_ids"] == flag.encounter_ids
    event = AuditEvent.objects.get(action=AuditAction.VIEW)
    assert (event.actor, event.person_id, event.object_type) == (
        navigator_a,
        person.pk,
        "cases.person",
    )
    assert client_for(navigator_a).get(f"{LIST}abc/").status_code == 404


# --- dismiss -----------------------------------------------------------------


def test_manager_dismisses_audited(program_a, manager_a):
    (person,) = flagged(program_a, n_people=1)
    flag = flag_of(person)
    response = client_for(manager_a).post(
        f"{detail(flag)}dismiss/", {"reason": "Moved away"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "dismissed"
    flag.refresh_from_db()
    assert (flag.status, flag.dismissed_by, flag.dismissed_reason) == (
        FlagStatus.DISMISSED,
        manager_a,
        "Moved away",
    )
    event = AuditEvent.objects.get(
        object_type="cases.familiarfaceflag", actor__isnull=False
    )
    assert (event.actor, event.reason, event.source) == (manager_a, "Moved away", "api")
    assert client_for(manager_a).get(LIST).json()["results"] == []


def test_dismiss_status_codes_and_error_shapes(program_a, manager_a, navigator_a):
    (person,) = flagged(program_a, n_people=1)
    flag = flag_of(person)
    url = f"{detail(flag)}dismiss/"
    # A navigator of the program may see the flag but not dismiss it.
    response = client_for(navigator_a).post(url, {"reason": "x"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    manager = client_for(manager_a)
    missing = manager.post(url, {}, format="json")
    assert missing.status_code == 400
    assert set(missing.json()["fields"]) == {"reason"}
    blank = manager.post(url, {"reason": "   "}, format="json")
    assert blank.status_code == 400 and "reason" in blank.json()["fields"]
    unknown = manager.post(url, {"reason": "x", "why": "y"}, format="json")
    assert unknown.status_code == 400
    assert unknown.json()["fields"] == {"why": ["Unknown field."]}
    form = manager.post(
        url, "reason=x", content_type="application/x-www-form-urlencoded"
    )
    assert form.status_code == 415
    assert manager.post(url, {"reason": "first"}, format="json").status_code == 200
    again = manager.post(url, {"reason": "second"}, format="json")
    assert again.status_code == 409
    assert again.json() == {
        "detail": "Only a flag on the list can be dismissed.",
        "code": "invalid_transition",
        "fields": {},
    }
    # One dismissal, by the manager (the raise is the system's).
    assert (
        AuditEvent.objects.filter(
            object_type="cases.familiarfaceflag", actor__isnull=False
        ).count()
        == 1
    )


# --- enroll ------------------------------------------------------------------


def test_manager_enrolls_audited(program_a, manager_a, navigator_a):
    (person,) = flagged(program_a, n_people=1)
    flag = flag_of(person)
    response = client_for(manager_a).post(
        f"{detail(flag)}enroll/",
        {"navigator": navigator_a.pk, "plan": "Weekly visits"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["enrollment_status"] == "enrolled"
    assert body["navigator"]["id"] == navigator_a.pk
    enrollment = FamiliarFaceEnrollment.objects.get()
    assert (enrollment.person, enrollment.plan, enrollment.enrolled_by) == (
        person,
        "Weekly visits",
        manager_a,
    )
    event = AuditEvent.objects.get(object_type="cases.familiarfaceenrollment")
    assert (event.actor, event.action, event.source) == (
        manager_a,
        AuditAction.CREATE,
        "api",
    )


def test_enroll_status_codes_and_error_shapes(
    program_a, manager_a, navigator_a, navigator_b
):
    (person,) = flagged(program_a, n_people=1)
    url = f"{detail(flag_of(person))}enroll/"
    response = client_for(navigator_a).post(
        url, {"navigator": navigator_a.pk}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    manager = client_for(manager_a)
    missing = manager.post(url, {"plan": "x"}, format="json")
    assert missing.status_code == 400 and set(missing.json()["fields"]) == {"navigator"}
    outsider = manager.post(url, {"navigator": navigator_b.pk}, format="json")
    assert outsider.status_code == 400
    assert outsider.json()["fields"] == {
        "navigator": ["Choose a staff member of the person's program."]
    }
    wrong_type = manager.post(url, {"navigator": "nav-a", "plan": ["x"]}, format="json")
    assert wrong_type.status_code == 400
    assert set(wrong_type.json()["fields"]) == {"navigator", "plan"}
    assert (
        manager.post(url, {"navigator": navigator_a.pk}, format="json").status_code
        == 200
    )
    again = manager.post(url, {"navigator": navigator_a.pk}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "already_enrolled"
    assert FamiliarFaceEnrollment.objects.count() == 1


def test_a_manager_here_acts_only_here(program_a, program_b, manager_a):
    Membership.objects.create(user=manager_a, program=program_b, role=Role.NAVIGATOR)
    (theirs,) = flagged(program_b, n_people=1)
    api = client_for(manager_a)
    assert api.get(detail(flag_of(theirs))).status_code == 200
    response = api.post(
        f"{detail(flag_of(theirs))}dismiss/", {"reason": "x"}, format="json"
    )
    assert response.status_code == 403


def test_only_get_and_the_actions(program_a, manager_a):
    (person,) = flagged(program_a, n_people=1)
    api = client_for(manager_a)
    assert api.post(LIST, {}, format="json").status_code == 405
    assert api.delete(detail(flag_of(person))).status_code == 405
    assert api.get(f"{detail(flag_of(person))}dismiss/").status_code == 405
    assert FamiliarFaceFlag.objects.filter(status=FlagStatus.ACTIVE).count() == 1


# --- query count -------------------------------------------------------------


@pytest.fixture
def token_api(navigator_a):
    _, key = api_token_create(user=navigator_a, name="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    client.get(LIST, {"page_size": 1})  # stamps last_used_at once
    return client


@pytest.mark.parametrize("n_people", [12, 110])
@pytest.mark.parametrize("page_size", [10, 100])
def test_list_query_count(
    token_api,
    program_a,
    manager_a,
    navigator_a,
    n_people,
    page_size,
    django_assert_max_num_queries,
):
    people = flagged(program_a, n_people=n_people)
    for person in people[::3]:
        ff.familiar_enroll(by=manager_a, person=person, navigator=navigator_a)
    with django_assert_max_num_queries(LIST_MAX_QUERIES):
        response = token_api.get(LIST, {"page_size": page_size})
    assert response.status_code == 200
    assert len(response.json()["results"]) == min(page_size, n_people)


def test_enroll_refuses_a_deactivated_account(program_a, manager_a, navigator_a):
    (person,) = flagged(program_a, n_people=1)
    navigator_a.is_active = False  # left the program; membership not yet ended
    navigator_a.save()
    response = client_for(manager_a).post(
        f"{detail(flag_of(person))}enroll/",
        {"navigator": navigator_a.pk},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"navigator"}
    assert not FamiliarFaceEnrollment.objects.exists()
