"""The admin site and signing in: an audited unlock, failed sign-ins shown
read-only, the programs' sign-in settings."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from navigator.accounts import services
from navigator.errors import PermissionDenied
from navigator.models import AuditEvent, Program, Role
from tests.factories import PASSWORD, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(program_a):
    return member(
        program_a, Role.ADMIN, username="root", is_staff=True, is_superuser=True
    )


def lock(client, username: str) -> None:
    for _ in range(10):
        client.post(reverse("login"), {"login": username, "password": "wrong"})


def test_an_admin_unlocks_a_user_from_the_admin_site(client, navigator_a, admin_user):
    lock(client, "nav-a")
    assert (
        client.post(
            reverse("login"), {"login": "nav-a", "password": PASSWORD}
        ).status_code
        == 429
    )

    admin = client.__class__()
    admin.force_login(admin_user)
    page = admin.get(reverse("admin:navigator_user_change", args=[navigator_a.pk]))
    assert "Locked: 10 failed sign-ins" in page.text
    done = admin.post(
        reverse("admin:navigator_user_changelist"),
        {"action": "clear_login_lockout", "_selected_action": [navigator_a.pk]},
    )
    assert done.status_code == 302

    event = AuditEvent.objects.get(object_type="navigator.user")
    assert event.object_id == str(navigator_a.pk)
    assert event.actor == admin_user
    assert event.changes == {"login_failures": [10, 0], "login_locked": [True, False]}
    assert event.source == "web"

    response = client.post(reverse("login"), {"login": "nav-a", "password": PASSWORD})
    assert response.status_code == 302


def test_only_an_administrator_may_unlock(navigator_a, program_a):
    manager = member(program_a, Role.PROGRAM_MANAGER, username="mgr")
    with pytest.raises(PermissionDenied):
        services.login_lockout_clear(by=manager, user=navigator_a)
    assert not AuditEvent.objects.exists()


def test_unlocking_leaves_other_accounts_alone(client, navigator_a, admin_user):
    lock(client, "nav-a")
    lock(client, "someone-else")
    assert services.login_lockout_clear(by=admin_user, user=navigator_a) == 10
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {
        "someone-else"
    }


def test_failed_sign_ins_are_read_only_in_the_admin(client, navigator_a, admin_user):
    lock(client, "nav-a")
    attempt = AccessAttempt.objects.get()
    client.force_login(admin_user)
    listing = client.get(reverse("admin:axes_accessattempt_changelist"))
    assert listing.status_code == 200
    assert "nav-a" in listing.text
    # No delete (which would unlock without an audit event), no bulk actions.
    delete = reverse("admin:axes_accessattempt_delete", args=[attempt.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert AccessAttempt.objects.exists()
    assert 'name="action"' not in listing.text
    for name in ("accessfailurelog", "accesslog"):
        assert client.get(reverse(f"admin:axes_{name}_changelist")).status_code == 200


def test_programs_sign_in_settings_in_the_admin(client, admin_user, program_a):
    client.force_login(admin_user)
    url = reverse("admin:navigator_program_change", args=[program_a.pk])
    form = {
        "name": program_a.name,
        "slug": program_a.slug,
        "jurisdictions": '["Springfield"]',
        "response_model": program_a.response_model,
        "time_zone": program_a.time_zone,
        "require_mfa": "on",
        "session_idle_minutes": "10",
        # The program's members (an inline), left as they are.
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "memberships-2-TOTAL_FORMS": "0",
        "memberships-2-INITIAL_FORMS": "0",
    }
    refused = client.post(url, form)
    assert refused.status_code == 200
    assert "greater than or equal to 15" in refused.text
    assert client.post(url, {**form, "session_idle_minutes": "15"}).status_code == 302
    program_a.refresh_from_db()
    assert (program_a.require_mfa, program_a.session_idle_minutes) == (True, 15)


def test_the_database_refuses_an_idle_timeout_over_30(program_a):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Program.objects.filter(pk=program_a.pk).update(session_idle_minutes=45)
