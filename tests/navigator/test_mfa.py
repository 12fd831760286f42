"""Second factors: sign-in with a TOTP or recovery code, wrong codes count as
failed sign-ins, a program or the deployment requires MFA, the user's own
changes and an administrator's reset are audited."""

from __future__ import annotations

import pyotp
import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from allauth.usersessions.models import UserSession
from django.urls import reverse

from navigator.accounts import services
from navigator.errors import DomainError, PermissionDenied
from navigator.models import AuditEvent, Program, Role
from navigator.services import api_token_create
from tests.factories import PASSWORD, member

pytestmark = pytest.mark.django_db


def enroll(user) -> tuple[pyotp.TOTP, RecoveryCodes]:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return pyotp.TOTP(secret), RecoveryCodes.activate(user)


def sign_in(client, username: str, password: str = PASSWORD):
    return client.post(reverse("login"), {"login": username, "password": password})


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def admin_user(program_a):
    return member(
        program_a, Role.ADMIN, username="root", is_staff=True, is_superuser=True
    )


def user_events(user):
    return AuditEvent.objects.filter(
        object_type="navigator.user", object_id=str(user.pk)
    ).order_by("id")


# --- Signing in ---------------------------------------------------------------


def test_the_password_alone_does_not_sign_in_an_enrolled_user(client, navigator_a):
    totp, _ = enroll(navigator_a)
    response = sign_in(client, "nav-a")
    assert response.status_code == 302
    assert response.url == reverse("mfa_authenticate")
    assert not signed_in(client)
    assert client.get(reverse("today")).status_code == 302

    done = client.post(reverse("mfa_authenticate"), {"code": totp.now()})
    assert done.status_code == 302
    assert signed_in(client)
    assert client.get(reverse("today")).status_code == 200


def test_a_recovery_code_signs_in_once(client, navigator_a):
    _, codes = enroll(navigator_a)
    code = codes.get_unused_codes()[0]
    sign_in(client, "nav-a")
    assert client.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
    assert signed_in(client)
    client.logout()
    sign_in(client, "nav-a")
    again = client.post(reverse("mfa_authenticate"), {"code": code})
    assert again.status_code == 200
    assert "Incorrect code" in again.text
    assert not signed_in(client)


def test_wrong_codes_count_as_failed_sign_ins(client, navigator_a):
    totp, _ = enroll(navigator_a)
    sign_in(client, "nav-a")
    answers = [
        client.post(reverse("mfa_authenticate"), {"code": "000000"}) for _ in range(10)
    ]
    assert [a.status_code for a in answers[:-1]] == [200] * 9
    assert answers[-1].status_code == 429
    assert "Too many failed sign-ins" in answers[-1].text
    # The half-done sign-in is abandoned; password and code are both refused.
    assert sign_in(client, "nav-a").status_code == 429
    assert not signed_in(client)


def test_a_locked_account_is_refused_at_the_code_step(client, navigator_a):
    totp, _ = enroll(navigator_a)
    sign_in(client, "nav-a")
    # Meanwhile someone else fails with the password, elsewhere.
    other = client.__class__()
    for _ in range(10):
        other.post(
            reverse("login"),
            {"login": "nav-a", "password": "wrong"},
            REMOTE_ADDR="203.0.113.5",
        )
    response = client.post(reverse("mfa_authenticate"), {"code": totp.now()})
    assert response.status_code == 429
    assert not signed_in(client)


# --- Required by a program or by the deployment -----------------------------


def test_a_program_that_requires_mfa_sends_its_staff_to_enroll(client, navigator_a):
    Program.objects.update(require_mfa=True)
    client.force_login(navigator_a)
    page = client.get(reverse("today"))
    assert page.status_code == 302
    assert page.url == reverse("mfa_activate_totp")
    # The API, signed in by the same session, says why.
    api = client.get("/api/v1/people/")
    assert api.status_code == 403
    assert api.json()["code"] == "mfa_enrollment_required"
    # Enrollment, the account page and signing out stay open.
    assert client.get(reverse("account")).status_code == 200
    assert client.get(reverse("mfa_index")).status_code == 200

    enroll(navigator_a)
    assert client.get(reverse("today")).status_code == 200
    assert client.get("/api/v1/people/").status_code == 200


def test_bearer_tokens_are_not_affected(client, navigator_a):
    Program.objects.update(require_mfa=True)
    _, key = api_token_create(user=navigator_a, name="script")
    response = client.get("/api/v1/people/", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200


def test_a_program_requirement_is_for_staff_roles_only(client, program_a):
    program_a.require_mfa = True
    program_a.save()
    partner = member(program_a, Role.PARTNER, username="partner-a")
    client.force_login(partner)
    assert client.get(reverse("today")).status_code == 200


def test_the_deployment_can_require_mfa_for_everyone(
    client, admin_user, navigator_a, settings
):
    settings.NAVIGATOR_REQUIRE_MFA = True
    client.force_login(admin_user)
    assert client.get("/admin/").url == reverse("mfa_activate_totp")
    client.force_login(navigator_a)
    assert client.get(reverse("today")).url == reverse("mfa_activate_totp")


def test_without_a_requirement_nothing_changes(client, navigator_a):
    client.force_login(navigator_a)
    assert client.get(reverse("today")).status_code == 200


# --- The user's own changes, audited -----------------------------------------


def test_enrolling_and_removing_an_authenticator_app_is_audited(
    client, navigator_a, django_capture_on_commit_callbacks
):
    assert sign_in(client, "nav-a").status_code == 302
    # allauth asks for the password again before a factor is changed.
    asked = client.get(reverse("mfa_activate_totp"))
    assert asked.url.startswith(reverse("account_reauthenticate"))
    client.post(asked.url, {"password": PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = page.context["form"].secret
    assert secret in page.text
    assert 'src="data:image/svg+xml;base64,' in page.text
    # allauth reports the change once it is committed.
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            reverse("mfa_activate_totp"), {"code": pyotp.TOTP(secret).now()}
        )
    assert done.status_code == 302
    assert Authenticator.objects.filter(user=navigator_a).count() == 2

    added = list(user_events(navigator_a))
    assert [(e.action, e.actor_id) for e in added] == [
        ("create", navigator_a.pk),
        ("create", navigator_a.pk),
    ]
    assert added[-1].changes == {"mfa": [["totp"], ["recovery_codes", "totp"]]}

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("mfa_generate_recovery_codes"))
    assert user_events(navigator_a).last().reason == (
        "Recovery codes regenerated (recovery_codes)"
    )

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("mfa_deactivate_totp"))
    assert not Authenticator.objects.filter(user=navigator_a).exists()
    removed = list(user_events(navigator_a))[-2:]
    assert {e.action for e in removed} == {"delete"}
    assert removed[-1].changes["mfa"][1] == []


def test_who_must_use_mfa_cannot_remove_their_last_factor(
    client, navigator_a, program_a
):
    program_a.require_mfa = True
    program_a.save()
    totp, _ = enroll(navigator_a)
    sign_in(client, "nav-a")
    client.post(reverse("mfa_authenticate"), {"code": totp.now()})
    assert "Remove authenticator app" not in client.get(reverse("account")).text
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 200
    assert "You cannot deactivate two-factor authentication" in response.text
    assert Authenticator.objects.filter(user=navigator_a, type="totp").exists()


def test_secrets_are_stored_encrypted(navigator_a):
    secret = generate_totp_secret()
    TOTP.activate(navigator_a, secret)
    stored = Authenticator.objects.get(user=navigator_a).data["secret"]
    assert secret not in stored


# --- An administrator resets a lost factor -----------------------------------


def test_mfa_reset_removes_factors_ends_sessions_and_is_audited(
    client, navigator_a, admin_user
):
    totp, _ = enroll(navigator_a)
    sign_in(client, "nav-a")
    client.post(reverse("mfa_authenticate"), {"code": totp.now()})
    assert UserSession.objects.filter(user=navigator_a).count() == 1

    removed = services.mfa_reset(
        by=admin_user, user=navigator_a, reason="Phone lost, ticket 42"
    )
    assert removed == ["recovery_codes", "totp"]
    assert not Authenticator.objects.filter(user=navigator_a).exists()
    assert client.get(reverse("today")).status_code == 302  # signed out
    event = user_events(navigator_a).last()
    assert event.actor == admin_user
    assert event.changes == {"mfa": [["recovery_codes", "totp"], []]}
    assert event.reason == "Phone lost, ticket 42"


def test_mfa_reset_needs_an_administrator_and_a_reason(navigator_a, admin_user):
    enroll(navigator_a)
    with pytest.raises(PermissionDenied):
        services.mfa_reset(by=navigator_a, user=navigator_a, reason="because")
    with pytest.raises(DomainError) as exc:
        services.mfa_reset(by=admin_user, user=navigator_a, reason="  ")
    assert "reason" in exc.value.fields
    assert Authenticator.objects.filter(user=navigator_a).count() == 2
    assert not user_events(navigator_a).exists()


def test_the_admin_action_asks_for_a_reason_then_resets(
    client, navigator_a, admin_user
):
    enroll(navigator_a)
    client.force_login(admin_user)
    url = reverse("admin:navigator_user_changelist")
    chosen = {"action": "reset_mfa", "_selected_action": [navigator_a.pk]}
    ask = client.post(url, chosen)
    assert ask.status_code == 200
    assert "Reset second factors" in ask.text
    assert Authenticator.objects.filter(user=navigator_a).exists()

    done = client.post(url, {**chosen, "apply": "1", "reason": "Lost phone"})
    assert done.status_code == 302
    assert not Authenticator.objects.filter(user=navigator_a).exists()
    event = user_events(navigator_a).last()
    assert (event.actor, event.reason) == (admin_user, "Lost phone")


def test_allauth_admin_pages_for_factors_and_sessions_are_gone(client, admin_user):
    client.force_login(admin_user)
    assert client.get("/admin/mfa/authenticator/").status_code == 404
    assert client.get("/admin/usersessions/usersession/").status_code == 404


def test_the_demo_signs_in_with_the_password_alone(client):
    import io

    from django.core.management import call_command

    call_command(
        "seed_demo", "--people", "5", "--encounters", "5", stdout=io.StringIO()
    )
    assert not Program.objects.get(slug="demo").require_mfa
    response = sign_in(client, "navigator", "navigator-demo")
    assert response.url == "/"
    assert client.get(reverse("today")).status_code == 200
