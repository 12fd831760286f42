"""The admin site administers (issue 8): an administrator (the admin role, no
superuser flag) creates accounts, gives and takes roles per program,
deactivates accounts, sets passwords, edits programs and revokes API tokens,
each through the real admin pages and each audited; nobody else gets in, and
no model holding health data is registered."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from navigator.accounts import services as account_services
from navigator.errors import PermissionDenied
from navigator.models import (
    ApiToken,
    AuditAction,
    AuditEvent,
    IdempotencyKey,
    Membership,
    Program,
    QueuedTask,
    Role,
    User,
)
from navigator.services import api_token_create
from tests.factories import PASSWORD, member

pytestmark = pytest.mark.django_db

# Apps whose every model is, or points at, a health record.
HEALTH_DATA_APPS = {"cases", "followups", "referrals"}
# Platform models that hold health data or answers about it: the audit log
# (old and new values of records), stored API responses, queued task args.
HEALTH_DATA_MODELS = {AuditEvent, IdempotencyKey, QueuedTask}
# The directory of partner agencies (issue 9) is configuration, not a record
# of anyone: the only models of those apps the admin site may hold.
NOT_HEALTH_DATA = {
    "referrals.Agency",
    "referrals.Service",
    "referrals.AgencyMember",
    # An agency's webhook endpoint (issue 10): an address and a secret.
    "referrals.WebhookEndpoint",
    # Partner agencies' API tokens (issue 10): names, prefixes, dates.
    "referrals.PartnerToken",
}
# Session, user, memberships, the rows, their counts and filters: fixed.
ADMIN_PAGE_MAX_QUERIES = 10


@pytest.fixture
def administrator(program_a) -> User:
    # The role alone: not a superuser, not "staff".
    return member(program_a, Role.ADMIN, username="boss")


@pytest.fixture
def admin_client(administrator) -> Client:
    client = Client()
    client.force_login(administrator)
    return client


def form_data(response: Any) -> dict[str, Any]:
    """What the browser would post back from an admin change form: the main
    form's and every inline's current values, with the management forms."""
    data: dict[str, Any] = {}

    def add(form: Any) -> None:
        for bound in form:
            value = bound.value()
            if value is None:
                continue
            if isinstance(value, bool):
                if value:
                    data[bound.html_name] = "on"
                continue
            if isinstance(value, list | tuple):
                value = [str(v) for v in value]
                data[bound.html_name] = value
                continue
            data[bound.html_name] = str(value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        for form in formset.forms:
            add(form)
    return data


def events(**filters: Any) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(**filters).order_by("id"))


# --- who gets in -------------------------------------------------------------


def test_the_admin_role_opens_the_admin_site_and_nothing_else_does(
    client, admin_client, program_a, navigator_a, manager_a
):
    index = admin_client.get(reverse("admin:index"))
    assert index.status_code == 200
    for link in ("navigator/user/", "navigator/program/", "navigator/apitoken/"):
        assert f'href="/admin/{link}"' in index.text
    assert "Groups" not in index.text

    for outsider in (navigator_a, manager_a):
        client.force_login(outsider)
        for url in (
            reverse("admin:index"),
            reverse("admin:navigator_user_changelist"),
            reverse("admin:navigator_user_change", args=[navigator_a.pk]),
        ):
            response = client.get(url, follow=True)
            assert response.status_code == 403, (outsider, url)
    # Django's staff flag is not a role.
    staff = member(program_a, Role.NAVIGATOR, is_staff=True)
    client.force_login(staff)
    assert client.get(reverse("admin:index"), follow=True).status_code == 403


def test_a_deactivated_role_closes_the_admin_site(client, administrator):
    Membership.objects.filter(user=administrator).update(is_active=False)
    client.force_login(administrator)
    assert client.get(reverse("admin:index"), follow=True).status_code == 403


def test_no_model_holding_health_data_is_registered():
    registered = set(admin.site._registry)
    health = {
        model
        for model in apps.get_models()
        if (model._meta.app_label in HEALTH_DATA_APPS or model in HEALTH_DATA_MODELS)
        and model._meta.label not in NOT_HEALTH_DATA
    }
    assert health, "the deny list names no model"
    assert not registered & health
    # Anything new on the admin site is a decision: add it here with care.
    assert {m._meta.label for m in registered} == {
        "navigator.User",
        "navigator.Program",
        "navigator.ApiToken",
        "axes.AccessAttempt",
        "axes.AccessFailureLog",
        "axes.AccessLog",
        # The directory (issue 9): partner agencies and their services, and
        # who acts for an agency (read only). No health record.
        "referrals.Agency",
        "referrals.AgencyMember",
        # Outbound webhooks (issue 10): an agency's endpoint; its events are
        # on the managers' page (/referrals/webhooks/), not here.
        "referrals.WebhookEndpoint",
        # Partner tokens (issue 10): listed and revoked (through the service).
        "referrals.PartnerToken",
    }


def test_nothing_can_be_deleted_from_the_admin_site(admin_client, navigator_a):
    page = admin_client.get(
        reverse("admin:navigator_user_change", args=[navigator_a.pk])
    )
    assert "Delete" not in page.text
    assert (
        admin_client.get(
            reverse("admin:navigator_user_delete", args=[navigator_a.pk])
        ).status_code
        == 403
    )


# --- accounts ----------------------------------------------------------------


def test_an_administrator_creates_an_account_audited_without_the_password(
    admin_client, administrator, program_a
):
    response = admin_client.post(
        reverse("admin:navigator_user_add"),
        {
            "username": "newbie",
            "first_name": "Nia",
            "last_name": "Okafor",
            "email": "nia@example.org",
            "usable_password": "true",
            "password1": "a-long-new-passphrase",
            "password2": "a-long-new-passphrase",
            # With a role at once.
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "0",
            "memberships-0-program": str(program_a.pk),
            "memberships-0-role": Role.CASEWORKER,
            "memberships-0-is_active": "on",
        },
    )
    assert response.status_code == 302, response.context["errors"]
    user = User.objects.get(username="newbie")
    assert user.check_password("a-long-new-passphrase")
    assert not user.is_staff and not user.is_superuser
    assert [(m.program, m.role) for m in user.memberships.all()] == [
        (program_a, Role.CASEWORKER)
    ]
    (role,) = events(object_type="navigator.membership")
    assert role.changes["role"] == [None, Role.CASEWORKER]

    created, password = events(object_type="navigator.user", object_id=str(user.pk))
    assert created.action == AuditAction.CREATE
    assert created.actor == administrator
    assert created.source == "web"
    assert created.changes["username"] == [None, "newbie"]
    assert created.changes["email"] == [None, "nia@example.org"]
    assert password.changes == {"password": [None, "(set)"]}
    for event in (created, password):
        assert user.password not in str(event.changes)
        assert "passphrase" not in str(event.changes)


def test_an_administrator_sets_a_password_audited(admin_client, navigator_a):
    url = reverse("admin:auth_user_password_change", args=[navigator_a.pk])
    response = admin_client.post(
        url,
        {
            "password1": "another-long-phrase",
            "password2": "another-long-phrase",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302
    navigator_a.refresh_from_db()
    assert navigator_a.check_password("another-long-phrase")
    (event,) = events(object_type="navigator.user")
    assert event.changes == {"password": ["(set)", "(changed)"]}


def test_an_administrator_gives_a_role_on_the_account_page(
    admin_client, administrator, program_b
):
    user = member(program_b, Role.NAVIGATOR, username="mover")
    url = reverse("admin:navigator_user_change", args=[user.pk])
    data = form_data(admin_client.get(url))
    # One more role: program manager of program b.
    data.update(
        {
            "memberships-TOTAL_FORMS": "2",
            "memberships-1-program": str(program_b.pk),
            "memberships-1-role": Role.PROGRAM_MANAGER,
            "memberships-1-is_active": "on",
            "memberships-1-user": str(user.pk),
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["inline_admin_formsets"][
        0
    ].formset.errors
    added = Membership.objects.get(user=user, role=Role.PROGRAM_MANAGER)
    (event,) = events(object_type="navigator.membership")
    assert event.action == AuditAction.CREATE
    assert event.object_id == str(added.pk)
    assert event.program_id == program_b.pk
    assert event.changes == {
        "user_id": [None, user.pk],
        "program_id": [None, program_b.pk],
        "role": [None, Role.PROGRAM_MANAGER],
        "is_active": [None, True],
    }
    # Nothing else changed, so nothing else was recorded.
    assert not events(object_type="navigator.user")


def test_an_administrator_takes_a_role_away_on_the_program_page(
    admin_client, program_a, navigator_a
):
    url = reverse("admin:navigator_program_change", args=[program_a.pk])
    page = admin_client.get(url)
    data = form_data(page)
    index = next(
        i
        for i, form in enumerate(page.context["inline_admin_formsets"][0].formset.forms)
        if form.instance.user_id == navigator_a.pk
    )
    del data[f"memberships-{index}-is_active"]
    response = admin_client.post(url, data)
    assert response.status_code == 302
    membership = Membership.objects.get(user=navigator_a)
    assert not membership.is_active
    (event,) = events(object_type="navigator.membership")
    assert event.changes == {"is_active": [True, False]}
    assert event.program_id == program_a.pk
    # Kept, so the audit log can name it; the program itself did not change.
    assert not events(object_type="navigator.program")


def test_an_administrator_deactivates_accounts(
    admin_client, administrator, navigator_a, client
):
    response = admin_client.post(
        reverse("admin:navigator_user_changelist"),
        {
            "action": "deactivate_users",
            "_selected_action": [navigator_a.pk, administrator.pk],
        },
        follow=True,
    )
    text = response.text
    assert "deactivated." in text
    assert "You cannot deactivate your own account." in text
    navigator_a.refresh_from_db()
    administrator.refresh_from_db()
    assert not navigator_a.is_active and administrator.is_active
    (event,) = events(object_type="navigator.user")
    assert event.object_id == str(navigator_a.pk)
    assert event.changes == {"is_active": [True, False]}
    assert event.reason == "Account deactivated by an administrator"
    # The account can no longer sign in.
    login = client.post(
        reverse("login"), {"login": navigator_a.username, "password": PASSWORD}
    )
    assert not login.wsgi_request.user.is_authenticated


def test_a_refused_change_is_a_message_not_an_error_page(admin_client, administrator):
    url = reverse("admin:navigator_user_change", args=[administrator.pk])
    data = form_data(admin_client.get(url))
    del data["is_active"]
    response = admin_client.post(url, data, follow=True)
    assert response.status_code == 200
    assert "You cannot deactivate your own account." in response.text
    administrator.refresh_from_db()
    assert administrator.is_active
    assert not events()


def test_only_a_superuser_changes_a_superuser(admin_client, django_user_model):
    root = django_user_model.objects.create_superuser(
        username="root", password="x" * 16
    )
    response = admin_client.post(
        reverse("admin:auth_user_password_change", args=[root.pk]),
        {"password1": "taken-over-now", "password2": "taken-over-now"},
    )
    assert response.status_code == 403
    root.refresh_from_db()
    assert not root.check_password("taken-over-now")


def test_the_services_refuse_an_administrator_a_superusers_account(
    administrator, django_user_model
):
    # The same rule at every door: a direct service call (a command, a
    # script) meets it as the admin page does.
    root = django_user_model.objects.create_superuser(
        username="root", password="x" * 16
    )
    root.first_name = "Taken"
    with pytest.raises(PermissionDenied, match="superuser"):
        account_services.user_update(by=administrator, user=root)
    with pytest.raises(PermissionDenied):
        account_services.user_deactivate(by=administrator, user=root)
    root.refresh_from_db()
    assert root.is_active and root.first_name == ""


def test_an_administrator_unlocks_and_resets_mfa_with_the_role_alone(
    admin_client, client, navigator_a
):
    for _ in range(10):
        client.post(reverse("login"), {"login": navigator_a.username, "password": "no"})
    changelist = reverse("admin:navigator_user_changelist")
    admin_client.post(
        changelist,
        {"action": "clear_login_lockout", "_selected_action": [navigator_a.pk]},
    )
    admin_client.post(
        changelist,
        {
            "action": "reset_mfa",
            "_selected_action": [navigator_a.pk],
            "apply": "1",
            "reason": "phone lost, ticket 12",
        },
    )
    unlock, reset = events(object_type="navigator.user")
    assert unlock.changes["login_locked"] == [True, False]
    assert reset.reason == "phone lost, ticket 12"
    login = client.post(
        reverse("login"), {"login": navigator_a.username, "password": PASSWORD}
    )
    assert login.status_code == 302


# --- programs ----------------------------------------------------------------


def test_an_administrator_adds_a_member_on_the_program_page(
    admin_client, program_a, program_b
):
    user = member(program_b, Role.NAVIGATOR, username="newcomer")
    url = reverse("admin:navigator_program_change", args=[program_a.pk])
    data = form_data(admin_client.get(url))
    data.update(
        {
            "memberships-2-TOTAL_FORMS": "1",
            "memberships-2-0-user": str(user.pk),
            "memberships-2-0-role": Role.NAVIGATOR,
            "memberships-2-0-is_active": "on",
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["errors"]
    assert Membership.objects.filter(user=user, program=program_a).exists()
    (event,) = events(object_type="navigator.membership")
    assert event.action == AuditAction.CREATE
    assert event.program_id == program_a.pk


def test_an_administrator_edits_a_programs_settings(admin_client, program_a):
    url = reverse("admin:navigator_program_change", args=[program_a.pk])
    old_zone = program_a.time_zone
    data = form_data(admin_client.get(url))
    data.update(
        {
            "require_mfa": "on",
            "session_idle_minutes": "15",
            "time_zone": "America/Denver",
        }
    )
    assert admin_client.post(url, data).status_code == 302
    program_a.refresh_from_db()
    assert program_a.require_mfa and program_a.session_idle_minutes == 15
    (event,) = events(object_type="navigator.program")
    assert event.program_id == program_a.pk
    assert event.changes == {
        "require_mfa": [False, True],
        "session_idle_minutes": [30, 15],
        "time_zone": [old_zone, "America/Denver"],
    }


def test_bad_program_settings_name_the_field(admin_client, program_a):
    url = reverse("admin:navigator_program_change", args=[program_a.pk])
    data = form_data(admin_client.get(url))
    data.update({"session_idle_minutes": "5", "time_zone": "Mars/Olympus"})
    response = admin_client.post(url, data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"session_idle_minutes", "time_zone"}
    assert not events()


def test_an_administrator_creates_a_program(admin_client, administrator):
    response = admin_client.post(
        reverse("admin:navigator_program_add"),
        {
            "name": "Harbor County",
            "slug": "harbor",
            "jurisdictions": '["Harbor City"]',
            "response_model": "on_call",
            "time_zone": "America/Chicago",
            "session_idle_minutes": "30",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
            "memberships-2-TOTAL_FORMS": "0",
            "memberships-2-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    program = Program.objects.get(slug="harbor")
    (event,) = events(object_type="navigator.program")
    assert event.action == AuditAction.CREATE
    assert event.object_id == str(program.pk)
    assert event.changes["time_zone"] == [None, "America/Chicago"]


# --- API tokens --------------------------------------------------------------


def test_an_administrator_revokes_api_tokens(admin_client, administrator, navigator_a):
    token, key = api_token_create(user=navigator_a, name="field phone")
    listing = admin_client.get(reverse("admin:navigator_apitoken_changelist"))
    assert "field phone" in listing.text
    assert token.key_hash not in listing.text
    admin_client.post(
        reverse("admin:navigator_apitoken_changelist"),
        {"action": "revoke_api_tokens", "_selected_action": [token.pk]},
    )
    token.refresh_from_db()
    assert token.revoked_at is not None
    (event,) = events(object_type="navigator.apitoken", action="delete")
    assert event.actor == administrator
    assert event.object_id == str(token.pk)
    assert list(event.changes) == ["revoked_at"]
    api = Client(headers={"Authorization": f"Bearer {key}"})
    assert api.get("/api/v1/people/").status_code == 401
    # Tokens are not added here: the key must be shown once, to its owner.
    assert admin_client.get(reverse("admin:navigator_apitoken_add")).status_code == 403
    assert ApiToken.objects.count() == 1


# --- query counts ------------------------------------------------------------


@pytest.mark.parametrize("rows", [3, 30])
def test_admin_lists_query_counts_are_flat(
    admin_client, program_a, django_assert_max_num_queries, rows
):
    for _ in range(rows):
        api_token_create(user=member(program_a, Role.NAVIGATOR), name="phone")
    for url in (
        reverse("admin:navigator_user_changelist"),
        reverse("admin:navigator_apitoken_changelist"),
        reverse("admin:navigator_program_changelist"),
        # Every member on the program's page (one row each).
        reverse("admin:navigator_program_change", args=[program_a.pk]),
    ):
        with django_assert_max_num_queries(ADMIN_PAGE_MAX_QUERIES):
            response = admin_client.get(url)
        assert response.status_code == 200, url
