"""The familiar-faces rules pages: the overview, a new rule, edit, on / off."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.familiar import services as ff
from cases.models import (
    FamiliarFaceFlag,
    FamiliarFacesRule,
    FlagStatus,
)
from navigator.models import AuditAction, AuditEvent, Membership, Role
from tests.cases.familiar_world import (
    RULES_URL,
    flag_of,
    flagged,
)

pytestmark = pytest.mark.django_db


# --- rules -------------------------------------------------------------------


def test_rules_page_writes_nothing_and_the_evaluation_adds_the_default(
    client, program_a, navigator_a
):
    client.force_login(navigator_a)
    before = AuditEvent.objects.count()
    response = client.get(RULES_URL)
    assert response.status_code == 200
    # A read does not write: the page says what will happen instead.
    assert not FamiliarFacesRule.objects.filter(program=program_a).exists()
    assert "no rule yet" in response.text
    assert "“4 contacts in 90 days”" in response.text
    assert not AuditEvent.objects.filter(
        pk__gt=before, action=AuditAction.CREATE
    ).exists()
    ff.familiar_faces_evaluate_program(program=program_a)
    response = client.get(RULES_URL)
    (rule,) = FamiliarFacesRule.objects.filter(program=program_a)
    assert (rule.min_encounters, rule.window_days) == (4, 90)
    assert "4+ encounters in 90 days" in response.text
    assert "no rule yet" not in response.text
    # Read-only for navigators.
    assert reverse("familiar:rule-edit", args=[rule.pk]) not in response.text
    assert reverse("familiar:rule-create") not in response.text


def test_manager_creates_a_rule_with_filters_audited(client, program_a, manager_a):
    client.force_login(manager_a)
    url = reverse("familiar:rule-create")
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "name": "911 callers",
            "min_encounters": "3",
            "window_days": "30",
            "sources": ["911_call"],
            "concerns": ["mental_health", "substance_use"],
            "is_active": "on",
        },
    )
    assert response.status_code == 302 and response.url == RULES_URL
    rule = FamiliarFacesRule.objects.get(name="911 callers")
    assert (rule.program, rule.min_encounters, rule.window_days) == (program_a, 3, 30)
    assert rule.sources == ["911_call"]
    assert rule.concerns == ["mental_health", "substance_use"]
    assert rule.dispositions == [] and rule.is_active
    event = AuditEvent.objects.get(object_type="cases.familiarfacesrule")
    assert (event.actor, event.action) == (manager_a, AuditAction.CREATE)
    page = client.get(RULES_URL).text
    assert "sources: 911 call" in page
    assert "concerns: Mental health, Substance use" in page


def test_rule_form_names_bad_values(client, program_a, manager_a):
    client.force_login(manager_a)
    response = client.post(
        reverse("familiar:rule-create"),
        {"min_encounters": "1", "window_days": "5000", "sources": ["fax"]},
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {
        "min_encounters",
        "window_days",
        "sources",
    }
    assert not FamiliarFacesRule.objects.exists()


def test_manager_of_two_programs_chooses_the_program(
    client, program_a, program_b, manager_a
):
    Membership.objects.create(
        user=manager_a, program=program_b, role=Role.PROGRAM_MANAGER
    )
    client.force_login(manager_a)
    url = reverse("familiar:rule-create")
    missing = client.post(url, {"min_encounters": "3", "window_days": "30"})
    assert "program" in missing.context["form"].errors
    client.post(
        url, {"program": program_b.pk, "min_encounters": "3", "window_days": "30"}
    )
    rule = FamiliarFacesRule.objects.get()
    assert rule.program == program_b
    assert rule.name == "3+ encounters in 30 days"


def test_manager_edits_and_turns_off_a_rule(client, program_a, manager_a):
    (person,) = flagged(program_a, n_people=1)
    rule = flag_of(person).rule
    client.force_login(manager_a)
    edit = reverse("familiar:rule-edit", args=[rule.pk])
    form = client.get(edit)
    assert form.status_code == 200 and 'value="3 in 30 days"' in form.text
    response = client.post(
        edit,
        {
            "name": "3 in 30 days",
            "min_encounters": "3",
            "window_days": "45",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.window_days == 45
    off = client.post(
        reverse("familiar:rule-active", args=[rule.pk]), {"is_active": "false"}
    )
    assert off.status_code == 302 and off.url == RULES_URL
    rule.refresh_from_db()
    assert not rule.is_active
    flag = FamiliarFaceFlag.objects.get(person=person)
    assert flag.status == FlagStatus.CLEARED
    assert flag.cleared_reason == "the rule was turned off"
    assert AuditEvent.objects.filter(object_type="cases.familiarfacesrule").count() == 2
    assert (
        client.get(reverse("familiar:rule-active", args=[rule.pk])).status_code == 405
    )
    on = client.post(
        reverse("familiar:rule-active", args=[rule.pk]), {"is_active": "true"}
    )
    assert on.status_code == 302
    rule.refresh_from_db()
    assert rule.is_active


@pytest.mark.parametrize(("role", "status"), [("manager_b", 404), ("navigator_a", 403)])
def test_rules_of_other_programs_are_404_and_navigators_cannot_edit(
    client, request, program_a, role, status
):
    rule = FamiliarFacesRule.objects.create(program=program_a, name="r")
    client.force_login(request.getfixturevalue(role))
    edit = client.get(reverse("familiar:rule-edit", args=[rule.pk]))
    assert edit.status_code == status
    off = client.post(
        reverse("familiar:rule-active", args=[rule.pk]), {"is_active": "false"}
    )
    assert off.status_code == status
    if status == 403:
        assert "managers can change" in off.text
    rule.refresh_from_db()
    assert rule.is_active
