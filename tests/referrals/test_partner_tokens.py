"""Partner tokens (issue 10): the command prints the key once, alone on
stdout; only its hash is stored; two active per agency; revoke; expiry;
the audit keeps neither key nor hash; the agency's own token page."""

from __future__ import annotations

import datetime
import hashlib
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from navigator.errors import Conflict, NotFound
from navigator.models import AuditEvent
from referrals.models import AgencyMember, PartnerToken
from referrals.partners.selectors import partner_agency_for
from referrals.partners.services import partner_token_create, partner_token_revoke
from tests.factories import UserFactory
from tests.referrals.factories import partner_of
from tests.referrals.partner_helpers import key_client, partner_key, partner_user

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("create_partner_token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_command_prints_the_key_once_alone_and_stores_only_its_hash(program_a):
    agency = partner_of(program_a, slug="clinic")
    out, err = run("--agency", "clinic", "--name", "EHR sync")
    key = out.strip()
    assert out == key + "\n" and key.startswith("navp_")
    assert key not in err and "expires" in err
    token = PartnerToken.objects.get(agency=agency)
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in {token.key_prefix, token.name, token.key_hash}
    assert key.startswith(token.key_prefix)
    # Default lifetime: one year.
    lifetime = token.expires_at - timezone.now()
    assert datetime.timedelta(days=364) < lifetime <= datetime.timedelta(days=365)
    # The audit names the token, never its key or hash.
    event = AuditEvent.objects.get(object_type="referrals.partnertoken")
    assert key not in str(event.changes) and token.key_hash not in str(event.changes)
    # The key works, as the agency's service account.
    response = key_client(key).get("/api/v1/agencies/")
    assert response.status_code == 200
    service_account = AgencyMember.objects.get(agency=agency, is_service_account=True)
    assert not service_account.user.has_usable_password()
    assert not service_account.user.memberships.exists()


def test_expires_option_and_its_bounds(program_a):
    partner_of(program_a, slug="clinic")
    run("--agency", "clinic", "--expires", "30")
    token = PartnerToken.objects.get()
    assert token.expires_at - timezone.now() <= datetime.timedelta(days=30)
    with pytest.raises(CommandError, match="between 1 and"):
        run("--agency", "clinic", "--expires", "0")
    with pytest.raises(CommandError, match="No agency"):
        run("--agency", "nowhere")


def test_two_active_tokens_then_a_third_is_refused_naming_why(program_a):
    agency = partner_of(program_a, slug="clinic")
    run("--agency", "clinic")
    run("--agency", "clinic")
    with pytest.raises(CommandError, match="2 active tokens.*revoke one first"):
        run("--agency", "clinic")
    with pytest.raises(Conflict) as exc:
        partner_token_create(agency=agency)
    assert exc.value.code == "too_many_tokens"
    # Revoking one makes room again (rotation); an expired one does not count.
    first = PartnerToken.objects.filter(agency=agency).last()
    assert first is not None
    run("--agency", "clinic", "--revoke", first.key_prefix)
    run("--agency", "clinic")
    PartnerToken.objects.filter(agency=agency, revoked_at__isnull=True).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    run("--agency", "clinic")


def test_revoke_and_expiry_answer_401(program_a):
    agency = partner_of(program_a, slug="clinic")
    key = partner_key(agency)
    client = key_client(key)
    assert client.get("/api/v1/agencies/").status_code == 200
    token = PartnerToken.objects.get(agency=agency)
    out, err = run("--agency", "clinic", "--revoke", token.key_prefix)
    assert out == "" and "revoked" in err
    assert client.get("/api/v1/agencies/").status_code == 401
    # Revoking again changes nothing and writes no second event.
    partner_token_revoke(token=token)
    assert AuditEvent.objects.filter(object_type="referrals.partnertoken").count() == 2

    expired = key_client(partner_key(agency))
    PartnerToken.objects.filter(revoked_at__isnull=True).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = expired.get("/api/v1/agencies/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_revoke_needs_a_unique_prefix(program_a):
    partner_of(program_a, slug="clinic")
    run("--agency", "clinic")
    run("--agency", "clinic")
    with pytest.raises(CommandError, match="2 tokens"):
        run("--agency", "clinic", "--revoke", "navp_")


def test_partner_agency_for_decides_who_is_a_partner(program_a, navigator_a):
    agency = partner_of(program_a)
    user = partner_user(agency)
    assert partner_agency_for(user) == agency
    assert partner_agency_for(navigator_a) is None
    # A program role decides: staff who are also an agency's are staff.
    AgencyMember.objects.create(user=navigator_a, agency=partner_of(program_a))
    assert partner_agency_for(type(user).objects.get(pk=navigator_a.pk)) is None
    agency.is_active = False
    agency.save()
    fresh = type(user).objects.get(pk=user.pk)
    assert partner_agency_for(fresh) is None  # an inactive agency's user: nobody
    # And a token of a deactivated agency is a 401.
    other = partner_of(program_a)
    client = key_client(partner_key(other))
    other.is_active = False
    other.save()
    assert client.get("/api/v1/agencies/").status_code == 401


def test_token_page_lists_creates_once_and_revokes(client, program_a):
    agency = partner_of(program_a)
    user = partner_user(agency)
    other_agency = partner_of(program_a)
    partner_key(other_agency)
    client.force_login(user)
    page = client.get(reverse("partner-tokens"))
    assert page.status_code == 200 and "No tokens yet" in page.content.decode()

    created = client.post(reverse("partner-tokens"), {"name": "EHR", "expires": 90})
    assert created.status_code == 200
    token = PartnerToken.objects.get(agency=agency)
    key = created.context["new_key"]
    assert key.startswith(token.key_prefix) and key in created.content.decode()
    assert token.created_by == user
    # Shown once: the next view of the page has the prefix only.
    again = client.get(reverse("partner-tokens")).content.decode()
    assert key not in again and token.key_prefix in again

    client.post(reverse("partner-tokens"), {"name": "new", "expires": 90})
    third = client.post(reverse("partner-tokens"), {"name": "3rd", "expires": 90})
    assert third.status_code == 409 and "revoke one first" in third.content.decode()

    revoked = client.post(reverse("partner-token-revoke", args=[token.pk]))
    assert revoked.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == user
    # Another agency's token is not theirs: 404, untouched.
    theirs = PartnerToken.objects.get(agency=other_agency)
    assert (
        client.post(reverse("partner-token-revoke", args=[theirs.pk])).status_code
        == 404
    )
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_token_page_is_not_staffs(client, navigator_a):
    client.force_login(navigator_a)
    assert client.get(reverse("partner-tokens")).status_code == 404
    assert client.get(reverse("partner-home")).status_code == 404


def test_only_the_agencys_partners_or_an_administrator_create(program_a, navigator_a):
    agency = partner_of(program_a)
    with pytest.raises(NotFound):
        partner_token_create(agency=agency, by=navigator_a)
    with pytest.raises(NotFound):
        partner_token_create(agency=agency, by=UserFactory())


def test_admin_revokes_through_the_service(client, program_a):
    from navigator.models import Role
    from tests.factories import member

    admin_user = member(program_a, Role.ADMIN)
    agency = partner_of(program_a)
    partner_key(agency)
    token = PartnerToken.objects.get()
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:referrals_partnertoken_changelist"),
        {"action": "revoke_partner_tokens", "_selected_action": [token.pk]},
    )
    assert response.status_code in (200, 302)
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == admin_user
    assert AuditEvent.objects.filter(
        object_type="referrals.partnertoken", actor=admin_user
    ).exists()


def test_a_partner_user_signs_in_like_staff_and_lands_on_their_page(client, program_a):
    from tests.factories import PASSWORD

    agency = partner_of(program_a, name="Harbor Clinic")
    user = partner_user(agency, username="clinic-user")
    response = client.post(
        reverse("login"), {"login": "clinic-user", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("partner-home")
    assert "Harbor Clinic" in response.content.decode()
    assert response.wsgi_request.user == user
