"""A manager's actions on the familiar-faces list: dismiss, enroll, end an
enrollment (the page side; the rules are in test_familiar_faces_*.py)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.familiar import services as ff
from cases.models import (
    EnrollmentStatus,
    FamiliarFaceEnrollment,
    FlagStatus,
)
from navigator.models import AuditAction, AuditEvent
from tests.cases.familiar_world import (
    LIST_URL,
    flag_of,
    flagged,
)
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


# --- manager actions ---------------------------------------------------------


def test_manager_dismisses_with_a_reason_audited(client, program_a, manager_a):
    (person,) = flagged(program_a, n_people=1)
    flag = flag_of(person)
    client.force_login(manager_a)
    back = f"{LIST_URL}?trend=up"
    response = client.post(
        reverse("familiar:dismiss", args=[flag.pk]),
        {"reason": "Moved out of the county.", "next": back},
    )
    assert response.status_code == 302 and response.url == back
    flag.refresh_from_db()
    assert flag.status == FlagStatus.DISMISSED
    assert (flag.dismissed_by, flag.dismissed_reason) == (
        manager_a,
        "Moved out of the county.",
    )
    event = AuditEvent.objects.get(
        object_type="cases.familiarfaceflag", actor__isnull=False
    )
    assert (event.actor, event.action, event.person_id, event.reason) == (
        manager_a,
        AuditAction.UPDATE,
        person.pk,
        "Moved out of the county.",
    )
    assert event.source == "web"
    page = client.get(LIST_URL)
    assert "off the list until they have new contacts" in page.text
    assert page.context["rows"] == []


def test_dismiss_needs_a_reason(client, program_a, manager_a):
    (person,) = flagged(program_a, n_people=1)
    flag = flag_of(person)
    client.force_login(manager_a)
    url = reverse("familiar:dismiss", args=[flag.pk])
    page = client.get(url)
    assert page.status_code == 200 and "until they have new contacts" in page.text
    response = client.post(url, {"reason": "  "})
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    assert flag_of(person).status == FlagStatus.ACTIVE
    assert not AuditEvent.objects.filter(
        object_type="cases.familiarfaceflag", actor__isnull=False
    ).exists()


def test_dismissing_twice_says_why_and_changes_nothing(client, program_a, manager_a):
    (person,) = flagged(program_a, n_people=1)
    flag = flag_of(person)
    ff.familiar_flag_dismiss(by=manager_a, flag=flag, reason="first")
    client.force_login(manager_a)
    url = reverse("familiar:dismiss", args=[flag.pk])
    assert "no longer on the list" in client.get(url).text
    response = client.post(url, {"reason": "second"})
    assert response.status_code == 200
    assert "Only a flag on the list can be dismissed." in response.text
    flag.refresh_from_db()
    assert flag.dismissed_reason == "first"


def test_navigator_cannot_dismiss_or_enroll(client, program_a, navigator_a):
    (person,) = flagged(program_a, n_people=1)
    flag = flag_of(person)
    client.force_login(navigator_a)
    # Their program's flag: not missing, refused for the role, and said why.
    dismiss = client.post(reverse("familiar:dismiss", args=[flag.pk]), {"reason": "x"})
    assert dismiss.status_code == 403
    assert "managers can take a person off the list." in (dismiss.text)
    enroll = client.post(
        reverse("familiar:enroll", args=[flag.pk]), {"navigator": navigator_a.pk}
    )
    assert enroll.status_code == 403
    assert "managers can enroll" in enroll.text
    assert flag_of(person).status == FlagStatus.ACTIVE
    assert not FamiliarFaceEnrollment.objects.exists()
    assert not AuditEvent.objects.filter(actor=navigator_a).exists()


def test_manager_enrolls_with_navigator_and_plan_audited(
    client, program_a, manager_a, navigator_a
):
    (person,) = flagged(program_a, n_people=1)
    flag = flag_of(person)
    client.force_login(manager_a)
    url = reverse("familiar:enroll", args=[flag.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"navigator": navigator_a.pk, "plan": "Weekly check-in at the shelter."}
    )
    assert response.status_code == 302 and response.url == LIST_URL
    enrollment = FamiliarFaceEnrollment.objects.get()
    assert (enrollment.person, enrollment.navigator, enrollment.enrolled_by) == (
        person,
        navigator_a,
        manager_a,
    )
    assert enrollment.plan == "Weekly check-in at the shelter."
    event = AuditEvent.objects.get(object_type="cases.familiarfaceenrollment")
    assert (event.actor, event.action, event.person_id) == (
        manager_a,
        AuditAction.CREATE,
        person.pk,
    )
    row = client.get(LIST_URL).context["rows"][0]
    assert row["enrollment_status"] == "enrolled" and row["navigator"] == navigator_a


def test_enroll_refuses_staff_of_another_program_and_a_second_enrollment(
    client, program_a, manager_a, navigator_a, navigator_b
):
    (person,) = flagged(program_a, n_people=1)
    url = reverse("familiar:enroll", args=[flag_of(person).pk])
    client.force_login(manager_a)
    response = client.post(url, {"navigator": navigator_b.pk})
    assert response.status_code == 200
    assert "navigator" in response.context["form"].errors
    assert client.post(url, {"navigator": navigator_a.pk}).status_code == 302
    again = client.post(url, {"navigator": navigator_a.pk})
    assert again.status_code == 200
    assert "already enrolled" in again.text
    assert FamiliarFaceEnrollment.objects.count() == 1


def test_next_must_stay_on_this_site(client, program_a, manager_a):
    (person,) = flagged(program_a, n_people=1)
    client.force_login(manager_a)
    response = client.post(
        reverse("familiar:dismiss", args=[flag_of(person).pk]),
        {"reason": "r", "next": "https://evil.example/phish"},
    )
    assert response.url == LIST_URL


def test_manager_ends_an_enrollment_with_a_reason(
    client, program_a, manager_a, navigator_a
):
    person = PersonFactory(program=program_a)
    enrollment = ff.familiar_enroll(by=manager_a, person=person, navigator=navigator_a)
    url = reverse("familiar:enrollment-end", args=[enrollment.pk])
    client.force_login(navigator_a)
    refused = client.post(url, {"reason": "x"})
    assert refused.status_code == 403
    assert "managers can end an enrollment." in refused.text
    client.force_login(manager_a)
    assert "reason" in client.post(url, {"reason": ""}).context["form"].errors
    response = client.post(url, {"reason": "Stable for 3 months"})
    assert response.status_code == 302
    assert (
        response.url == reverse("person-detail", args=[person.pk]) + "#familiar-faces"
    )
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ENDED
    assert enrollment.ended_reason == "Stable for 3 months"
    event = AuditEvent.objects.filter(
        object_type="cases.familiarfaceenrollment"
    ).latest("id")
    assert (event.action, event.reason) == (AuditAction.UPDATE, "Stable for 3 months")
    assert "This enrollment ended on" in client.get(url).text
