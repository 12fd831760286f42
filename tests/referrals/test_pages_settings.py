"""The program's referral settings page: managers only, a read never
writes, saves are audited, bad values stay on their field."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from navigator.errors import DomainError, PermissionDenied
from navigator.models import AuditAction, AuditEvent, Membership, Role
from referrals.models import ReferralSettings
from referrals.services import (
    ReferralData,
    ReferralSettingsData,
    referral_create,
    referral_settings_save,
)
from tests.factories import PersonFactory, ProgramFactory, member
from tests.referrals.factories import partner_of

pytestmark = pytest.mark.django_db

URL = "referral-settings"
POST = {
    "respond_days_routine": "5",
    "respond_days_urgent": "2",
    "respond_days_emergency": "0",
    "escalate_after_days": "3",
    "expire_after_days": "45",
    "followup_after_accept_days": "4",
}
# Session, user, memberships, the managed programs, the settings row, the
# session save with its savepoints; the navbar asks nothing more.
PAGE_MAX_QUERIES = 8


def test_a_manager_sees_the_defaults_and_nothing_is_written(
    client, manager_a, program_a, django_assert_max_num_queries
):
    client.force_login(manager_a)
    with django_assert_max_num_queries(PAGE_MAX_QUERIES):
        page = client.get(reverse(URL))
    assert page.status_code == 200
    assert 'name="expire_after_days" value="30"' in page.text
    assert "nothing is saved for this program yet" in page.text
    assert not ReferralSettings.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_manager_saves_audited(client, manager_a, program_a):
    client.force_login(manager_a)
    response = client.post(reverse(URL), POST)
    assert response.status_code == 302
    assert response.url == f"{reverse(URL)}?program={program_a.pk}"
    config = ReferralSettings.objects.get(program=program_a)
    assert (config.respond_days_routine, config.expire_after_days) == (5, 45)
    event = AuditEvent.objects.get(object_type="referrals.referralsettings")
    assert (event.action, event.actor, event.program_id) == (
        AuditAction.CREATE,
        manager_a,
        program_a.pk,
    )
    assert event.changes["escalate_after_days"] == [None, 3]
    # Saved again unchanged: no write, no event; changed: an update of it.
    client.post(reverse(URL), POST)
    client.post(reverse(URL), {**POST, "escalate_after_days": "4"})
    update = AuditEvent.objects.filter(object_type="referrals.referralsettings")
    assert [(e.action, e.changes) for e in update.order_by("id")][1:] == [
        (AuditAction.UPDATE, {"escalate_after_days": [3, 4]})
    ]
    page = client.get(reverse(URL))
    assert 'name="escalate_after_days" value="4"' in page.text
    assert "nothing is saved" not in page.text


def test_staff_who_do_not_manage_are_refused(client, navigator_a, program_a):
    caseworker = member(program_a, Role.CASEWORKER)
    for user in (navigator_a, caseworker):
        client.force_login(user)
        assert client.get(reverse(URL)).status_code == 403
        assert client.post(reverse(URL), POST).status_code == 403
    assert not ReferralSettings.objects.exists()
    with pytest.raises(PermissionDenied):
        referral_settings_save(
            by=navigator_a,
            program=program_a,
            data=ReferralSettingsData(**{k: int(v) for k, v in POST.items()}),
        )


def test_another_programs_settings_are_404(client, manager_a, program_b):
    client.force_login(manager_a)
    assert client.get(reverse(URL), {"program": program_b.pk}).status_code == 404
    response = client.post(f"{reverse(URL)}?program={program_b.pk}", POST)
    assert response.status_code == 404
    assert client.get(reverse(URL), {"program": "x"}).status_code == 404
    assert not ReferralSettings.objects.exists()


def test_a_manager_of_two_programs_picks_one(client, manager_a, program_a):
    second = ProgramFactory(name="Program Z", slug="program-z")
    Membership.objects.create(user=manager_a, program=second, role=Role.PROGRAM_MANAGER)
    client.force_login(manager_a)
    response = client.post(f"{reverse(URL)}?program={second.pk}", POST)
    assert response.status_code == 302
    assert list(ReferralSettings.objects.values_list("program", flat=True)) == [
        second.pk
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("escalate_after_days", "0"),
        ("expire_after_days", "366"),
        ("respond_days_urgent", "-1"),
        ("followup_after_accept_days", "lots"),
        # Expiring before the managers are told would skip them.
        ("expire_after_days", "8"),
    ],
)
def test_bad_values_stay_on_their_field(client, manager_a, program_a, field, value):
    client.force_login(manager_a)
    response = client.post(reverse(URL), {**POST, field: value})
    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    assert 'name="respond_days_routine" value="5"' in response.text  # kept
    assert not ReferralSettings.objects.exists()


def test_the_service_names_the_field_too(manager_a, program_a):
    data = {k: int(v) for k, v in POST.items()}
    with pytest.raises(DomainError) as refused:
        referral_settings_save(
            by=manager_a,
            program=program_a,
            data=ReferralSettingsData(**{**data, "escalate_after_days": 0}),
        )
    assert list(refused.value.fields) == ["escalate_after_days"]


def test_linked_from_the_managers_menu_and_the_reminder_settings(
    client, manager_a, navigator_a, program_a
):
    client.force_login(manager_a)
    assert reverse(URL) in client.get(reverse("today")).text
    assert reverse(URL) in client.get(reverse("followup-settings")).text
    client.force_login(navigator_a)
    assert reverse(URL) not in client.get(reverse("today")).text


def test_saved_respond_days_date_the_next_referral(manager_a, navigator_a, program_a):
    data = {k: int(v) for k, v in POST.items()}
    referral_settings_save(
        by=manager_a,
        program=program_a,
        data=ReferralSettingsData(**{**data, "respond_days_urgent": 2}),
    )
    person = PersonFactory(program=program_a)
    referral = referral_create(
        by=navigator_a,
        data=ReferralData(
            person=person,
            agency=partner_of(program_a),
            reason="Crisis bed",
            urgency="urgent",
        ),
    )
    today = timezone.localtime(timezone.now(), program_a.tz).date()
    assert referral.respond_by == today + datetime.timedelta(days=2)
